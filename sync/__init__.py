"""The sync protocol's message types, the unattended daemon and the county hub."""
