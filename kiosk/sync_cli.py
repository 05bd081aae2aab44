"""``bianmin sync``: enrol this site with the county hub, run the sync daemon, show its status
(docs/cli.md, docs/sync-protocol.md).

The daemon lives in ``sync/daemon`` and knows nothing of the application; this command hands
it the settings of ``[sync]`` and the rules it cannot know itself: a catalogue version from
the county becomes current only when the domain's checks pass
(``kiosk.domain.catalogue.parse_catalogue``), otherwise it is refused, reported, and the
current one stays.

Exit codes: 0 done; 1 ``run --once`` ran but something failed (printed, and kept in
``last_error``); 2 the command could not do its job (no store, not enrolled, the code
refused, the hub unreachable at enrolment).
"""

from __future__ import annotations

import functools
import logging
import re
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from offline_store import catalogue as stored_catalogue
from offline_store import sync_state
from offline_store.site import Site
from sync.daemon import Daemon, SyncError, SyncSettings, enrol, status
from sync.daemon.errors import ItemRefused

from . import __version__
from .cli_output import emit_json, json_option
from .config import SiteConfig
from .domain.catalogue import CatalogueError, parse_catalogue

F = TypeVar("F", bound=Callable[..., Any])


def settings_from(config: SiteConfig) -> SyncSettings:
    """The daemon's settings from ``site.toml``: ``[sync]``, the site's code and time zone,
    and the retention periods of ``[retention]``."""
    s = config.sync
    return SyncSettings(
        site_code=config.site.code, timezone=config.site.timezone, version=__version__,
        chunk_kib=s.chunk_kib, upload_kbit_s=s.upload_kbit_s, batch_ops=s.batch_ops,
        pull_limit=s.pull_limit, heartbeat_s=s.heartbeat_s, health_port=s.health_port,
        connect_timeout_s=s.connect_timeout_s, read_timeout_s=s.read_timeout_s,
        backoff_base_s=s.backoff_base_s, backoff_cap_s=s.backoff_cap_s, poll_s=s.poll_s,
        pull_every_s=s.pull_every_s, retention_every_s=s.retention_every_s,
        shred_grace_days=config.retention.shred_grace_days,
        outbox_keep_days=config.retention.outbox_acked_keep_days)


def _shown(value: object) -> str:
    return re.sub(r"[^\w.:+-]", "?", str(value))[:64] or "?"


def apply_catalogue(conn: sqlite3.Connection, site: Site, item: dict[str, Any]) -> None:
    """A catalogue version from the county: checked by the domain's rules, then stored and
    made current in the pull's transaction; :class:`ItemRefused` when it does not pass."""
    version = _shown(item.get("version"))
    refused = {"zh": f"县级平台下发的事项清单版本 {version} 未通过校验，仍使用当前版本。",
               "en": f"Catalogue version {version} from the county hub failed validation; "
                     "the current catalogue stays."}
    body = item.get("body")
    if not isinstance(body, dict):
        raise ItemRefused("the body is not a JSON object", **refused)
    try:
        parsed = parse_catalogue(body)
    except CatalogueError as exc:
        first = exc.problems[0] if exc.problems else ""
        raise ItemRefused(f"{len(exc.problems)} problem(s), first: {first[:200]}",
                          **refused) from None
    if parsed.version != item.get("version"):
        raise ItemRefused(f"the body says version {_shown(parsed.version)}", **refused)
    data = parsed.to_data()
    stored_catalogue.save_version(
        conn, site.clock, version=parsed.version, source=f"hub:{parsed.version}",
        sample=parsed.sample, body=data, items=data["items"], bundles=data["bundles"])


APPLIERS = {"catalogue": apply_catalogue}


def _sync_errors(fn: F) -> F:
    """The project's errors as a plain message and exit 2 (``kiosk.cli.plain_errors``), the
    sync daemon's too."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .cli import EXIT_ERROR, plain_errors

        try:
            return plain_errors(fn)(*args, **kwargs)
        except SyncError as exc:
            click.echo(f"同步失败 / Sync failed:\n{exc}", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def _options(fn: F) -> F:
    fn = click.option("--config", "config_path", type=click.Path(dir_okay=False,
                      path_type=Path), default=None,
                      help="站点配置文件 / The site configuration file.")(fn)
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        default=None,
                        help="站点数据目录 / The site's data directory (as for bianmin "
                             "store).")(fn)


def _open(data_dir: Path | None, config_path: Path | None) -> tuple[Site, SiteConfig]:
    from .cli import _context
    from .site_context import open_site

    directory, config = _context(data_dir, config_path)
    return open_site(directory, config), config


@click.group()
def sync() -> None:
    """与县级平台同步 / Sync with the county hub: enrol, run the daemon, show its status."""


@sync.command("enrol")
@_options
@click.option("--hub", "hub_url", required=True, metavar="URL",
              help="县级平台地址 / The county hub's URL, e.g. https://hub.example.gov.cn.")
@click.option("--code", required=True,
              help="一次性注册码 / The one-time enrolment code the county made for this site "
                   "(bianmin hub enrol-code).")
@json_option
@_sync_errors
def enrol_command(data_dir: Path | None, config_path: Path | None, hub_url: str, code: str,
                  as_json: bool) -> None:
    """在县级平台注册本站点 / Enrol this site with the county hub.

    Makes the site's signing key, registers it under the code and keeps it sealed in the
    store. Enrolling again (a replaced PC) replaces the key.
    """
    site, config = _open(data_dir, config_path)
    with site:
        result = enrol(site, hub_url, code, settings=settings_from(config))
    if as_json:
        emit_json(result)
    else:
        click.echo(f"已注册 / Enrolled site {result['site']} with {result['hub']} "
                   f"(key {result['key_id']})")


@sync.command("run")
@_options
@click.option("--once", is_flag=True,
              help="只同步一轮后退出 / Run one cycle and exit (exit 1 if it failed).")
@_sync_errors
def run_command(data_dir: Path | None, config_path: Path | None, once: bool) -> None:
    """运行同步服务 / Run the sync daemon in the foreground.

    Until SIGTERM or Ctrl-C, which finish the chunk under way and exit 0. As a systemd
    service (packaging/systemd/bianmin-sync.service) it notifies READY and WATCHDOG.
    """
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    site, config = _open(data_dir, config_path)
    with site:
        if sync_state.enrolled(site.store) is None:
            raise SyncError(zh="本站点尚未在县级平台注册，请先运行 bianmin sync enrol。",
                            en="This site is not enrolled; run `bianmin sync enrol` first.")
        daemon = Daemon(site, settings_from(config), appliers=APPLIERS)
        if once:
            counts = daemon.run_once()
            daemon.close()
            click.echo(f"已发送 {counts['pushed']} 条，确认 {counts['acked']} 条，拒收 "
                       f"{counts['rejected']} 条，收到 {counts['pulled']} 条 / pushed "
                       f"{counts['pushed']}, acknowledged {counts['acked']}, rejected "
                       f"{counts['rejected']}, deferred {counts['deferred']}, page bytes "
                       f"{counts['blob_bytes']}, pulled {counts['pulled']}")
            for error in counts["errors"]:
                click.echo(error, err=True)
            sys.exit(1 if counts["errors"] else 0)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"同步服务运行中 / sync daemon running (data {site.data_dir})", err=True)
        daemon.run_forever(stop)
    click.echo("同步服务已停止 / sync daemon stopped", err=True)


@sync.command("status")
@_options
@json_option
@_sync_errors
def status_command(data_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """同步状态 / What is waiting to go, what went, the last error.

    JSON keys: acked_total, outbox_pending, oldest_pending_age_s, blobs_pending_bytes,
    last_push, last_pull, last_error, clock_offset_s (and more, see docs/cli.md).
    """
    site, _ = _open(data_dir, config_path)
    with site:
        shown = status(site)
        shown["rejected_ops"] = sync_state.rejected_ops(site.store)
    if as_json:
        emit_json(shown)
        return
    enrolled = (f"{shown['site']} @ {shown['hub']}" if shown["enrolled"]
                else "未注册 / not enrolled")
    if shown["key_refused"]:
        enrolled += "  密钥被拒 / KEY REFUSED: enrol again"
    age = shown["oldest_pending_age_s"]
    lines = [
        f"注册 / enrolment:      {enrolled}",
        f"待发送 / pending:      {shown['outbox_pending']} ops"
        + (f", oldest {age:.0f} s" if age is not None else "")
        + f", {shown['blobs_pending_bytes']} page bytes",
        f"已确认 / acknowledged: {shown['acked_total']}; 拒收 / rejected: {shown['rejected']}",
        f"上次发送 / last push:  {shown['last_push'] or '-'}",
        f"上次接收 / last pull:  {shown['last_pull'] or '-'}",
        f"时钟偏差 / clock:      {shown['clock_offset_s']} s (hub minus this PC)",
        f"上次错误 / last error: {shown['last_error'] or '-'}",
    ]
    lines += [f"  拒收 / rejected {r['entity']} {r['entity_id']} {r['op']}: {r['reason']}"
              for r in shown["rejected_ops"]]
    click.echo("\n".join(lines))
