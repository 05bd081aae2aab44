"""The wizard's answers and the site configuration file, both ways.

Reading: the existing file is loaded as every command loads it (``load_config``: its
problems are the usual ``FILE:LINE: key: message``), then kept *as written* (relative paths
stay relative), so that writing it back changes only what the technician changed.

Writing: the answers go into the existing configuration (everything the wizard does not
ask, such as categories, windows or printer profiles, stays as it was); the file lists only
the keys that differ from the schema's defaults, under a header comment; it is checked to
read back to exactly that configuration before it replaces the old file, atomically (a
temporary file in the same folder, fsync, rename, fsync of the folder), with mode 0640,
and the old file is kept beside it as ``<name>.<yyyymmdd-hhmmss>.bak``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

# the loader's own TOML writer for one value (strings escaped as TOML wants, inline tables)
from kiosk.config import (
    ConfigError,
    PrinterProfile,
    SiteConfig,
    format_key,
    load_config,
    parse_config,
    toml_value,
)

from .ports import ROLES, Answers, DeviceChoice, Problem, SiteAnswers

FILE_MODE = 0o640
"""Owner reads and writes, the ``bianmin`` group reads, nobody else (the file names the
site's devices and, with ``kiosk.unlock_pin_hash``, holds a PIN hash)."""

HEADER = """\
# Bianmin site configuration, written by `bianmin setup` on {date}.
#
# Only what differs from the defaults is listed; `bianmin config defaults` prints every key
# with its default and what it means (docs/configuration.md). Run `bianmin setup` again to
# change this file: it keeps the previous one beside it as {name}.<date-time>.bak.
"""


def read_existing(path: Path) -> tuple[SiteConfig, str]:
    """The configuration in ``path`` as written, and "" — or the defaults and why the file
    could not be used. A file that does not exist gives the defaults and ""."""
    if not path.exists():
        return SiteConfig(), ""
    try:
        load_config(path)  # every problem the other commands would report, worded as they do
        text = path.read_bytes().decode("utf-8-sig")
        return parse_config(text, str(path)), ""
    except ConfigError as exc:
        return SiteConfig(), str(exc)
    except OSError as exc:  # pragma: no cover - load_config has just read it
        return SiteConfig(), f"{path}: {exc.strerror or exc}"


def answers_of(config: SiteConfig, hub_url: str = "") -> Answers:
    """The answers a configuration gives (the starting point when the wizard runs again)."""
    site = config.site
    return Answers(
        site=SiteAnswers(code=site.code, name=site.name, kind=site.kind,
                         township=site.township, village=site.village,
                         timezone=site.timezone),
        devices={role: DeviceChoice(device.driver, device.port)
                 for role, device in config.devices.items()},
        hub_url=hub_url)


def merged(base: SiteConfig, answers: Answers) -> dict[str, Any]:
    """``base`` as plain data with the answers put in: ``[site]``'s asked keys and the
    devices. A device keeps its printer profile, and its options while its driver stays the
    same (options are the driver's own)."""
    data = base.model_dump()
    data["site"] = {**data["site"], **asdict(answers.site)}
    devices: dict[str, Any] = {}
    for role in ROLES:
        choice = answers.devices.get(role)
        if choice is None:
            continue
        old = base.devices.get(role)  # type: ignore[call-overload]
        same = old is not None and old.driver == choice.driver
        devices[role] = {
            "driver": choice.driver, "port": choice.port,
            "printer_profile": old.printer_profile if old is not None else None,
            "options": dict(old.options) if same and old is not None else {},
        }
    data["devices"] = devices
    return data


def changed_toml(data: dict[str, Any], header: str = "") -> str:
    """TOML for ``data`` (a ``SiteConfig.model_dump()`` shape) listing only what differs
    from the schema's defaults, in the schema's order.

    A table of named entries that differs at all (``[categories]``, ``[windows]``,
    ``[devices]``) is written whole, each entry with its non-default keys: a site that lists
    its own categories replaces the shipped ones, so listing only the changed ones would
    lose the rest.
    """
    defaults = SiteConfig().model_dump()
    lines = header.rstrip("\n").split("\n") if header else []
    for name, field in SiteConfig.model_fields.items():
        value, default = data.get(name), defaults[name]
        if value is None or value == default:
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys = [(key, item) for key, item in value.items()
                    if item is not None and item != default.get(key)]
            if keys:
                lines += ["", f"[{name}]"]
                lines += [f"{format_key((key,))} = {toml_value(item)}" for key, item in keys]
            continue
        entry_model = get_args(annotation)[1]
        written = 0
        for entry_name, entry in value.items():
            if (name == "printer_profiles" and entry_name == "default"
                    and entry == PrinterProfile().model_dump()):
                continue  # always there: the schema adds it back
            lines += ["", f"[{format_key((name, str(entry_name)))}]"]
            lines += _entry_lines(entry_model, entry)
            written += 1
        if not written:
            lines += ["", f"[{name}]"]  # an empty table: none at all, not the shipped ones
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines) + "\n"


def _entry_lines(model: type[BaseModel], entry: dict[str, Any]) -> list[str]:
    lines = []
    for key, field in model.model_fields.items():
        item = entry.get(key)
        if item is None:
            continue
        if not field.is_required() and item == field.get_default(call_default_factory=True):
            continue
        lines.append(f"{format_key((key,))} = {toml_value(item)}")
    return lines


def checked(data: dict[str, Any], source: str = "setup") -> tuple[SiteConfig | None,
                                                                  list[Problem]]:
    """The configuration ``data`` makes, read back from the very text that would be
    written; or the problems, in the schema's words, when it would not load."""
    try:
        return parse_config(changed_toml(data), source), []
    except ConfigError as exc:
        return None, [Problem(p.key, p.message) for p in exc.problems]


def file_text(config: SiteConfig, path: Path, now: dt.datetime | None = None) -> str:
    """The whole file for ``config``: the header, then what differs from the defaults."""
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    header = HEADER.format(date=stamp, name=path.name)
    return changed_toml(config.model_dump(), header)


def write_config(path: Path, text: str, now: dt.datetime | None = None) -> Path | None:
    """Replace ``path`` with ``text`` atomically, mode 0640 (the old file's group kept);
    the old file is copied to ``<name>.<yyyymmdd-hhmmss>.bak`` first.

    :returns: the backup's path, or None when there was no file before.
    :raises OSError: the folder or the file cannot be written (permission, disk full).
    """
    if path.is_symlink():
        path = path.resolve()  # replace the file the link points to, not the link
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
    backup = None
    group = None
    if path.exists():
        group = path.stat().st_gid
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        backup = folder / f"{path.name}.{stamp}.bak"
        n = 1
        while backup.exists():
            n += 1
            backup = folder / f"{path.name}.{stamp}-{n}.bak"
        shutil.copy2(path, backup)
    replace_atomically(path, text, FILE_MODE, group)
    return backup


def replace_atomically(path: Path, text: str, mode: int, group: int | None = None) -> None:
    """Replace ``path`` with ``text``: a temporary file in the same folder with ``mode`` (and
    ``group`` when given and allowed), fsync, rename, fsync of the folder. A reader sees the
    old file or the new one, never half of one; a failure leaves the old file and no
    temporary.

    :raises OSError: the folder cannot be written (permission, disk full).
    """
    folder = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), mode)
            if group is not None:
                with contextlib.suppress(OSError):  # only root or a member may give the group
                    os.fchown(out.fileno(), -1, group)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
