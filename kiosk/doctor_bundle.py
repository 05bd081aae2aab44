"""``bianmin doctor bundle FILE.tar.gz``: what a technician sends to the county when something
is wrong at a site (issue 10, docs/cli.md § bianmin doctor bundle).

The archive holds the configuration with its secrets removed, the versions of everything, the
devices as ``doctor list`` sees them, the store's and the sync daemon's figures, and recent log
lines with personal data scrubbed, plus a manifest saying what is in it and what could not be
collected and why. A part that cannot be collected (no journal, no store, a device that does
not answer) is listed in the manifest and never fails the bundle; only an archive that cannot
be written does (exit 2).

Two guards, because a bundle leaves the site:

- secrets are decided by the schema: a field whose name says it holds a secret (``token``,
  ``secret``, ``password``, ``pin``, ``key``, ``enrol``…, unless the name ends in ``_file``,
  ``_path``, ``_id``, ``_name``…) or that the schema marks ``json_schema_extra={"secret":
  True}`` is written as ``"<removed>"``, and its value is also cut out of every other part;
- personal data (DESIGN.md: names, ID numbers, phone numbers, addresses) is scrubbed from
  every text that did not come from our own figures: 18-digit (and 15-digit) ID numbers of
  GB 11643, mainland mobile numbers, and whatever follows ``name=``, ``姓名``, ``address=``
  or ``住址``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from offline_store import migrations
from offline_store.clock import SystemClock
from offline_store.db import open_store
from offline_store.health import header_schema_version
from offline_store.site import STORE_FILE
from offline_store.sync_state import rejected_ops
from sync.daemon.status import status_of

from . import __version__, paths
from .config import ConfigError, SiteConfig, find_config, format_key, load_config, toml_value
from .setup_wizard.services import ETC_DIR, Systemctl, current_pc
from .site_context import site_health

REMOVED = "<removed>"
EXIT_WRITE = 2
BUNDLE_FORMAT = 1

DEVICE_TIMEOUT_S = 10.0
"""How long one device may take to say how it is before the bundle moves on."""
DETECT_TIMEOUT_S = 15.0
PART_TIMEOUT_S = 300.0
"""The store's full integrity check reads every page; a huge or stuck store must not hold
the bundle up for ever."""
JOURNAL_TIMEOUT_S = 30.0
JOURNAL_MAX_LINES = 20_000
LOG_FILE_MAX_BYTES = 1 << 20
"""The tail of one log file that goes in; the newest lines are the ones that matter."""
LOG_TOTAL_MAX_BYTES = 8 << 20
LOG_DIRS = {"var-log-bianmin": Path("/var/log/bianmin")}
"""Log folders besides ``<data dir>/logs`` (member folder → path). The services log to the
journal; these hold what a technician redirected (tmpfiles.d makes /var/log/bianmin)."""
JOURNAL_UNITS = ("bianmin*", "*-bianmin*")
OS_RELEASE = Path("/etc/os-release")
LIBRARIES = ("PySide6", "PySide6_Essentials", "python-escpos", "cryptography", "httpx",
             "fastapi", "uvicorn", "pydantic", "sqlite-utils", "pyserial", "pyusb",
             "opencv-python-headless", "zxing-cpp", "Pillow", "click", "sdnotify")


# --- secrets, by schema field ---------------------------------------------------------------

SECRET_WORDS = frozenset({
    "token", "secret", "password", "passwd", "passphrase", "pin", "key", "apikey",
    "credential", "credentials", "enrol", "enrolment", "enroll", "enrollment", "cookie",
    "session", "authorization", "auth", "private",
})
"""Words of a field or option name that say its value is a secret."""
NOT_SECRET_ENDINGS = frozenset({
    "file", "path", "dir", "directory", "id", "name", "url", "s", "ms", "minutes", "days",
    "count", "bytes", "port",
})
"""The last word of a name that says it holds where or which secret, not the secret: the
site key's ``key_file`` and ``credential_name``, a ``key_id``, a timeout in ``_s``."""
_SECRET_TAILS = ("key", "token", "secret", "password")
"""Ends of one-word names that hold secrets too (``appkey``, ``accesstoken``)."""


def is_secret_name(name: str) -> bool:
    """Whether a field, option or log key named ``name`` holds a secret (by its words:
    ``unlock_pin_hash``, ``X-Bianmin-Token``, ``appkey``; not ``key_file`` or ``key_id``)."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    if not words or words[-1] in NOT_SECRET_ENDINGS:
        return False
    return any(w in SECRET_WORDS or w.endswith(_SECRET_TAILS) for w in words)


def is_secret_field(name: str, info: FieldInfo) -> bool:
    """A schema field is secret when it says so (``json_schema_extra={"secret": ...}``, which
    wins) or when its name does (:func:`is_secret_name`)."""
    extra = info.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("secret"), bool):
        return bool(extra["secret"])
    return is_secret_name(name)


def secret_fields(model: type[BaseModel] = SiteConfig, prefix: str = "") -> list[str]:
    """The dotted keys of every secret field of the schema (``kiosk.unlock_pin_hash``)."""
    found = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        inner = _model_inside(info.annotation)
        if is_secret_field(name, info):
            found.append(key)
        elif inner is not None:
            found += secret_fields(inner, f"{key}.<name>." if _is_mapping(info.annotation)
                                   else f"{key}.")
    return found


def _is_mapping(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is dict


def _model_inside(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, directly or as the values of a table."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if _is_mapping(annotation):
        value = annotation.__args__[1]
        if isinstance(value, type) and issubclass(value, BaseModel):
            return value
    return None


@dataclass
class Redacted:
    """The configuration as plain data with every secret value replaced."""

    data: dict[str, Any]
    removed: list[str] = field(default_factory=list)
    """Dotted keys whose value was removed."""
    values: set[str] = field(default_factory=set)
    """The removed values themselves, cut out of every other part of the bundle too."""


def redact_config(config: BaseModel) -> Redacted:
    """Walk the configuration by its schema: secret fields and secret-named driver options
    become ``"<removed>"`` (an empty value stays empty: it says "not set"), and a password or
    secret query parameter in a device URL (``port``, ``*_url``) is removed from the URL."""
    out = Redacted({})
    out.data = _redact_model(config, (), out)
    return out


def _redact_model(model: BaseModel, path: tuple[str, ...], out: Redacted) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        here = (*path, name)
        inner = _model_inside(info.annotation)
        if is_secret_field(name, info):
            data[name] = _removed(value, here, out)
        elif inner is not None and isinstance(value, BaseModel):
            data[name] = _redact_model(value, here, out)
        elif inner is not None and isinstance(value, dict):
            data[name] = {k: _redact_model(v, (*here, str(k)), out) for k, v in value.items()}
        elif isinstance(value, dict):
            # free-form tables (driver options): the schema cannot name their keys
            data[name] = {k: _removed(v, (*here, str(k)), out) if is_secret_name(str(k))
                          else v for k, v in value.items()}
        elif isinstance(value, str) and (name == "port" or name.endswith("_url")):
            data[name] = _redact_url(value, here, out)
        else:
            data[name] = value
    return data


def _removed(value: Any, where: tuple[str, ...], out: Redacted) -> Any:
    if value in ("", None, {}, []):
        return value
    out.removed.append(format_key(where))
    inside = value.values() if isinstance(value, dict) else value
    for item in inside if isinstance(value, dict | list) else [value]:
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            out.values.add(str(item))
    return REMOVED


def _redact_url(url: str, where: tuple[str, ...], out: Redacted) -> str:
    """``tcp://user:pw@host?token=x`` → ``tcp://user:<removed>@host?token=<removed>``, done
    by hand so that a template's ``{receipt_no}`` is not percent-encoded."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    rest, hash_sep, fragment = rest.partition("#")
    rest, q_sep, query = rest.partition("?")
    authority, slash, tail = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    redacted = False
    if at and ":" in userinfo:
        user, _, password = userinfo.partition(":")
        if password:
            out.values.add(password)
            authority, redacted = f"{user}:{REMOVED}@{host}", True
    params = []
    for pair in query.split("&") if query else []:
        key, eq, value = pair.partition("=")
        if eq and value and is_secret_name(key):
            out.values.add(value)
            pair, redacted = f"{key}={REMOVED}", True
        params.append(pair)
    if redacted:
        out.removed.append(format_key(where))
    return (f"{scheme}://{authority}{slash}{tail}{q_sep}{'&'.join(params)}"
            f"{hash_sep}{fragment}")


def config_toml(data: Mapping[str, Any], header: str = "") -> str:
    """TOML of a configuration's plain data (as :func:`redact_config` gives it): a table per
    section, one per entry of a table of tables (``[devices.ticket_printer]``)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]

    def table(path: tuple[str, ...], values: Mapping[str, Any]) -> None:
        lines.extend(["", f"[{format_key(path)}]"])
        lines.extend(f"{format_key((k,))} = {toml_value(v)}" for k, v in values.items()
                     if v is not None)

    # bare keys first: after a [table] header they would belong to the table
    lines.extend(f"{format_key((k,))} = {toml_value(v)}" for k, v in data.items()
                 if v is not None and not isinstance(v, dict))
    for section, value in data.items():
        if section in _TABLE_OF_TABLES:
            for name, entry in value.items():
                table((section, name), entry)
        elif isinstance(value, dict):
            table((section,), value)
    return "\n".join(lines) + "\n"


_TABLE_OF_TABLES = frozenset(
    name for name, info in SiteConfig.model_fields.items()
    if _is_mapping(info.annotation) and _model_inside(info.annotation) is not None)


# --- personal data ----------------------------------------------------------------------------

_ID_NUMBER = re.compile(
    r"(?<!\d)(?:\d{17}[\dXx]"  # GB 11643-1999: 17 digits and a check character
    r"|\d{8}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})(?!\d)")  # the 15-digit first kind
_MOBILE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
_BEARER = re.compile(r"(?i)\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{6,}")
_PIN_HASH = re.compile(r"scrypt\$[0-9a-f]{16,}\$[0-9a-f]{16,}")  # bianmin kiosk pin-hash
_SECRET_OPTION = re.compile(r"(?i)(--(?:pin|code|token|password|secret)(?:=|\s+))(\S+)")
_PAIR = re.compile(
    r"""(?P<key>[A-Za-z][\w.-]*)(?P<sep>["']?\s*[=:]\s*["']?)(?P<value>[^\s"',;&]+)""")
_LABEL = re.compile(
    r"(?i)(?P<key>\b[a-z_]*(?:name|address)\b|姓名|住址)(?P<sep>[\"']?\s*[=:：]\s*|[\s:：=]*)")
_NEXT_KEY = re.compile(r"\s+[\w.-]+[\"']?\s*[=:：]")
_LATIN_END = ",;&|)]}\"'\n"
_CJK_END = set(" \t\n,，;；、|)]}）】\"'")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch >= "\U00020000"


@dataclass
class Scrubber:
    """Cuts secrets and personal data out of text; counts what it cut (never what it was)."""

    secret_values: Iterable[str] = ()
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        # longest first, so that a value containing another goes whole
        self._values = sorted({v for v in self.secret_values if len(v) >= 4}, key=len,
                              reverse=True)

    def text(self, text: str) -> str:
        """Secrets, ID numbers, phone numbers, names and addresses out of ``text``."""
        text = self.secrets_only(text)
        text = self._sub(_PIN_HASH, text, "secret", lambda m: REMOVED)
        text = self._sub(_BEARER, text, "secret", lambda m: f"{m[1]}{m[2]}{REMOVED}")
        text = self._sub(_SECRET_OPTION, text, "secret", lambda m: f"{m[1]}{REMOVED}")
        text = _PAIR.sub(self._pair, text)
        text = self._sub(_ID_NUMBER, text, "id_number", lambda m: "<id-number>")
        text = self._sub(_MOBILE, text, "phone", lambda m: "<phone>")
        return self._labels(text)

    def data(self, value: Any) -> Any:
        """The same for every string inside JSON-like data (keys are ours and stay)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def _sub(self, pattern: re.Pattern[str], text: str, kind: str,
             replace: Callable[[re.Match[str]], str]) -> str:
        new, n = pattern.subn(replace, text)
        self.counts[kind] += n
        return new

    def _pair(self, m: re.Match[str]) -> str:
        key = m["key"].rsplit(".", 1)[-1]
        if not is_secret_name(key) or m["value"] in (REMOVED, "Bearer", "Basic"):
            return m[0]  # "Authorization: Bearer <removed>" has had its secret cut
        self.counts["secret"] += 1
        return f"{m['key']}{m['sep']}{REMOVED}"

    def secrets_only(self, text: str) -> str:
        """Only the configuration's secret values cut out (for a text whose labels are ours)."""
        for value in self._values:
            if value in text:
                self.counts["secret"] += text.count(value)
                text = text.replace(value, REMOVED)
        return text

    def numbers(self, text: str) -> str:
        """Only ID and phone numbers cut out (a configuration's hall notice may carry one)."""
        text = self._sub(_ID_NUMBER, text, "id_number", lambda m: "<id-number>")
        return self._sub(_MOBILE, text, "phone", lambda m: "<phone>")

    def _labels(self, text: str) -> str:
        """Whatever follows ``name=``, ``"name": "``, ``姓名：``, ``address=``, ``住址``:
        a quoted value to its quote, a Chinese label's value to the next space or
        punctuation, any other value to the next ``, ; & |``, the next ``key=`` or the
        line's end (an English name has spaces)."""
        out, pos = [], 0
        for m in _LABEL.finditer(text):
            key, sep, start = m["key"], m["sep"], m.end()
            chinese = key in ("姓名", "住址")
            if m.start() < pos or (not chinese and not sep.strip()):
                continue  # "name" in a sentence is not a label
            if start < len(text) and text[start] in "\"'":
                quote, start = text[start], start + 1
                end = text.find(quote, start)
                end = len(text) if end < 0 else end
            elif chinese:
                end = start
                while end < len(text) and text[end] not in _CJK_END:
                    end += 1
            elif start < len(text) and _is_cjk(text[start]):
                end = start  # a Chinese name has no spaces: what follows is the message
                while end < len(text) and text[end] not in _CJK_END:
                    end += 1
            else:
                end = start
                while end < len(text) and text[end] not in _LATIN_END:
                    end += 1
                following = _NEXT_KEY.search(text, start, end)
                end = following.start() if following else end
            value = text[start:end].strip()
            if not value or value.startswith("<"):
                continue
            kind = "address" if key.lower().endswith(("address", "住址")) else "name"
            self.counts[kind] += 1
            out += [text[pos:start], f"<{kind}>"]
            pos = end
        out.append(text[pos:])
        return "".join(out)


# --- the parts --------------------------------------------------------------------------------


class PartMissing(Exception):
    """A part could not be collected; the message says why, in plain words."""


def versions(data_dir: Path, os_release: Path = OS_RELEASE) -> dict[str, Any]:
    """Bianmin, Python, the OS, the libraries that matter and the store's schema version."""
    libraries: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            libraries[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libraries[name] = None
    store = Path(data_dir) / STORE_FILE
    return {
        "bianmin": __version__,
        "python": {"version": platform.python_version(),
                   "implementation": platform.python_implementation(),
                   "prefix": sys.prefix},
        "os": {**_os_release(os_release), "kernel": platform.release(),
               "machine": platform.machine()},
        "libraries": libraries,
        "sqlite": sqlite3.sqlite_version,
        "store_schema": {"file": header_schema_version(store) or None if store.exists()
                         else None, "code": migrations.latest()},
    }


def _os_release(path: Path) -> dict[str, str]:
    """``/etc/os-release`` (os-release(5)): the keys that name the system."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return {}
    keep = {"PRETTY_NAME", "ID", "ID_LIKE", "VERSION_ID", "VERSION_CODENAME"}
    found = {}
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if eq and key.strip() in keep:
            found[key.strip().lower()] = value.strip().strip("\"'")
    return found


def _within(fn: Callable[[], Any], timeout_s: float) -> tuple[bool, Any]:
    """Run ``fn`` on a daemon thread; ``(False, None)`` when it has not finished in time.

    A device that hangs inside a blocking call cannot be stopped from outside; its thread is
    left to finish (it closes its device) while the bundle goes on.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # carried to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="bundle-part", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        return False, None
    if "error" in box:
        raise box["error"]
    return True, box["value"]


def device_report(config: SiteConfig, timeout_s: float = DEVICE_TIMEOUT_S,
                  probe: bool = False,
                  detect_timeout_s: float = DETECT_TIMEOUT_S) -> dict[str, Any]:
    """What ``bianmin doctor list --json`` reports, each device cut off after ``timeout_s``.

    The same rows, built with the same functions (``device_health``, ``detect``); unknown
    serial ports are not probed unless ``probe``, since a bundle should not write to ports.
    """
    from devices.discovery import detect
    from devices.registry import DRIVERS

    from .doctor import device_health
    from .site_devices import build_configured

    rows: list[dict[str, Any]] = []
    for role, device in config.devices.items():
        row = {"source": "configured", "role": role, "driver": device.driver,
               "url": device.port, "model": "", "vid_pid": None}
        spec = DRIVERS.get(role, {}).get(device.driver)
        if spec is None:
            rows.append({**row, "state": "error", "message": "此角色的驱动尚未提供 / no driver "
                         "for this role in this version", "hint": ""})
            continue

        def ask(role: str = role) -> dict[str, str]:
            built = build_configured(config, role)
            try:
                return device_health(built).as_dict()
            finally:
                built.close()

        try:
            done, health = _within(ask, timeout_s)
        except Exception as exc:  # one device's failure: its row says so
            done, health = True, {"state": "error", "message": _plain_exception(exc),
                                  "hint": ""}
        if not done:
            health = {"state": "error",
                      "message": f"设备在 {timeout_s:g} 秒内没有应答 / the device did not "
                                 f"answer within {timeout_s:g} s",
                      "hint": "检查数据线和电源 / Check the cable and the power"}
        rows.append({**row, "model": spec.model, **health})
    found_in_time, found = _within(lambda: detect(probe=probe), detect_timeout_s)
    for item in found or []:
        rows.append({"source": "detected", "role": item.role, "driver": None, "url": item.url,
                     "model": item.model, "vid_pid": item.vid_pid, "state": item.state,
                     "message": item.message, "hint": item.hint, "how": item.how})
    configured_ok = all(r["state"] == "ok" for r in rows if r["source"] == "configured")
    return {"ok": configured_ok, "devices": rows, "timeout_s": timeout_s, "probe": probe,
            "detect_finished": found_in_time}


def store_report(data_dir: Path, config: SiteConfig) -> dict[str, Any]:
    """``bianmin store check --json``'s figures and the free space of the data directory."""
    if not (Path(data_dir) / STORE_FILE).exists():
        raise PartMissing(f"没有站点数据存储 / no site store in {data_dir} "
                          "(bianmin store init)")
    report = site_health(data_dir, config)
    try:
        report["disk_free_bytes"] = shutil.disk_usage(data_dir).free
    except OSError:
        report["disk_free_bytes"] = None
    return report


def sync_report(data_dir: Path, config: SiteConfig, clock: Any) -> dict[str, Any]:
    """``bianmin sync status --json``'s keys, read from the store alone (no site key needed,
    nothing migrated)."""
    path = Path(data_dir) / STORE_FILE
    if not path.exists():
        raise PartMissing(f"没有站点数据存储 / no site store in {data_dir}")
    store = open_store(path, busy_timeout_ms=min(config.store.busy_timeout_ms, 5000),
                       check=False, migrate=False)
    try:
        shown = status_of(store, clock)
        shown["rejected_ops"] = rejected_ops(store)
    except sqlite3.Error as exc:
        raise PartMissing(f"同步状态无法读取 / the sync state cannot be read: {exc}") from None
    finally:
        store.close()
    return shown


@dataclass
class Logs:
    """Log texts by member name, and what could not be had."""

    texts: dict[str, str] = field(default_factory=dict)
    missing: list[dict[str, str]] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)
    """Where the lines came from, for the manifest."""


def journal_text(journalctl: str | None, since: dt.datetime,
                 timeout_s: float = JOURNAL_TIMEOUT_S) -> tuple[str, str]:
    """The units' journal since ``since`` (journalctl(1)); ``(text, note)``.

    :raises PartMissing: no journalctl, it failed, or it took longer than ``timeout_s``.
    """
    if journalctl is None:
        raise PartMissing("没有 journalctl / journalctl is not installed")
    args = [journalctl, *(f"--unit={u}" for u in JOURNAL_UNITS),
            f"--since=@{int(since.timestamp())}", "--no-pager", "--quiet",
            "--output=short-iso", f"--lines={JOURNAL_MAX_LINES}"]
    env = {**os.environ, "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": "", "LC_ALL": "C.UTF-8"}
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout_s, check=False,  # noqa: S603
                              env=env)
    except subprocess.TimeoutExpired:
        raise PartMissing(f"journalctl 超时 / journalctl took longer than {timeout_s:g} s"
                          ) from None
    except OSError as exc:
        raise PartMissing(f"journalctl 无法运行 / journalctl cannot run: "
                          f"{exc.strerror or exc}") from None
    errors = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        first = " ".join(errors.splitlines()[:2]) or f"exit status {done.returncode}"
        raise PartMissing(f"journalctl 失败 / journalctl failed: {first}")
    return done.stdout.decode("utf-8", "replace"), " ".join(errors.splitlines()[:2])


def log_file_texts(folders: Mapping[str, Path], since: dt.datetime,
                   budget: int = LOG_TOTAL_MAX_BYTES) -> tuple[dict[str, str], list[str]]:
    """The tails of the plain log files written since ``since`` in ``folders`` (member
    folder → path), newest first, within ``budget`` bytes; ``({member: text}, [notes])``."""
    files: list[tuple[float, str, Path]] = []
    notes = []
    for label, folder in folders.items():
        try:
            entries = list(Path(folder).iterdir())
        except OSError:
            continue
        for path in entries:
            if path.is_symlink() or not path.is_file():
                continue
            if path.suffix in (".gz", ".xz", ".zst", ".bz2"):
                notes.append(f"{path.name}: 已压缩，未收入 / compressed, left out")
                continue
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue  # rotated away meanwhile
            if mtime >= since.timestamp():
                files.append((mtime, f"logs/{label}/{path.name}", path))
    texts = {}
    for _, member, path in sorted(files, reverse=True):
        if budget <= 0:
            notes.append(f"{path.name}: 超出大小上限 / over the size limit, left out")
            continue
        take = min(LOG_FILE_MAX_BYTES, budget)
        try:
            with path.open("rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - take))
                data = f.read(take)
        except OSError as exc:
            notes.append(f"{path.name}: 无法读取 / cannot be read ({exc.strerror or exc})")
            continue
        budget -= len(data)
        if size > take:  # started mid-line: drop the broken first line
            data = data.split(b"\n", 1)[-1]
        texts[member] = data.decode("utf-8", "replace")
    return texts, notes


def collect_logs(journalctl: str | None, folders: Mapping[str, Path],
                 since: dt.datetime) -> Logs:
    """The journal of the ``bianmin*`` units, else (and also) the plain log files."""
    logs = Logs()
    try:
        text, note = journal_text(journalctl, since)
        logs.texts["logs/journal.txt"] = text
        logs.sources["journal"] = {"ok": True, "lines": text.count("\n"), "note": note}
    except PartMissing as exc:
        logs.missing.append({"part": "logs/journal.txt", "reason": str(exc)})
        logs.sources["journal"] = {"ok": False, "lines": 0, "note": str(exc)}
    files, notes = log_file_texts(folders, since)
    logs.texts.update(files)
    logs.sources.update({"folders": {k: str(v) for k, v in folders.items()},
                         "files": sorted(files), "notes": notes})
    if not logs.texts:
        logs.missing.append({"part": "logs/", "reason": "没有日志可收 / no journal and no log "
                             "files written in the period"})
    return logs


def _plain_exception(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip()}".rstrip(": ")


# --- the bundle ---------------------------------------------------------------------------------


@dataclass
class Bundle:
    """The members of the archive in order, and its manifest."""

    members: dict[str, bytes]
    manifest: dict[str, Any]


def services_report(systemctl: Systemctl, etc_dir: Path) -> dict[str, Any]:
    """What this PC plays and the state of each of the package's units: ``pc`` (``screen``,
    ``station_url``: kiosk/setup_wizard/services.py; never the token) and ``units`` (unit →
    :data:`~kiosk.setup_wizard.services.STATE_KEYS`)."""
    try:
        units = systemctl.states()
    except RuntimeError as exc:
        raise PartMissing(str(exc)) from None
    pc = current_pc(systemctl, etc_dir)
    return {"pc": {"screen": pc.screen, "station_url": pc.station_url}, "units": units}


def collect(*, data_dir: Path, config_path: Path | None, now: dt.datetime, since_hours: float,
            journalctl: str | None, log_dirs: Mapping[str, Path] = LOG_DIRS,
            device_timeout_s: float = DEVICE_TIMEOUT_S, os_release: Path = OS_RELEASE,
            clock: Any = None, systemctl: Systemctl | None = None) -> Bundle:
    """Everything the bundle holds; a part that cannot be had goes into ``missing``.

    :param now: when the bundle is made (aware), for the manifest and the log window.
    :param journalctl: the journalctl executable, or None when there is none.
    :param systemctl: the units' states (default: the real ``systemctl``).
    """
    clock = clock or SystemClock()
    missing: list[dict[str, str]] = []
    parts: dict[str, Any] = {}
    config: SiteConfig | None = None
    redacted = Redacted({})
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        missing.append({"part": "config.toml", "reason": _config_problems(exc)})
    else:
        redacted = redact_config(config)
    scrub = Scrubber(redacted.values)
    if config is not None:
        source = str(config_path) if config_path else "(defaults / 默认配置)"
        parts["config.toml"] = config_toml(
            scrub_config_values(redacted.data, scrub),
            header=f"site.toml as loaded from {source}; secrets are {REMOVED}\n"
                   f"bianmin doctor bundle, {now.isoformat(timespec='seconds')}")
    parts["versions.json"] = versions(data_dir, os_release)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("store.json", lambda: store_report(data_dir, config or SiteConfig())),
        ("sync.json", lambda: sync_report(data_dir, config or SiteConfig(), clock)),
        ("services.json", lambda: services_report(
            systemctl or Systemctl(), config_path.parent if config_path else ETC_DIR)),
    ]
    if config is not None:
        steps.insert(0, ("devices.json", lambda: device_report(config, device_timeout_s)))
    else:
        missing.append({"part": "devices.json", "reason": "配置无法载入 / the configuration "
                        "could not be loaded, so the devices are unknown"})
    for name, step in steps:
        try:
            done, parts[name] = _within(step, PART_TIMEOUT_S)
            if not done:
                del parts[name]
                raise PartMissing(f"超时 / took longer than {PART_TIMEOUT_S:g} s")
        except PartMissing as exc:
            missing.append({"part": name, "reason": str(exc)})
        except Exception as exc:  # one part never fails the bundle
            missing.append({"part": name, "reason": _plain_exception(exc)})
    logs = collect_logs(journalctl, {"data-dir": Path(data_dir) / "logs", **log_dirs},
                        now - dt.timedelta(hours=since_hours))
    missing += logs.missing

    members: dict[str, bytes] = {}
    for name, value in parts.items():
        if isinstance(value, str):  # config.toml: secrets out already, values scrubbed
            members[name] = scrub.secrets_only(value).encode("utf-8")
        else:
            members[name] = _json(scrub.data(value))
    for name, text in logs.texts.items():
        members[name] = scrub.text(text).encode("utf-8")
    manifest = {
        "format": BUNDLE_FORMAT,
        "created_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "site_code": config.site.code if config is not None else None,
        "bianmin": __version__,
        "data_dir": str(data_dir),
        "config_file": str(config_path) if config_path else None,
        "since_hours": since_hours,
        "members": [{"name": n, "bytes": len(b)} for n, b in members.items()],
        "missing": scrub.data(missing),
        "secrets_removed": redacted.removed,
        "scrubbed": {k: scrub.counts.get(k, 0)
                     for k in ("secret", "id_number", "phone", "name", "address")},
        "logs": scrub.data(logs.sources),
    }
    members["manifest.json"] = _json(manifest)
    return Bundle(members, manifest)


def scrub_config_values(value: Any, scrub: Scrubber) -> Any:
    """ID and phone numbers out of the configuration's text values (a hall notice may carry
    a phone number). Labels such as ``name`` are keys here, not personal data."""
    if isinstance(value, str):
        return scrub.numbers(value)
    if isinstance(value, dict):
        return {k: scrub_config_values(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_config_values(v, scrub) for v in value]
    return value


def _config_problems(exc: ConfigError) -> str:
    """The configuration's problems, each with its file, line and key; a secret key's
    message is left out, since it may quote the value."""
    lines = []
    for problem in exc.problems:
        where = f"{problem.source}:{problem.line}" if problem.line else problem.source
        last = problem.key.rsplit(".", 1)[-1] if problem.key else ""
        message = REMOVED if is_secret_name(last) else problem.message
        lines.append(f"{where}: {problem.key}: {message}" if problem.key
                     else f"{where}: {message}")
    return "配置文件有误 / the configuration has problems: " + "; ".join(lines)


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")


class BundleWriteError(Exception):
    """The archive cannot be written where asked."""


class ArchiveTarget:
    """A temporary file beside ``path``, mode 0600, renamed over ``path`` when complete, so
    that a reader never sees half an archive. Opened before anything is collected: an
    unwritable place fails at once, not after a minute of collecting."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise BundleWriteError(f"{self.path} 是目录 / is a directory")
        try:
            fd, name = tempfile.mkstemp(dir=self.path.parent or Path("."),
                                        prefix=f".{self.path.name}.", suffix=".part")
        except OSError as exc:
            raise BundleWriteError(f"{self.path}: {exc.strerror or exc}") from None
        os.fchmod(fd, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._temp = Path(name)

    def write(self, members: Mapping[str, bytes], now: dt.datetime) -> None:
        try:
            with tarfile.open(fileobj=self._file, mode="w:gz") as tar:
                folders = sorted({n[:i] for n in members for i, c in enumerate(n) if c == "/"})
                for folder in folders:
                    tar.addfile(self._info(folder + "/", 0, now, tarfile.DIRTYPE, 0o700))
                for name, data in members.items():
                    tar.addfile(self._info(name, len(data), now), io.BytesIO(data))
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temp, self.path)
        except OSError as exc:
            self.discard()
            raise BundleWriteError(f"{self.path}: {exc.strerror or exc}") from None
        _sync_folder(self.path.parent)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._temp.unlink(missing_ok=True)

    @staticmethod
    def _info(name: str, size: int, now: dt.datetime, kind: bytes = tarfile.REGTYPE,
              mode: int = 0o600) -> tarfile.TarInfo:
        # No owner names: the technician's login says nothing the county needs.
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode, info.type = size, int(now.timestamp()), mode, kind
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info


def _sync_folder(folder: Path) -> None:
    # the rename survives a power cut only once the folder's entry is on disk
    try:
        fd = os.open(folder or Path("."), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- the command ------------------------------------------------------------------------------


@click.command("bundle")
@click.argument("file", type=click.Path(path_type=Path))  # a folder: our words, exit 2
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="站点数据目录 / The site's data directory (as for bianmin store).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="站点配置文件 / The site configuration file.")
@click.option("--since", "since_hours", type=click.FloatRange(min=0, min_open=True),
              default=24.0, show_default=True, metavar="HOURS",
              help="收入最近多少小时的日志 / Put the log lines of the last HOURS hours in.")
@click.option("--device-timeout", "device_timeout_s",
              type=click.FloatRange(min=0.1, max=120), default=DEVICE_TIMEOUT_S,
              show_default=True, metavar="S",
              help="每台设备最多等待的秒数 / Seconds each device may take to answer.")
@click.option("--json", "as_json", is_flag=True,
              help="以 JSON 输出清单 / Print the manifest as JSON on stdout.")
def doctor_bundle(file: Path, data_dir: Path | None, config_path: Path | None,
                  since_hours: float, device_timeout_s: float, as_json: bool) -> None:
    """打包诊断信息发给县级平台 / Write a support bundle for the county: configuration
    without secrets, versions, devices, store and sync figures, recent logs without
    personal data.

    Exit 0 when FILE was written, even with parts missing (the manifest says which and why);
    2 when FILE cannot be written.
    """
    try:
        target = ArchiveTarget(file)
    except BundleWriteError as exc:
        _cannot_write(exc)
    try:
        directory = paths.data_dir(data_dir)
        found = find_config(config_path, directory)
        now = dt.datetime.now(dt.UTC)
        bundle = collect(data_dir=directory, config_path=found, now=now,
                         since_hours=since_hours, journalctl=shutil.which("journalctl"),
                         device_timeout_s=device_timeout_s)
        target.write(bundle.members, now)
    except BundleWriteError as exc:
        _cannot_write(exc)
    except Exception as exc:  # a bug of ours: plain words and exit 2, never a traceback
        _cannot_write(BundleWriteError(_plain_exception(exc)))
    finally:
        target.discard()
    manifest = bundle.manifest
    if as_json:
        click.echo(json.dumps(manifest, ensure_ascii=False, indent=2))
        return
    click.echo(f"已写入诊断包 / Support bundle written: {file} "
               f"({len(manifest['members']) + 1} 个文件 / files)")
    for item in manifest["missing"]:
        click.echo(f"  未收入 / Not included: {item['part']}: {item['reason']}")
    scrubbed = sum(manifest["scrubbed"].values())
    click.echo(f"  已去除密钥和个人信息 {scrubbed} 处 / {scrubbed} secrets and personal data "
               "removed")


def _cannot_write(exc: BundleWriteError) -> NoReturn:
    click.echo(f"无法写入诊断包 / Cannot write the support bundle: {exc}", err=True)
    click.echo("请检查 / Check: 换一个可写的位置，例如 /tmp/bundle.tar.gz / choose a writable "
               "place, e.g. /tmp/bundle.tar.gz", err=True)
    sys.exit(EXIT_WRITE)
