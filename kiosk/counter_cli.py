"""``bianmin counter``: the counter screen of one window (issue 7; docs/counter.md).

This module builds the window's devices from the site configuration
(:func:`kiosk.counter_devices.build_counter_devices`: the UI may not import the roles or the
drivers, DESIGN.md §3) and hands them, with the GB 11643 check, to the Qt screen. Qt and the
devices are imported only when the command runs, so ``bianmin --help`` and the station never
load them.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any

import click

from . import paths
from .config import ConfigError, find_config, load_config
from .display_cli import screen_station

log = logging.getLogger(__name__)

EXIT_ERROR = 2
MODES = ("counter", "agent", "home_visit")
OFFLINE_MODES = ("agent", "home_visit")
"""Modes that keep working with no station and deliver later (docs/counter.md)."""
SPOOL_DIR = "counter-spool"
CATALOGUE_CACHE = "counter-catalogue.json"
WINDOW_PATTERN = r"^[0-9]{1,3}$"
"""As the station's ``WindowNumber``."""


def _fail(title: str, detail: str = "") -> None:
    click.echo(f"{title}\n{detail}".rstrip(), err=True)
    sys.exit(EXIT_ERROR)


@click.command()
@click.option("--station", envvar="BIANMIN_STATION", default=None, metavar="URL",
              help="站点地址 / The station's URL, e.g. http://192.168.1.10:8470 (default: "
              "$BIANMIN_STATION, else [station] of the site configuration).")
@click.option("--token", envvar="BIANMIN_TOKEN", default=None, metavar="T",
              help="本机的令牌 / This counter's token from `bianmin station pair --role "
              "counter` (default: $BIANMIN_TOKEN).")
@click.option("--window", "window", required=True, metavar="W", envvar="BIANMIN_WINDOW",
              help="本机所在的窗口号 / The window this PC serves, as the station numbers it "
              "(e.g. 3; default: $BIANMIN_WINDOW).")
@click.option("--mode", type=click.Choice(MODES), default="counter", show_default=True,
              envvar="BIANMIN_COUNTER_MODE",
              help="工作方式 / counter: a window of the centre; agent: 帮办代办 at a village "
              "point; home_visit: 上门服务 (default: $BIANMIN_COUNTER_MODE, else counter).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="站点配置文件 / The site configuration file (default: "
              "$BIANMIN_CONFIG, else <data dir>/site.toml when present).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="站点数据目录 / The site's data directory (default: $BIANMIN_DATA_DIR, ...).")
@click.option("--spool-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="离线暂存目录 / Where work done with no station waits, "
              "sealed under a key from the token (modes agent and home_visit; default: "
              "<data dir>/counter-spool).")
@click.option("--screenshot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="PATH", help="截图后退出 / Render (off screen when there is no "
              "screen), save a 1366×768 PNG after --screenshot-after seconds and exit: 0 if "
              "the station answered, 1 if not.")
@click.option("--screenshot-after", type=click.FloatRange(0.5, 600), default=5.0,
              show_default=True, metavar="S", help="截图前等待秒数 / Seconds before the "
              "screenshot.")
def counter(station: str | None, token: str | None, window: str, mode: str,
            config_path: Path | None, data_dir: Path | None, spool_dir: Path | None,
            screenshot: Path | None, screenshot_after: float) -> None:
    """窗口受理 / The counter screen: sign-in, the queue, acceptance, ratings, history."""
    home = paths.data_dir(data_dir)
    try:
        config = load_config(find_config(config_path, home))
    except ConfigError as exc:
        _fail("配置文件有误 / The configuration file has problems:", str(exc))
    if not re.match(WINDOW_PATTERN, window):
        _fail("窗口号有误 / The window number is wrong:",
              f"窗口号是 1-3 位数字，如 3 / a window is numbered with 1-3 digits, like 3 "
              f"(got {window!r})")
    if not token:
        _fail("需要本机的令牌 / This counter needs a token:",
              "在站点上运行 bianmin station pair --role counter，再用 --token 或 $BIANMIN_TOKEN "
              "传入 / run `bianmin station pair --role counter` on the station and pass the "
              "token with --token or $BIANMIN_TOKEN.")
    station = screen_station(station, config, screenshot)
    configured = config.windows.get(window)
    if configured is None:
        click.echo(f"注意：本机配置中没有 {window} 号窗口，以站点为准 / note: window {window} is "
                   f"not in this PC's configuration; the station decides", err=True)
    devices = _devices(config)
    from drivers.gb11643 import is_valid

    # Qt loads here and only here; the layering contract lets this one edge through.
    from .ui.counter.app import run_counter

    offline: dict[str, Any] = {}
    if mode in OFFLINE_MODES:
        offline = {"spool_dir": spool_dir or home / SPOOL_DIR,
                   "catalogue_cache": home / CATALOGUE_CACHE}
    try:
        code = run_counter(station, token, window=window, mode=mode, devices=devices,
                           id_check=is_valid, site_name=config.site.name,
                           window_name=configured.name if configured else "",
                           query_url=config.site.query_url, site_code=config.site.code,
                           screenshot=screenshot, screenshot_after_s=screenshot_after,
                           echo=click.echo, **offline)
    finally:
        try:
            devices.close()
        except Exception:  # closing must not hide the exit status
            log.exception("closing the counter's devices failed")
    sys.exit(code)


def _devices(config: Any) -> Any:
    """The window's devices; a failure to build them at all leaves the screen without
    devices (and says so) rather than without a screen."""
    from .counter_devices import build_counter_devices
    from .counter_ports import CounterDevices

    try:
        devices = build_counter_devices(config)
    except Exception as exc:
        click.echo(f"设备无法启动，以手工方式继续 / the devices could not be started; carrying "
                   f"on without them ({exc})", err=True)
        return CounterDevices()
    for problem in devices.problems.values():
        click.echo(f"{problem.role}: {problem.message} {problem.hint}".rstrip(), err=True)
    return devices
