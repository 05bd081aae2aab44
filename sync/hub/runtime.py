"""One hub: its settings, database, clock and the county's admin functions, opened once and
handed to the app, the server and the commands."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .admin import Admin
from .db import Database
from .settings import HubSettings, load_settings
from .times import Clock


@dataclass
class Hub:
    settings: HubSettings
    db: Database
    clock: Clock
    admin: Admin

    @classmethod
    def open(cls, data_dir: Path, *, database_url: str | None = None,
             clock: Clock | None = None, **overrides: Any) -> Hub:
        """Open (and on first use create) the hub's database.

        :param database_url: None: ``hub.toml``'s, else SQLite at ``<data_dir>/hub.sqlite``.
        :param clock: unix seconds; the hub reads time from nothing else.
        """
        data_dir = Path(data_dir)
        settings = load_settings(data_dir, database_url=database_url, **overrides)
        if settings.database_url is None:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = Database(settings.url_for(data_dir), busy_timeout_ms=settings.busy_timeout_ms)
        try:
            db.create()
        except BaseException:
            db.dispose()
            raise
        clock = clock or time.time
        return cls(settings, db, clock, Admin(db, settings, clock))

    def close(self) -> None:
        self.db.dispose()
