"""The site service (LAN API) over the site store. Filled in by the queue and station issue."""
