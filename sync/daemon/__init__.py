"""The site's sync daemon (``bianmin sync``): pushes the outbox and its pages to the county
hub and pulls back what the county decides (docs/sync-protocol.md).

    enrol(site, hub_url, code, settings=...)   register the site's key with the hub
    Daemon(site, settings).run_once()           one cycle; run_forever(stop) for the service
    status(site)                                the figures of ``bianmin sync status``
"""

from .daemon import Daemon
from .enrolment import enrol
from .errors import SyncError
from .settings import SyncSettings
from .status import status

__all__ = ["Daemon", "SyncError", "SyncSettings", "enrol", "status"]
