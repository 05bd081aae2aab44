"""``bianmin station``: run the site service; pair a screen with it; print its OpenAPI spec.

Output contracts are in docs/cli.md. Exit codes: 0 done; 2 the command could not do its job
(bad configuration, store missing or damaged, the port taken, a usage error).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
