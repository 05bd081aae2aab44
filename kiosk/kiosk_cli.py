"""``bianmin kiosk``: the citizen's touchscreen (issue 9; docs/kiosk.md), and
``bianmin kiosk pin-hash``, the technician's PIN for its configuration.

This module builds the kiosk's devices from the site configuration
(:func:`kiosk.kiosk_devices.build_kiosk_devices`: the UI may not import the roles or the
drivers, DESIGN.md §3) and hands them to the Qt screen. Qt and the devices load only when
the command runs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from . import paths
from .config import ConfigError, find_config, load_config
from .display_cli import screen_station

log = logging.getLogger(__name__)

EXIT_ERROR = 2


def _fail(title: str, detail: str = "") -> None:
    click.echo(f"{title}\n{detail}".rstrip(), err=True)
    sys.exit(EXIT_ERROR)


@click.group(invoke_without_command=True)
@click.option("--station", envvar="BIANMIN_STATION", default=None, metavar="URL",
              help="站点地址 / The station's URL, e.g. http://192.168.1.10:8470 (default: "
              "$BIANMIN_STATION, else [station] of the site configuration).")
@click.option("--token", envvar="BIANMIN_TOKEN", default=None, metavar="T",
              help="本机的令牌 / This kiosk's token from `bianmin station pair --role kiosk` "
              "(default: $BIANMIN_TOKEN).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="站点配置文件 / The site configuration file (default: "
              "$BIANMIN_CONFIG, else <data dir>/site.toml when present).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="站点数据目录 / The site's data directory (default: $BIANMIN_DATA_DIR, ...).")
@click.option("--windowed", is_flag=True,
              help="普通窗口 / An ordinary window instead of the locked full screen (for a "
              "technician's laptop or the demo).")
@click.option("--screenshot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="PATH", help="截图后退出 / Render (off screen when there is no "
              "screen), save a 1080×1920 PNG of the home screen after --screenshot-after "
              "seconds and exit: 0 if the station answered, 1 if not.")
@click.option("--screenshot-after", type=click.FloatRange(0.5, 600), default=3.0,
              show_default=True, metavar="S", help="截图前等待秒数 / Seconds before the "
              "screenshot.")
@click.pass_context
def kiosk(ctx: click.Context, station: str | None, token: str | None,
          config_path: Path | None, data_dir: Path | None, windowed: bool,
          screenshot: Path | None, screenshot_after: float) -> None:
    """自助终端 / The citizen's touchscreen.

    Tickets, check-in, the service guide, progress, results, ratings and asking for help."""
    if ctx.invoked_subcommand is not None:
        return
    home = paths.data_dir(data_dir)
    try:
        config = load_config(find_config(config_path, home))
    except ConfigError as exc:
        _fail("配置文件有误 / The configuration file has problems:", str(exc))
    if not token:
        _fail("需要本机的令牌 / This kiosk needs a token:",
              "在站点上运行 bianmin station pair --role kiosk，再用 --token 或 $BIANMIN_TOKEN "
              "传入 / run `bianmin station pair --role kiosk` on the station and pass the "
              "token with --token or $BIANMIN_TOKEN.")
    station = screen_station(station, config, screenshot)
    devices = build_devices(config)
    # Qt loads here and only here; the layering contract lets this one edge through.
    from .ui.kiosk.app import run_kiosk

    try:
        code = run_kiosk(station, token, devices=devices, **screen_options(config),
                         locked=config.kiosk.locked and not windowed, screenshot=screenshot,
                         screenshot_after_s=screenshot_after, echo=click.echo)
    finally:
        try:
            devices.close()
        except Exception:  # closing must not hide the exit status
            log.exception("closing the kiosk's devices failed")
    sys.exit(code)


def screen_options(config: Any) -> dict[str, Any]:
    """The kiosk screen's settings from the site configuration."""
    return {"site_name": config.site.name, "timezone": config.site.timezone,
            "idle_s": float(config.queue.idle_timeout_s),
            "countdown_s": float(config.kiosk.countdown_s),
            "unlock_pin_hash": config.kiosk.unlock_pin_hash,
            "language": config.kiosk.language, "elderly": config.kiosk.elderly}


def build_devices(config: Any) -> Any:
    """The kiosk's devices; a failure to build them at all leaves the screen without
    devices (tiles that need one say so) rather than without a screen."""
    from .kiosk_devices import build_kiosk_devices
    from .kiosk_ports import KioskDevices

    try:
        devices = build_kiosk_devices(config)
    except Exception as exc:
        click.echo(f"设备无法启动，无设备继续 / the devices could not be started; carrying on "
                   f"without them ({exc})", err=True)
        return KioskDevices()
    for problem in devices.problems.values():
        click.echo(f"{problem.role}: {problem.message} {problem.hint}".rstrip(), err=True)
    return devices


@kiosk.command("pin-hash")
@click.option("--pin", default=None, metavar="DIGITS", hidden=True,
              help="For scripts and tests only: the PIN (else it is asked for, twice).")
def pin_hash(pin: str | None) -> None:
    """技术员密码 / The line for [kiosk] unlock_pin_hash.

    Made from a PIN of 4 to 12 digits, asked for twice and not echoed."""
    from .ui.kiosk.lock import hash_pin

    if pin is None:
        pin = click.prompt("PIN (4-12 位数字 / digits)", hide_input=True,
                           confirmation_prompt=True)
    try:
        line = hash_pin(pin)
    except ValueError as exc:
        _fail("密码不合要求 / The PIN is not usable:", str(exc))
    click.echo(f'unlock_pin_hash = "{line}"')
