"""``bianmin display``: the hall display (issue 6; docs/display.md).

This module builds the devices from the site configuration (``kiosk.site_devices``: the UI
may not import the registry, DESIGN.md §3) and hands them to the Qt screen. Qt is imported
only when the command runs, so ``bianmin --help`` and the station never load it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import paths
from .config import ConfigError, SiteConfig, find_config, load_config

log = logging.getLogger(__name__)

EXIT_ERROR = 2
ROLE_WORDS = {"announcer": ("语音播报", "Voice calls"), "window_sign": ("窗口屏", "Window sign")}


def _fail(title: str, detail: str = "") -> None:
    click.echo(f"{title}\n{detail}".rstrip(), err=True)
    sys.exit(EXIT_ERROR)


def default_station(config: SiteConfig) -> str:
    """The station this site's configuration describes (a station listening on every
    address is reached on this PC's loopback)."""
    host = config.station.host
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - a listening address, not one we bind
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.station.port}"


def screen_station(station: str | None, config: SiteConfig, screenshot: Path | None) -> str:
    """The station's URL (given, else the configuration's), checked; and a screen to show
    on, or Qt's offscreen platform for a screenshot (set before Qt loads). Exits 2 with the
    reason when either is missing."""
    station = station or default_station(config)
    from .client.feed import events_url

    try:
        events_url(station)
    except ValueError as exc:
        _fail("站点地址有误 / The station address is wrong:", str(exc))
    if screenshot is None and not has_screen():
        _fail("没有屏幕 / No screen:",
              "DISPLAY 和 WAYLAND_DISPLAY 都未设置；在图形桌面中运行，或用 --screenshot PATH "
              "离屏截图 / neither DISPLAY nor WAYLAND_DISPLAY is set; run it on the desktop, or "
              "use --screenshot PATH to render off screen.")
    if screenshot is not None and not has_screen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt loads
    return station


def has_screen(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """A screen to show on: X11 or Wayland, or a Qt platform chosen by hand (Qt's
    ``offscreen`` and ``minimal`` platforms draw nowhere a person could see)."""
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform in ("offscreen", "minimal"):
        return False
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY") or platform)


def build_devices(config: SiteConfig, sign_window: str | None
                  ) -> tuple[Any, dict[str, Any], Any, dict[str, str], list[Any]]:
    """(announcer, window signs, hall sign, warnings, built devices to close) from the
    configuration. A device that cannot be built becomes a warning on the board, never an
    exit: the board is worth showing without its voice."""
    from .site_devices import build_configured

    announcer = hall_sign = None
    signs: dict[str, Any] = {}
    warnings: dict[str, str] = {}
    built: list[Any] = []
    for role in ("announcer", "window_sign"):
        if role not in config.devices:
            continue
        zh, en = ROLE_WORDS[role]
        try:
            device = build_configured(config, role)
        except Exception as exc:  # a bad option, a simulator that cannot start
            warnings[role] = f"{zh} / {en}: 无法使用 / cannot be used ({exc})"
            continue
        built.append(device)
        if role == "announcer":
            announcer = device.device
        elif sign_window:
            signs[sign_window] = device.device
        else:
            hall_sign = device.device
    return announcer, signs, hall_sign, warnings, built


@click.command()
@click.option("--station", envvar="BIANMIN_STATION", default=None, metavar="URL",
              help="站点地址 / The station's URL, e.g. http://192.168.1.10:8470 (default: "
              "$BIANMIN_STATION, else [station] of the site configuration).")
@click.option("--token", envvar="BIANMIN_TOKEN", default=None, metavar="T",
              help="本屏的令牌 / This screen's token from `bianmin station pair --role display` "
              "(default: $BIANMIN_TOKEN).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="站点配置文件 / The site configuration file (default: "
              "$BIANMIN_CONFIG, else <data dir>/site.toml when present).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="站点数据目录 / The site's data directory (default: $BIANMIN_DATA_DIR, ...).")
@click.option("--sign-window", default=None, metavar="W",
              help="本机窗口屏所属的窗口号 / The window whose LED sign [devices.window_sign] is; "
              "without it the sign shows every call.")
@click.option("--windowed", is_flag=True, help="在窗口中显示 / Show in a window, not full "
              "screen (for a demo).")
@click.option("--screenshot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="PATH", help="截图后退出 / Render (off screen when there is no "
              "screen), save a PNG after --screenshot-after seconds and exit: 0 if the board "
              "was live, 1 if not.")
@click.option("--screenshot-after", type=click.FloatRange(0.5, 600), default=5.0,
              show_default=True, metavar="S", help="截图前等待秒数 / Seconds before the "
              "screenshot.")
def display(station: str | None, token: str | None, config_path: Path | None,
            data_dir: Path | None, sign_window: str | None, windowed: bool,
            screenshot: Path | None, screenshot_after: float) -> None:
    """大厅叫号屏 / The hall display: calls, windows, waiting counts, voice and LED signs."""
    try:
        config = load_config(find_config(config_path, paths.data_dir(data_dir)))
    except ConfigError as exc:
        _fail("配置文件有误 / The configuration file has problems:", str(exc))
    if not token:
        _fail("需要本屏的令牌 / This screen needs a token:",
              "在站点上运行 bianmin station pair --role display，再用 --token 或 $BIANMIN_TOKEN "
              "传入 / run `bianmin station pair --role display` on the station and pass the "
              "token with --token or $BIANMIN_TOKEN.")
    station = screen_station(station, config, screenshot)
    announcer, signs, hall_sign, warnings, built = build_devices(config, sign_window)
    for text in warnings.values():
        click.echo(text, err=True)
    # Qt loads here and only here; the layering contract lets this one edge through.
    from .ui.display.app import run_display

    try:
        code = run_display(station, token, announcer=announcer, signs=signs,
                           hall_sign=hall_sign, warnings=warnings, windowed=windowed,
                           screenshot=screenshot, screenshot_after_s=screenshot_after,
                           echo=click.echo)
    finally:
        for device in built:
            try:
                device.close()
            except Exception:  # closing must not hide the exit status
                log.exception("closing %s failed", device.role)
    sys.exit(code)
