"""``bianmin hub``: run the county hub the sites' sync daemons talk to; make enrolment codes;
count what arrived; publish a catalogue version; print the hub's OpenAPI document.

Output contracts are in docs/cli.md, the protocol in docs/sync-protocol.md. Exit codes: 0
done; 2 the command could not do its job (bad settings, the database unreachable or newer than
this software, the port taken, a refused action), with a plain message on stderr.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from .cli_output import emit_json, json_option
from .hub_staff_cli import staff_add

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_PORT = 8480


def _data_dir(required: bool) -> Callable[[F], F]:
    return click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path), required=required,
        default=None, help="中心数据目录 / The hub's data directory (hub.toml, and hub.sqlite "
                           "unless --database names another database).")


def _database(fn: F) -> F:
    return click.option(
        "--database", "database_url", default=None, metavar="URL",
        help="数据库地址 / SQLAlchemy URL of the hub's database, e.g. "
             "postgresql+psycopg://hub@db.county/hub (default: hub.toml's database_url, else "
             "SQLite at <data dir>/hub.sqlite).")(fn)


def _fail(title: str, detail: str) -> None:
    click.echo(f"{title}\n{detail}", err=True)
    sys.exit(2)


def _plain(fn: F) -> F:
    """The hub's own errors as a plain message and exit 2 (never a traceback, never the
    database URL, which may hold a password)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import sqlalchemy as sa

        from sync.hub.admin import AdminError
        from sync.hub.db import DatabaseError
        from sync.hub.settings import SettingsError

        try:
            return fn(*args, **kwargs)
        except (SettingsError, DatabaseError) as exc:
            _fail("中心设置或数据库有误 / The hub's settings or database have problems:", str(exc))
        except AdminError as exc:
            _fail("无法执行 / Cannot do that:", str(exc))
        except sa.exc.SQLAlchemyError as exc:
            first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[:1]
            _fail("无法使用中心数据库 / The hub's database cannot be used:",
                  f"{type(exc).__name__}: {first[0] if first else ''}")

    return wrapper  # type: ignore[return-value]


@contextmanager
def _opened(data_dir: Path, database_url: str | None) -> Iterator[Any]:
    from sync.hub.runtime import Hub

    hub = Hub.open(data_dir, database_url=database_url)
    try:
        yield hub
    finally:
        hub.close()


@click.group(invoke_without_command=True)
@_data_dir(required=False)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址 / Address to listen on (behind the county's TLS proxy).")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="端口 / Port.")
@_database
@click.pass_context
def hub(ctx: click.Context, data_dir: Path | None, host: str, port: int,
        database_url: str | None) -> None:
    """县级汇聚中心 / The county hub: the endpoint of the sites' sync daemons.

    Without a subcommand, serve until stopped (Ctrl-C or SIGTERM); --data-dir is needed.
    """
    if ctx.invoked_subcommand is not None:
        return
    if data_dir is None:
        raise click.UsageError("缺少 --data-dir / Missing option '--data-dir'.", ctx)

    @_plain
    def run() -> None:
        from sync.hub.server import serve

        click.echo(f"县级汇聚中心 / hub: http://{host}:{port} (data {data_dir})", err=True)
        try:
            serve(data_dir, host, port, database_url=database_url)
        except OSError as exc:
            _fail("中心无法启动 / The hub cannot start:",
                  f"{host}:{port}: {exc.strerror or exc}")

    run()


@hub.command("enrol-code")
@_data_dir(required=True)
@click.option("--site", "site_code", required=True,
              help="站点代码 / The site's code (letters, digits, _ or -, at most 32).")
@_database
@json_option
def enrol_code(data_dir: Path, site_code: str, database_url: str | None, as_json: bool) -> None:
    """生成站点登记码 / Make a one-time enrolment code for a site (72 hours)."""

    @_plain
    def run() -> None:
        with _opened(data_dir, database_url) as opened:
            made = opened.admin.enrol_code(site_code)
        if as_json:
            emit_json(made)
            return
        click.echo(f"登记码 / Enrolment code: {made['code']}  (站点 / site {made['site']}，"
                   f"{made['expires_at']} 前有效，只能用一次 / valid once, until "
                   f"{made['expires_at']})")
        click.echo(f"在站点执行 / At the site: bianmin sync enrol --hub URL --code {made['code']}")

    run()


@hub.command("stats")
@_data_dir(required=True)
@_database
@json_option
def stats(data_dir: Path, database_url: str | None, as_json: bool) -> None:
    """统计 / What the hub holds: ops, cases and blobs, in all and per site."""

    @_plain
    def run() -> None:
        with _opened(data_dir, database_url) as opened:
            figures = opened.admin.stats()
        if as_json:
            emit_json(figures)
            return
        click.echo(f"操作 ops {figures['ops']}\t办件 cases {figures['cases']}\t"
                   f"文件 blobs {figures['blobs']}")
        for code, site in figures["sites"].items():
            click.echo(f"{code}\t{site['ops']}\t{site['cases']}\t{site['blobs']}\t"
                       f"{site['last_seen'] or '-'}")

    run()


@hub.command("catalogue-publish")
@_data_dir(required=True)
@click.option("--version", "version", required=True,
              help="版本号 / The version published (must be the file's own \"version\").")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_database
@json_option
def catalogue_publish(data_dir: Path, version: str, file: Path, database_url: str | None,
                      as_json: bool) -> None:
    """发布事项清单 / Publish a catalogue version to every site (the catalogue stream).

    FILE is a catalogue in the format of kiosk/data/sample_catalogue.json; it is checked as a
    site would check it before anything is published.
    """
    from .catalogue_loader import read_file
    from .domain.catalogue import CatalogueError

    try:
        catalogue, _ = read_file(file)
    except CatalogueError as exc:
        _fail("事项清单有误 / The catalogue has problems:", str(exc))
        return
    if catalogue.version and catalogue.version != version:
        _fail("版本号不一致 / The versions differ:",
              f"{file} 的版本是 {catalogue.version} / the file says version "
              f"{catalogue.version!r}, not {version!r}")
    body = json.loads(file.read_text("utf-8-sig"))

    @_plain
    def run() -> None:
        with _opened(data_dir, database_url) as opened:
            made = opened.admin.publish_catalogue(body, version)
        if as_json:
            emit_json(made)
        elif made["cursor"] is None:
            click.echo(f"版本 {version} 已发布过，未改动 / version {version} was published "
                       f"already ({made['published_at']}); nothing changed")
        else:
            click.echo(f"已发布 / Published {version} ({made['published_at']})")

    run()


@hub.command("openapi")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写入文件 / Write to this file instead of standard output.")
@_database
def openapi(output: Path | None, database_url: str | None) -> None:
    """打印接口规范 / Print the hub's OpenAPI document (docs/api/hub.openapi.json).

    The document does not depend on the database; --database is accepted like everywhere.
    """
    from sync.hub.app import create_app

    text = json.dumps(create_app(None).openapi(), ensure_ascii=False, indent=2,
                      sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, "utf-8")
        except OSError as exc:
            _fail("无法写入 / Cannot write:", f"{output}: {exc.strerror or exc}")


hub.add_command(staff_add)
