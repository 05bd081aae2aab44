"""What the site and the hub both speak: signatures, tus headers and message types.

Pure functions and plain types only, no I/O, so the daemon, the hub and the tests share one
definition of every byte on the wire (docs/sync-protocol.md).
"""
