"""The hub's settings: defaults here, overridden by ``<data-dir>/hub.toml`` and then by the
command line (``--database``) or the caller (:func:`sync.hub.server.running_hub`).

Every field's docstring states its unit. Unknown keys are errors at load time.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

FILE_NAME = "hub.toml"
SQLITE_NAME = "hub.sqlite"


class SettingsError(ValueError):
    """``hub.toml`` cannot be used; the message is plain words (中文 / English)."""


class HubSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              use_attribute_docstrings=True)

    database_url: str | None = None
    """SQLAlchemy URL of the hub's database (``postgresql+psycopg://user@host/db``); unset:
    SQLite at ``<data-dir>/hub.sqlite``."""
    official_prefix: str = Field(default="BM", pattern=r"^[A-Z]{1,8}$")
    """The letters before the date in an official case number (办件编号)."""
    timezone: str = "Asia/Shanghai"
    """The time zone whose calendar day goes into an official case number."""
    upload_expiry_hours: float = Field(default=24, gt=0)
    """How long an unfinished upload is kept after its last chunk. Unit: hours."""
    max_chunk_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """The largest tus PATCH body accepted. Unit: bytes."""
    max_blob_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    """The largest blob accepted (``Tus-Max-Size``). Unit: bytes."""
    enrol_code_hours: float = Field(default=72, gt=0)
    """How long an enrolment code can be used. Unit: hours."""
    token_minutes: float = Field(default=60, gt=0)
    """How long a bearer token for the blob endpoints lasts. Unit: minutes."""
    busy_timeout_ms: int = Field(default=30_000, ge=0)
    """SQLite only: how long a writer waits for the lock. Unit: milliseconds."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def url_for(self, data_dir: Path) -> str:
        return self.database_url or f"sqlite:///{Path(data_dir).resolve() / SQLITE_NAME}"


def load_settings(data_dir: Path | None, **overrides: Any) -> HubSettings:
    """The settings of the hub in ``data_dir``: ``hub.toml`` when present, then ``overrides``
    (a None override is no override). :class:`SettingsError` with a plain message."""
    values: dict[str, Any] = {}
    path = Path(data_dir) / FILE_NAME if data_dir is not None else None
    if path is not None and path.is_file():
        try:
            values = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"无法读取 {path} / cannot read {path}: {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return HubSettings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '?'}: {e['msg']}" for e in exc.errors())
        where = path if path is not None and path.is_file() else "settings"
        raise SettingsError(f"中心设置有误 / the hub settings have problems ({where}): "
                            f"{problems}") from None
