"""Opening a site's store from its configuration: the one place config meets offline_store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from offline_store.clock import SystemClock
from offline_store.health import check_site
from offline_store.site import Site, init_site

from .config import SiteConfig


def _store_options(config: SiteConfig) -> dict[str, Any]:
    return {
        "cipher": config.crypto.cipher,
        "key_file": Path(config.crypto.key_file) if config.crypto.key_file else None,
        "credential_name": config.crypto.credential_name,
    }


def open_site(data_dir: Path, config: SiteConfig, clock: Any = None) -> Site:
    return Site.open(data_dir, busy_timeout_ms=config.store.busy_timeout_ms,
                     clock=clock or SystemClock(), **_store_options(config))


def create_site(data_dir: Path, config: SiteConfig, clock: Any = None) -> tuple[Site, bool]:
    return init_site(data_dir, clock=clock or SystemClock(), **_store_options(config))


def site_health(data_dir: Path, config: SiteConfig, clock: Any = None) -> dict[str, Any]:
    return check_site(data_dir, busy_timeout_ms=config.store.busy_timeout_ms,
                      clock=clock or SystemClock(), **_store_options(config))
