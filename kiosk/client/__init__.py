"""Clients of the station's LAN API for the screens and the command line (no Qt, no store)."""
