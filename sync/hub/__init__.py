"""The county hub (``bianmin hub``): the endpoint the sites' sync daemons talk to
(docs/sync-protocol.md). A separate county service: it imports nothing of the site's store."""
