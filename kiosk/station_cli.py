"""``bianmin station``: run the site service; pair a screen with it; list and revoke the
screens' tokens; keep clerk accounts; print its OpenAPI spec.

Output contracts are in docs/cli.md. Exit codes: 0 done; 1 ``revoke`` found no single valid
token with that id; 2 the command could not do its job (bad configuration, store missing or
damaged, the port taken, a usage error).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .cli_output import emit_json, json_option


def _plain_exit(title: str, detail: str) -> None:
    click.echo(f"{title}\n{detail}", err=True)
    sys.exit(2)


@click.group(invoke_without_command=True)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="站点数据目录 / The site's data directory (as for bianmin store).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="站点配置文件 / The site configuration file.")
@click.option("--host", default=None,
              help="监听地址 / Address to listen on (default: [station] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="端口 / Port (default: [station] port, 8470).")
@click.pass_context
def station(ctx: click.Context, data_dir: Path | None, config_path: Path | None,
            host: str | None, port: int | None) -> None:
    """站点服务 / The site service: queue, calls and the screens' LAN API.

    Without a subcommand, serve until stopped (Ctrl-C or SIGTERM).
    """
    if ctx.invoked_subcommand is not None:
        return
    from .cli import _context, plain_errors
    from .station.server import serve

    @plain_errors
    def run() -> None:
        directory, config = _context(data_dir, config_path)
        listen_host = host or config.station.host
        listen_port = config.station.port if port is None else port
        click.echo(f"站点服务 / station: http://{listen_host}:{listen_port} "
                   f"(data {directory})", err=True)
        try:
            serve(directory, config, listen_host, listen_port, log_level="warning")
        except OSError as exc:
            _plain_exit("站点服务无法启动 / The station cannot start:",
                        f"{listen_host}:{listen_port}: {exc.strerror or exc}")

    run()


@station.command("pair")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="站点数据目录 / The site's data directory.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="站点配置文件 / The site configuration file.")
@click.option("--role", required=True,
              type=click.Choice(["kiosk", "counter", "display", "manager"]),
              help="设备角色 / What the screen is: kiosk, counter, display or manager.")
@json_option
def pair(data_dir: Path | None, config_path: Path | None, role: str, as_json: bool) -> None:
    """配对一台设备 / Make a token for a screen and a one-time code that hands it over."""
    from .cli import _context, plain_errors
    from .site_context import open_site
    from .station.auth import pair as make_pairing

    @plain_errors
    def run() -> None:
        directory, config = _context(data_dir, config_path)
        with open_site(directory, config) as site:
            made = make_pairing(site, role)
        if as_json:
            emit_json({"code": made.code, "token": made.token, "role": made.role,
                       "expires_at": made.expires_at.isoformat()})
            return
        click.echo(f"配对码 / Pairing code: {made.code}  (10 分钟内有效，只能用一次 / "
                   f"valid once, for 10 minutes)")
        click.echo(f"令牌 / Token ({role}): {made.token}")

    run()


@station.command("openapi")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写入文件 / Write to this file instead of standard output.")
def openapi(output: Path | None) -> None:
    """打印接口规范 / Print the station's OpenAPI document (docs/api/)."""
    from .station.spec import openapi_document

    text = json.dumps(openapi_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, "utf-8")


# --- clerk accounts on the store itself (docs/clerks.md) ----------------------------------------
# For the technician's first manager account, before any manager screen is paired; later the
# manager keeps the accounts through the station's API. The secret is never an argument: it
# would stay in the shell's history and in `ps` for everyone on the PC to read.


def _store_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--config", "config_path",
                      type=click.Path(dir_okay=False, path_type=Path), default=None,
                      help="站点配置文件 / The site configuration file.")(fn)
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        default=None, help="站点数据目录 / The site's data directory.")(fn)


def _secret_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--secret-stdin", is_flag=True,
                        help="从标准输入读一行密码，不提示 / Read the secret as one line from "
                             "standard input instead of asking twice.")(fn)


def _read_secret(from_stdin: bool) -> str:
    from .domain.clerks import SecretRefused, check_secret

    if from_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        secret = click.prompt("密码 / Secret (PIN 6-12 digits or password 10+ characters)",
                              hide_input=True, confirmation_prompt=True, err=True)
    try:
        check_secret(secret)
    except SecretRefused as exc:
        _plain_exit("密码不符合要求 / The secret is refused:", str(exc))
    return secret


def _clerk_site(data_dir: Path | None, config_path: Path | None) -> Any:
    from .cli import _context
    from .site_context import open_site

    directory, config = _context(data_dir, config_path)
    return open_site(directory, config)


def _emit_clerk(clerk: dict[str, Any], as_json: bool, said: str) -> None:
    if as_json:
        emit_json(clerk)
    else:
        role = "管理员 / manager" if clerk["manager"] else "窗口人员 / clerk"
        click.echo(f"{said}: {clerk['id']} {clerk['name']} ({role})")


@station.group("clerk")
def clerk() -> None:
    """窗口人员账号 / Clerk accounts, kept in the store."""


@clerk.command("add")
@_store_options
@click.option("--id", "clerk_id", required=True,
              help="工号 / The clerk's id: letters, digits, . _ -, at most 32.")
@click.option("--name", required=True, help="姓名 / The clerk's name, as the hall sees it.")
@click.option("--manager", is_flag=True,
              help="管理员：可管理账号 / A manager, who keeps the accounts.")
@_secret_option
@json_option
def clerk_add(data_dir: Path | None, config_path: Path | None, clerk_id: str, name: str,
              manager: bool, secret_stdin: bool, as_json: bool) -> None:
    """添加账号 / Add a clerk account; the secret is asked for (or read from stdin)."""
    from offline_store import clerks as store

    from .cli import plain_errors
    from .domain.clerks import valid_id

    @plain_errors
    def run() -> None:
        if not valid_id(clerk_id) or not 1 <= len(name.strip()) <= 40:
            _plain_exit("工号或姓名不对 / The id or name is refused:",
                        "工号用字母、数字和 . _ -，最多 32 个；姓名 1-40 个字 / an id has "
                        "letters, digits, . _ - (at most 32); a name 1 to 40 characters")
        secret = store.hash_secret(_read_secret(secret_stdin))
        with _clerk_site(data_dir, config_path) as site, site.store.write() as conn:
            try:
                made = store.add(conn, site.clock, clerk_id=clerk_id, name=name.strip(),
                                 secret=secret, manager=manager, actor="technician")
            except store.ClerkExists as exc:
                _plain_exit("无法添加 / Cannot add:", str(exc))
        _emit_clerk(made, as_json, "已添加 / Added")

    run()


@clerk.command("list")
@_store_options
@json_option
def clerk_list(data_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """列出账号 / List the clerk accounts (never their secrets)."""
    from offline_store import clerks as store

    from .cli import plain_errors

    @plain_errors
    def run() -> None:
        with _clerk_site(data_dir, config_path) as site:
            found = store.clerks(site.store)
        if as_json:
            emit_json(found)
            return
        for row in found:
            marks = [m for m, on in (("管理员 manager", row["manager"]),
                                     (f"锁定至 locked until {row['locked_until']}",
                                      row["locked_until"]),
                                     ("停用 disabled", row["disabled_at"])) if on]
            click.echo(f"{row['id']}\t{row['name']}\t{', '.join(marks)}".rstrip())

    run()


@clerk.command("reset")
@_store_options
@click.option("--id", "clerk_id", required=True, help="工号 / The clerk's id.")
@_secret_option
@json_option
def clerk_reset(data_dir: Path | None, config_path: Path | None, clerk_id: str,
                secret_stdin: bool, as_json: bool) -> None:
    """重设密码 / Give a clerk a new secret; this also lifts a lock-out."""
    from offline_store import clerks as store

    from .cli import plain_errors

    @plain_errors
    def run() -> None:
        secret = store.hash_secret(_read_secret(secret_stdin))
        with _clerk_site(data_dir, config_path) as site, site.store.write() as conn:
            try:
                done = store.reset_secret(conn, site.clock, clerk_id, secret,
                                          actor="technician")
            except store.NoSuchClerk as exc:
                _plain_exit("无法重设 / Cannot reset:", str(exc))
        _emit_clerk(done, as_json, "已重设密码 / Secret reset")

    run()


@clerk.command("disable")
@_store_options
@click.option("--id", "clerk_id", required=True, help="工号 / The clerk's id.")
@json_option
def clerk_disable(data_dir: Path | None, config_path: Path | None, clerk_id: str,
                  as_json: bool) -> None:
    """停用账号 / Disable a clerk account; its id stays in the records."""
    from offline_store import clerks as store

    from .cli import plain_errors

    @plain_errors
    def run() -> None:
        with _clerk_site(data_dir, config_path) as site, site.store.write() as conn:
            try:
                done = store.disable(conn, site.clock, clerk_id, actor="technician")
            except store.NoSuchClerk as exc:
                _plain_exit("无法停用 / Cannot disable:", str(exc))
        _emit_clerk(done, as_json, "已停用 / Disabled")

    run()


# --- the screens' tokens (a lost or replaced screen) ---------------------------------------------


@station.command("tokens")
@_store_options
@json_option
def tokens(data_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """令牌列表 / The screens' tokens, by id (never the token itself)."""
    from offline_store import station_access

    from .cli import plain_errors

    @plain_errors
    def run() -> None:
        with _clerk_site(data_dir, config_path) as site:
            made = station_access.tokens(site.store)
        if as_json:
            emit_json({"tokens": made})
            return
        for token in made:
            state = (f"已作废 / revoked {token['revoked_at']}" if token["revoked_at"]
                     else "有效 / valid")
            click.echo(f"{token['id']}  {token['role']:<8} {token['created_at']}  {state}")
        if not made:
            click.echo("没有令牌 / No tokens (bianmin station pair makes one)")

    run()


@station.command("revoke")
@click.argument("token_id", metavar="ID")
@_store_options
@json_option
def revoke(token_id: str, data_dir: Path | None, config_path: Path | None,
           as_json: bool) -> None:
    """作废令牌 / Revoke a screen's token by its id (bianmin station tokens): a lost or
    replaced screen no longer opens the station, within 30 s and without a restart."""
    from offline_store import station_access

    from .cli import plain_errors

    @plain_errors
    def run() -> None:
        if not 4 <= len(token_id) <= station_access.TOKEN_ID_HEX or any(
                c not in "0123456789abcdefABCDEF" for c in token_id):
            _plain_exit("令牌编号不对 / The token id is refused:",
                        f"编号是 bianmin station tokens 列出的 4-{station_access.TOKEN_ID_HEX} "
                        f"位十六进制 / an id is 4 to {station_access.TOKEN_ID_HEX} hex digits "
                        "as bianmin station tokens lists them")
        with _clerk_site(data_dir, config_path) as site, site.store.write() as conn:
            found = station_access.revoke_id(conn, token_id, site.clock.now())
        if len(found) != 1:
            why = ("没有这个有效令牌 / no valid token has this id" if not found else
                   f"有 {len(found)} 个令牌以此开头，请多写几位 / {len(found)} tokens start "
                   f"with it; give more digits: {', '.join(found)}")
            click.echo(f"未作废 / Nothing revoked: {why}", err=True)
            sys.exit(1)
        if as_json:
            emit_json({"revoked": found[0]})
        else:
            click.echo(f"已作废 / Revoked: {found[0]}")

    run()
