"""Where a site's data and configuration live.

Data directory: ``--data-dir``, else ``$BIANMIN_DATA_DIR``, else ``/var/lib/bianmin`` when
running as the installed service, else the user data directory of platformdirs (so a
developer's ``bianmin`` never writes into a system path). The configuration file is found
by :func:`kiosk.config.find_config`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

SERVICE_DATA_DIR = Path("/var/lib/bianmin")
INSTALL_PREFIX = Path("/opt/bianmin")


def running_as_service() -> bool:
    """Started by systemd (``INVOCATION_ID``) from the installed package under /opt/bianmin."""
    installed = Path(sys.prefix).resolve().is_relative_to(INSTALL_PREFIX)
    return installed and "INVOCATION_ID" in os.environ


def data_dir(option: str | os.PathLike[str] | None) -> Path:
    if option:
        return Path(option)
    env = os.environ.get("BIANMIN_DATA_DIR")
    if env:
        return Path(env)
    if running_as_service():
        return SERVICE_DATA_DIR
    return Path(platformdirs.user_data_dir("bianmin", appauthor=False))
