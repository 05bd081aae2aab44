"""The ``bianmin`` command: one entry point, one subcommand per job (docs/cli.md).

Output contracts used from outside (``--json`` keys, exit codes) are documented in
docs/cli.md and tested; change them only with the docs. Errors reach the user as plain
Chinese and English text on stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from offline_store import outbox, retention
from offline_store.errors import StoreError
from offline_store.site import Site

from . import __version__, catalogue_loader, paths
from . import store_backup as store_backup_module
from .cli_output import emit_json, json_option
from .config import ConfigError, SiteConfig, dump_defaults, find_config, load_config
from .counter_cli import counter
from .display_cli import display
from .doctor import doctor
from .domain.catalogue import CATEGORIES, CatalogueError
from .domain.workdays import CalendarError, WorkdayCalendar
from .hub_cli import hub
from .imaging_cli import imaging
from .kiosk_cli import kiosk
from .queue_cli import queue
from .setup_cli import setup
from .site_calendar import calendar_from, site_calendar
from .site_context import create_site, open_site, site_health
from .station_cli import station
from .sync_cli import sync

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1  # the command ran and the answer is "not ok" (store check)
EXIT_ERROR = 2  # the command could not do its job


def plain_errors(fn: F) -> F:
    """Turn the project's errors into a plain message and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            _fail("配置文件有误 / The configuration file has problems:", str(exc))
        except CatalogueError as exc:
            _fail("事项清单有误 / The catalogue has problems:", str(exc))
        except (StoreError, CalendarError) as exc:
            _fail("错误 / Error:", str(exc))

    return wrapper  # type: ignore[return-value]


def _fail(title: str, detail: str) -> None:
    click.echo(f"{title}\n{detail}", err=True)
    sys.exit(EXIT_ERROR)



def data_dir_option(fn: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="站点数据目录 / The site's data directory (default: $BIANMIN_DATA_DIR, "
        "/var/lib/bianmin for the installed service, else the user data directory).",
    )(fn)


def config_option(fn: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="站点配置文件 / The site configuration file (default: $BIANMIN_CONFIG, "
        "else <data dir>/site.toml when present).",
    )(fn)



def _context(data_dir: Path | None, config_path: Path | None) -> tuple[Path, SiteConfig]:
    resolved = paths.data_dir(data_dir)
    return resolved, load_config(find_config(config_path, resolved))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bianmin")
def cli() -> None:
    """便民 Bianmin: 乡镇便民服务中心与村代办点的自助终端、窗口设备和离线存储。

    Self-service terminals, counter devices and the offline site store of township
    service centres and village service points.
    """


# --- store ---------------------------------------------------------------------------------


@cli.group()
def store() -> None:
    """站点数据存储 / The site store: create it and check its health."""


@store.command("init")
@data_dir_option
@config_option
@json_option
@plain_errors
def store_init(data_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """创建站点数据存储和站点密钥 / Create the site store and the site key.

    Safe to run again: an existing store and key are kept, never replaced.
    """
    directory, config = _context(data_dir, config_path)
    site, created = create_site(directory, config)
    with site:
        result = {"data_dir": str(directory), "created": created,
                  "schema_version": site.store.schema_version(), "cipher": site.keys.cipher}
    if as_json:
        emit_json(result)
    elif created:
        click.echo(f"已创建站点数据存储 / Created the site store in {directory}")
    else:
        click.echo(f"站点数据存储已存在，未做改动 / The site store in {directory} exists; "
                   "nothing was changed")


@store.command("check")
@data_dir_option
@config_option
@json_option
@plain_errors
def store_check(data_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """检查存储完整性、结构版本、密钥和材料文件 / Check the store's integrity, schema,
    key and material files.

    Exits 0 only when everything is ok, 1 otherwise.
    """
    directory, config = _context(data_dir, config_path)
    report = site_health(directory, config)
    if as_json:
        emit_json(report)
    else:
        verdict = "正常 / ok" if report["ok"] else "有问题 / NOT ok"
        click.echo(f"{report['path']}: {verdict}")
        click.echo(f"  schema {report['schema_version']} (code {report['code_schema_version']}),"
                   f" integrity: {report['integrity']}")
        for problem in report["problems"]:
            click.echo(f"  - {problem}")
    sys.exit(0 if report["ok"] else EXIT_FAILED)


@store.command("purge")
@data_dir_option
@config_option
@json_option
@plain_errors
def store_purge(data_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """按保存期限销毁个人信息并清理 / Apply the retention rules.

    Destroys the personal data of records the county acknowledged more than
    retention.shred_grace_days ago (crypto-shredding, audited), removes orphan material
    files, and forgets delivered outbox ops and audit entries past their keep periods.
    Run it daily (a systemd timer); safe to run at any time.
    """
    directory, config = _context(data_dir, config_path)
    keep = config.retention
    with open_site(directory, config) as site:
        shredded = retention.purge_acknowledged(site, keep.shred_grace_days)
        swept = site.sweep_orphan_blobs(keep.orphan_blob_minutes * 60)
        pruned = outbox.prune_acked(site.store, site.clock, keep.outbox_acked_keep_days)
        audit_pruned = retention.prune_audit(site, keep.audit_keep_days)
    result = {"shredded": len(shredded), "orphan_files_removed": len(swept),
              "outbox_pruned": pruned, "audit_pruned": audit_pruned}
    if as_json:
        emit_json(result)
    else:
        click.echo(f"已销毁 {len(shredded)} 条记录的个人信息，清理 {len(swept)} 个孤立文件 / "
                   f"Shredded {len(shredded)} records, removed {len(swept)} orphan files, "
                   f"pruned {pruned} delivered ops and {audit_pruned} audit entries")


@store.command("backup")
@data_dir_option
@config_option
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="备份目录 / Where the backup goes (default: <data dir>/backups).")
@click.option("--label", default=__version__, show_default=True,
              help="备份名前缀 / The backup's name starts with this (the version that wrote "
              "the store).")
@click.option("--keep", type=click.IntRange(min=0), default=5, show_default=True,
              help="保留份数 / Keep this many backups in the folder, removing the oldest "
              "(0 keeps all).")
@json_option
@plain_errors
def store_backup(data_dir: Path | None, config_path: Path | None, to: Path | None, label: str,
                 keep: int, as_json: bool) -> None:
    """备份站点数据存储 / Copy the store into a backup file, safely while it is in use.

    SQLite's online backup: a consistent copy even while the station writes. The site key
    is not in it; back the key up on its own.
    """
    directory, config = _context(data_dir, config_path)
    result = store_backup_module.backup(directory, to=to, label=label, keep=keep,
                                        busy_timeout_ms=config.store.busy_timeout_ms)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"已备份 / Backed up to {result['path']} ({result['bytes']} bytes, "
                   f"schema {result['schema_version']})")
        for path in result["removed"]:
            click.echo(f"  removed the old backup {path}")


@store.command("migrate")
@data_dir_option
@config_option
@json_option
@plain_errors
def store_migrate(data_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """升级存储结构 / Bring an existing store's schema up to date.

    Never creates a store and needs no site key; exit 2 when there is no store or it was
    written by a newer version.
    """
    directory, config = _context(data_dir, config_path)
    result = store_backup_module.migrate(directory,
                                         busy_timeout_ms=config.store.busy_timeout_ms)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"{result['path']}: schema {result['from_schema_version']} → "
                   f"{result['schema_version']}")


@store.command("restore")
@click.argument("backup_file", required=False,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--latest", is_flag=True,
              help="最新可用的备份 / The newest backup in <data dir>/backups that this "
              "version can open (instead of BACKUP_FILE).")
@click.option("--label", default="store", show_default=True,
              help="被替换存储的名称 / The kept copy of the replaced store is named "
              "replaced-<label>-<time>.sqlite (the version that wrote it).")
@data_dir_option
@config_option
@json_option
@plain_errors
def store_restore(backup_file: Path | None, latest: bool, label: str, data_dir: Path | None,
                  config_path: Path | None, as_json: bool) -> None:
    """从备份恢复站点数据存储 / Put a backup in place of the store.

    The store it replaces is kept first as backups/replaced-<label>-<time>.sqlite, with
    its page files linked beside it. Stop the station and the sync daemon first.
    """
    if (backup_file is None) == (not latest):
        raise click.UsageError("give either BACKUP_FILE or --latest")
    directory, config = _context(data_dir, config_path)
    if backup_file is None:
        backup_file = store_backup_module.latest_readable(directory / "backups")
        if backup_file is None:
            _fail("错误 / Error:", "没有本版本可用的备份 / No backup this version can open "
                  f"in {directory / 'backups'}")
            return
    result = store_backup_module.restore(directory, backup_file, label=label,
                                         busy_timeout_ms=config.store.busy_timeout_ms)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"已从备份恢复 / Restored {result['path']} from {result['restored_from']} "
                   f"(schema {result['schema_version']})")
        if result["set_aside"]:
            click.echo(f"  the replaced store is kept as {result['set_aside']}")


# --- catalogue -----------------------------------------------------------------------------


@cli.group()
def catalogue() -> None:
    """事项清单 / The service catalogue: items (事项) and bundles (一件事)."""


@catalogue.command("list")
@data_dir_option
@config_option
@json_option
@plain_errors
def catalogue_list(data_dir: Path | None, config_path: Path | None, as_json: bool) -> None:
    """列出当前事项清单 / List the current catalogue's items and bundles."""
    directory, config = _context(data_dir, config_path)
    with open_site(directory, config) as site:
        found = catalogue_loader.current(site)
    if found is None:
        click.echo("尚未载入事项清单 / No catalogue loaded yet: "
                   "run `bianmin catalogue load --sample` or wait for sync.", err=True)
        listing: dict[str, Any] = {"version": None, "sample": False, "notice": None,
                                   "items": [], "bundles": []}
    else:
        listing = found[0].listing()
    if as_json:
        emit_json(listing)
        return
    if listing.get("sample"):
        click.echo("示例数据，非官方事项清单 / Sample data, not an official catalogue")
    for item in listing["items"]:
        click.echo(f"{item['code']}  {item['level']}  {item['category']}  {item['name']}")
    for bundle in listing["bundles"]:
        click.echo(f"{bundle['code']}  {bundle['level']}  一件事  {bundle['name']}"
                   f"  ({len(bundle['materials'])} 项材料 materials)")


@catalogue.command("load")
@data_dir_option
@config_option
@json_option
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sample", is_flag=True, help="载入随附的示例清单 / Load the shipped sample.")
@plain_errors
def catalogue_load(data_dir: Path | None, config_path: Path | None, as_json: bool,
                   file: Path | None, sample: bool) -> None:
    """从文件载入事项清单 / Validate a catalogue file and make it the current version."""
    if (file is None) == (not sample):
        raise click.UsageError("give a FILE or --sample (one of them)")
    directory, config = _context(data_dir, config_path)
    parsed, source = catalogue_loader.read_file(file)
    with open_site(directory, config) as site:
        catalogue_loader.save(site, parsed, source)
    result = {"version": parsed.version, "sample": parsed.sample, "items": len(parsed.items),
              "bundles": len(parsed.bundles), "source": source}
    if as_json:
        emit_json(result)
    else:
        click.echo(f"已载入事项清单 / Loaded catalogue {parsed.version}: "
                   f"{len(parsed.items)} items, {len(parsed.bundles)} bundles")


# --- calendar ------------------------------------------------------------------------------


@cli.group()
def calendar() -> None:
    """工作日历 / The working-day calendar (holidays and 调休)."""


def _calendar(config_path: Path | None, data_dir: Path | None,
              override: Path | None) -> WorkdayCalendar:
    if override is not None:
        return calendar_from(override)
    return site_calendar(load_config(find_config(config_path, paths.data_dir(data_dir))))


@calendar.command("add-working-days")
@click.argument("date", metavar="DATE", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("n", type=click.IntRange(min=0, max=3650))
@click.option("--override", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="节假日补充文件 / Holiday override file (default: calendar.override_file "
              "of the configuration).")
@config_option
@data_dir_option
@plain_errors
def add_working_days(date: dt.datetime, n: int, override: Path | None,
                     config_path: Path | None, data_dir: Path | None) -> None:
    """打印 DATE 之后第 N 个工作日 / Print the date N working days after DATE.

    DATE itself is not counted; the answer is printed as YYYY-MM-DD.
    """
    cal = _calendar(config_path, data_dir, override)
    try:
        answer = cal.add_working_days(date.date(), n)
    except OverflowError:
        raise CalendarError(f"{date.date()} + {n} working days is past 9999-12-31") from None
    click.echo(answer.isoformat())
    if cal.estimated_years:
        years = ", ".join(str(y) for y in sorted(cal.estimated_years))
        click.echo(f"注意：{years} 年的节假日安排未知，按周一至周五估算，请补充节假日文件。\n"
                   f"Note: the holidays of {years} are not known; Monday to Friday were "
                   "counted. Add them to the calendar override file.", err=True)


# --- config --------------------------------------------------------------------------------


@cli.group()
def config() -> None:
    """站点配置 / The site configuration file (docs/configuration.md)."""


@config.command("check")
@config_option
@data_dir_option
@json_option
@plain_errors
def config_check(config_path: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """检查配置文件 / Validate the configuration file and show where it was found."""
    path = find_config(config_path, paths.data_dir(data_dir))
    loaded = load_config(path)
    if as_json:
        emit_json({"ok": True, "file": str(path) if path else None,
               "config": loaded.model_dump(mode="json")})
    else:
        click.echo(f"配置正确 / The configuration is valid: {path or '(defaults)'}")


@config.command("defaults")
def config_defaults() -> None:
    """打印带注释的默认配置 / Print the documented default configuration as TOML."""
    click.echo(dump_defaults(), nl=False)


# --- demo ----------------------------------------------------------------------------------


@cli.command()
@data_dir_option
@click.option("--summary-only", is_flag=True,
              help="只准备站点并打印概要 / Set up the site and print the summary; start no "
                   "station and no screens.")
@click.option("--tour", "tour_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="DIR",
              help="演示流程 / Play the counter's main flow and the kiosk's flows off screen "
                   "against the simulators and write numbered screenshots, the printed papers "
                   "as PNG and tour.json (with its accessibility report) into DIR; then exit.")
@plain_errors
def demo(data_dir: Path | None, summary_only: bool, tour_dir: Path | None) -> None:
    """演示站点 / The demo site, its station and its screens.

    Sets the site up, starts its station and shows the hall display, the counter of window 1,
    the citizen kiosk and a console that issues and calls tickets and swipes the ID card at
    the kiosk; without a screen the demo plays by itself and writes screenshots. ``--tour
    DIR`` plays the counter's and the kiosk's flows instead (docs/counter.md, docs/kiosk.md).
    """
    directory = data_dir or Path(".demo")
    config_path = directory / "site.toml"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not config_path.exists():
        config_path.write_text(dump_defaults() + DEMO_DEVICES, "utf-8")
    config = load_config(config_path)
    site, created = create_site(directory, config)
    with site:
        found = catalogue_loader.current(site)
        if found is None:
            parsed, source = catalogue_loader.read_file(None)
            catalogue_loader.save(site, parsed, source)
            found = catalogue_loader.current(site)
        assert found is not None
        cal = _calendar(config_path, directory, None)
        _print_summary(site, directory, config, found[0], cal, created)
    if tour_dir is not None:
        from .demo_tour import play_tour

        sys.exit(play_tour(directory, config, tour_dir, echo=click.echo))
    if not summary_only:
        sys.exit(_demo_screens(directory, config))


def _demo_screens(directory: Path, config: SiteConfig) -> int:
    """The station in this process, and the screens: on the desktop, or played by themselves
    off screen with screenshots under ``<data dir>/screenshots``."""
    import os

    from offline_store.errors import StoreError
    from sync.daemon import SyncError

    from .demo_county import demo_county
    from .display_cli import build_devices, has_screen
    from .station.auth import pair
    from .station.server import start_background

    try:
        running = start_background(directory, config, port=config.station.port)
    except OSError:  # the configured port is taken (a station already runs): any free one
        running = start_background(directory, config, port=0)
    built: list[Any] = []
    try:
        manager, display, counter, kiosk_pairing = (
            running.station.writer.submit(pair, running.station.site, role).result()
            for role in ("manager", "display", "counter", "kiosk"))
        click.echo(f"站点服务 / station: {running.url}  (Ctrl-C 结束 / to stop)\n"
                   f"管理令牌 / manager token: {manager.token}\n"
                   f"  BIANMIN_STATION={running.url} BIANMIN_TOKEN={manager.token} "
                   f"bianmin queue status")
        screen = has_screen()
        if not screen:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt loads
            click.echo("没有屏幕：演示自动进行并保存截图 / No screen: the demo plays by itself "
                       "and saves screenshots")
        announcer, signs, hall_sign, warnings, built = build_devices(config, None)
        from drivers.gb11643 import is_valid

        from .counter_devices import build_counter_devices
        from .demo_tour import (
            CLERK_ID,
            CLERK_SECRET,
            DEMO_CARD,
            KIOSK_PORTS,
            WINDOW,
            demo_clerk,
            tour_config,
        )
        from .kiosk_cli import screen_options
        from .kiosk_devices import build_kiosk_devices

        demo_clerk(running.url, manager.token)
        desk = build_counter_devices(config)
        built.append(desk)
        click.echo(f"柜台 / counter: {WINDOW}号窗口 / window {WINDOW}, 工号 / clerk {CLERK_ID}, "
                   f"密码 / PIN {CLERK_SECRET}")
        terminal = build_kiosk_devices(tour_config(config, KIOSK_PORTS))
        built.append(terminal)
        reader = terminal.simulators.get("id_card_reader")
        swipe = (None if reader is None
                 else (lambda: reader.place(DEMO_CARD), reader.remove))
        county = contextlib.ExitStack()
        built.append(county)  # closed with the devices: the last sync cycle, then the hub
        try:
            county.enter_context(demo_county(directory, config, echo=click.echo))
        except (SyncError, StoreError, OSError) as exc:  # the site's screens work without it
            click.echo(f"注意：演示用的县级平台未启动 / note: the demo's county hub did not "
                       f"start: {exc}")
        # Qt loads here and only here (the layering contract lets this one edge through).
        from .ui.demo.run import run_demo

        return run_demo(running.url, manager_token=manager.token, display_token=display.token,
                        devices={"announcer": announcer, "signs": signs,
                                 "hall_sign": hall_sign, "warnings": warnings},
                        counter={"token": counter.token, "window": WINDOW, "devices": desk,
                                 "id_check": is_valid, "site_name": config.site.name,
                                 "clerk": (CLERK_ID, CLERK_SECRET)},
                        kiosk={"token": kiosk_pairing.token, "devices": terminal,
                               "swipe": swipe, **screen_options(config)},
                        screenshots=None if screen else directory / "screenshots",
                        echo=click.echo)
    finally:
        for device in built:
            with contextlib.suppress(Exception):
                device.close()
        running.stop()


DEMO_DEVICES = """
# --- the demo site's devices: every role, simulated (bianmin demo wrote this) ---

[devices.id_card_reader]
driver = "ga467-sam"
port = "sim://idcard?card=resident_elderly"

[devices.ticket_printer]
driver = "escpos-generic"
port = "sim://printer"

[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer?width=58"
printer_profile = "narrow"

[printer_profiles.narrow]
paper_width_mm = 58
dots_per_line = 384
chars_per_line = 32

[devices.document_camera]
driver = "uvc-generic"
port = "sim://camera?script=mixed"
# the simulated camera sees 430 mm of desk across the middle of its picture
# (capture_skip_frames 0: its photo is rendered, not exposed; skipping frames only lets the
# scene move on while the desk is being learnt)
options = { view_width_mm = 430.0, capture_skip_frames = 0 }

[devices.rating_terminal]
driver = "bianmin-rating-v1"
port = "sim://rating?auto=4"

[devices.window_sign]
driver = "led-sign"
port = "sim://sign"

[devices.code_scanner]
driver = "serial-scanner"
port = "sim://scanner?mode=serial"

[devices.announcer]
driver = "clips"
port = "sim://announcer"
"""


def _device_lines(config: SiteConfig) -> list[tuple[str, str]]:
    """Each configured device asked for its state, as the technician's doctor does."""
    from .doctor import device_health
    from .site_devices import build_configured

    rows = []
    for role in config.devices:
        try:
            built = build_configured(config, role)
        except (KeyError, ValueError) as exc:
            rows.append(("", f"{role:<16} 无法使用 / unusable: {exc}"))
            continue
        try:
            health = device_health(built)
        finally:
            built.close()
        state = "正常 ok" if health.ok else f"{health.state.value}: {health.message}"
        rows.append(("", f"{role:<16} {state}  ({built.url})"))
    return rows


def _print_summary(site: Site, directory: Path, config: SiteConfig, cat: Any,
                   cal: WorkdayCalendar, created: bool) -> None:
    today = dt.date.today()
    per_category = Counter(item.category for item in cat.items.values())
    store_ok = "ok" if site.store.check(full=False).ok else "NOT ok"
    promised = cal.add_working_days(today, 15)
    sample = " （示例数据 / sample data）" if cat.sample else ""
    rows = [
        ("站点 Site:", f"{config.site.code} {config.site.name}"),
        ("数据目录 Data dir:", str(directory.resolve())),
        ("存储 Store:", f"schema {site.store.schema_version()}, {store_ok}, "
                       f"cipher {site.keys.cipher}"),
        ("事项清单 Catalogue:", f"{cat.version}{sample}: {len(cat.items)} 事项 items, "
                              f"{len(cat.bundles)} 一件事 bundles"),
    ]
    rows += [("", f"{_pad(name, 12)}{per_category[name]:>3}") for name in CATEGORIES
             if per_category[name]]
    rows += [("", f"一件事 {b.name}") for b in cat.bundles.values()]
    devices = _device_lines(config)
    if devices:
        rows.append(("设备 Devices:", f"{len(devices)} 台 devices, each asked for its state"))
        rows += devices
    rows += [
        ("工作日 Working days:", f"{today} {'工作日' if cal.is_workday(today) else '休息日'};"
                                f" +15 个工作日 working days -> {promised}"),
        ("下一步 Next:", f"bianmin catalogue list --data-dir {directory}"),
        ("", f"bianmin doctor list --data-dir {directory}"),
    ]
    lines = [f"便民 Bianmin {__version__} — 演示站点 / demo site"
             + ("（新建 / new）" if created else "")]
    lines += [f"{_pad(label, 22)}{value}" for label, value in rows]
    click.echo("\n".join(lines))


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where a Chinese character takes two columns."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - shown)


cli.add_command(counter)
cli.add_command(display)
cli.add_command(doctor)
cli.add_command(hub)
cli.add_command(imaging)
cli.add_command(kiosk)
cli.add_command(queue)
cli.add_command(setup)
cli.add_command(station)
cli.add_command(sync)


def main() -> None:
    cli(prog_name="bianmin")


if __name__ == "__main__":
    main()
