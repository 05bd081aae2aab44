"""Simulators that speak the devices' own bytes, selected by ``sim://`` ports."""
