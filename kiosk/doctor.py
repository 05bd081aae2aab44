"""``bianmin doctor``: the technician's device checks at a village point (docs/doctor.md).

Every failure prints what went wrong and what to check, in Chinese and English, and exits
non-zero (1: the device did not work; 2: the command could not run, e.g. a bad URL).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from devices.health import HINT_CABLE, DeviceState, Health
from devices.registry import BuiltDevice, build_device, check_device
from drivers.escpos_printer import EscPosProfile
from drivers.sam_ga467 import FrameError, SamReader, SamStatusError
from drivers.transports import TransportError
from drivers.wlt_plugin import WltPluginError, load_decoder

from . import paths
from .config import SiteConfig, find_config, load_config
from .site_devices import escpos_profile_of

_STATE_WORDS = {"ok": "正常 ok", "missing": "未连接 missing", "error": "故障 error"}
EXIT_DEVICE = 1
EXIT_USAGE = 2

_LABELS = {
    "card_type": "证件类型 Card type",
    "name": "姓名 Name",
    "english_name": "英文姓名 English name",
    "sex": "性别 Sex",
    "nation": "民族 Nation",
    "nationality": "国籍 Nationality",
    "birth_date": "出生 Born",
    "address": "住址 Address",
    "id_number": "公民身份号码 ID number",
    "pass_number": "通行证号码 Pass number",
    "issue_count": "签发次数 Issue count",
    "authority": "签发机关 Authority",
    "valid_from": "有效期起 Valid from",
    "valid_to": "有效期止 Valid to",
    "check_digit_ok": "校验位 Check digit",
    "photo": "照片 Photo",
}


def _config(config_path: Path | None, data_dir: Path | None) -> SiteConfig:
    return load_config(find_config(config_path, paths.data_dir(data_dir)))


def _fail(message: str, hint: str = "", code: int = EXIT_DEVICE) -> None:
    click.echo(message, err=True)
    if hint:
        click.echo(f"请检查 / Check: {hint}", err=True)
    sys.exit(code)


def _build(role: str, driver: str, port: str, options: dict[str, Any] | None = None,
           **kwargs: Any) -> BuiltDevice:
    problems = check_device(role, driver, port, options or {})
    if problems:
        _fail("设备地址有误 / The device URL is not usable: "
              + "; ".join(message for _, message in problems), code=EXIT_USAGE)
    return build_device(role, driver, port, options or {}, **kwargs)


def escpos_profile(config: SiteConfig, name: str) -> EscPosProfile:
    if name not in config.printer_profiles:
        known = ", ".join(config.printer_profiles)
        _fail(f"没有名为 {name!r} 的打印机配置 / no printer profile named {name!r} "
              f"(known: {known})", code=EXIT_USAGE)
    return escpos_profile_of(config, name)


def device_health(built: BuiltDevice) -> Health:
    """Ask the device now, once: SAM status for a reader, DLE EOT for a printer, a
    heartbeat for a rating terminal, a frame from a camera."""
    device = built.device
    if built.role == "document_camera":
        device.start()
        try:
            device.latest(5.0)
        except TimeoutError:
            pass  # the health says why
        finally:
            health = device.health()
            device.stop()
        return health
    if built.role == "code_scanner":
        first = device.health().as_dict()
        device.start()
        deadline = time.monotonic() + 3.0
        while device.health().as_dict() == first and time.monotonic() < deadline:
            time.sleep(0.05)  # the thread opens the scanner and reports
        health = device.health()
        device.stop()
        return health
    if built.role != "id_card_reader":
        for name in ("check", "check_now"):
            check = getattr(device, name, None)
            if callable(check):
                result = check()
                return result if isinstance(result, Health) else device.health()
        return device.health()
    try:
        transport = built.opener()
    except TransportError as exc:
        return Health(DeviceState.MISSING, f"身份证阅读器未连接 / reader not reachable ({exc})",
                      HINT_CABLE)
    try:
        SamReader(transport, timeout_s=2.0).sam_status()
        return Health(DeviceState.OK)
    except SamStatusError as exc:
        return Health(DeviceState.ERROR, str(exc), getattr(exc, "hint", ""))
    except (TransportError, FrameError) as exc:
        return Health(DeviceState.ERROR, f"阅读器应答异常 / the reader answered badly ({exc})",
                      "检查波特率和数据线 / Check the baud rate and the cable")
    finally:
        transport.close()


@click.group()
def doctor() -> None:
    """设备检查 / Device checks: list devices, read an ID card, print a test page."""


@doctor.command("list")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="站点配置文件 / The site configuration file.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="站点数据目录 / The site's data directory (to find site.toml).")
@click.option("--no-probe", is_flag=True,
              help="不向未知串口发送握手 / Do not send handshakes to unknown serial ports.")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / Print JSON on stdout.")
def doctor_list(config_path: Path | None, data_dir: Path | None, no_probe: bool,
                as_json: bool) -> None:
    """列出已配置和已检测到的设备及其状态 / List configured and detected devices with
    their state.

    Exits 0 when every configured device is ok, 1 otherwise.
    """
    from .doctor_bundle import device_report  # one way of asking, shared with the bundle

    config = _config(config_path, data_dir)
    report = device_report(config, probe=not no_probe)
    rows, configured_ok = report["devices"], report["ok"]
    if as_json:
        click.echo(json.dumps({"ok": configured_ok, "devices": rows}, ensure_ascii=False,
                              indent=2))
    else:
        if not rows:
            click.echo("没有配置或检测到设备 / No device is configured or detected.")
        for r in rows:
            state = _STATE_WORDS[r["state"]]
            click.echo(f"{r['source']:<10} {r['role'] or '?':<16} {state:<12} {r['url']}"
                       f"  {r['model']}")
            if r["message"]:
                click.echo(f"{'':<11}{r['message']}")
            if r["hint"]:
                click.echo(f"{'':<11}请检查 / Check: {r['hint']}")
    sys.exit(0 if configured_ok else EXIT_DEVICE)


@doctor.command("read-id")
@click.option("--port", required=True,
              help="阅读器地址 / The reader's URL, e.g. serial:///dev/ttyUSB0 or sim://idcard.")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / Print JSON on stdout.")
@click.option("--show-pii", is_flag=True,
              help="显示完整身份证号和住址 / Show the full ID number and address (masked "
              "otherwise).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=30.0,
              show_default=True, help="等待放卡的秒数 / Seconds to wait for a card.")
@click.option("--wlt-decoder", type=click.Path(dir_okay=False),
              help="厂商照片解码库路径 / Path of the vendor's WLT photo decoder library.")
def doctor_read_id(port: str, as_json: bool, show_pii: bool, timeout_s: float,
                   wlt_decoder: str | None) -> None:
    """等待放置身份证并显示其内容 / Wait for an ID card and print its fields."""
    built = _build("id_card_reader", "ga467-sam", port)
    try:
        card = built.device.read_once(timeout_s)
    except TimeoutError as exc:  # NoCardError
        _fail(f"没有读到证件 / No card read: {exc}",
              "把证件平放在阅读器感应区中央 / Lay the card flat on the middle of the reader")
    except (TransportError, FrameError) as exc:
        _fail(f"无法与阅读器通信 / Cannot talk to the reader: {exc}", HINT_CABLE)
    except SamStatusError as exc:
        _fail(str(exc), getattr(exc, "hint", ""))
    finally:
        built.close()
    fields = card.to_json(show_pii=show_pii)
    photo = "unavailable"
    if wlt_decoder:
        try:
            bmp = load_decoder(wlt_decoder)(card.photo_wlt)  # type: ignore[misc]
            photo = f"{len(bmp)} byte BMP"
        except WltPluginError as exc:
            photo = f"unavailable ({exc})"
    fields_out = {**fields, "photo": photo}
    if as_json:
        click.echo(json.dumps(fields_out, ensure_ascii=False, indent=2))
        return
    for key, value in fields_out.items():
        label = _LABELS.get(key, key)
        if key == "check_digit_ok":
            value = "正确 ok" if value else ("错误 WRONG" if value is False else "不适用 n/a")
        if key == "photo" and value == "unavailable":
            value = "不可用 unavailable (未配置照片解码库 / no WLT decoder configured)"
        click.echo(f"{label}: {value}")


@doctor.command("print-test")
@click.option("--printer", "port", required=True,
              help="打印机地址 / The printer's URL, e.g. usb://0416:5011, tcp://host:9100, "
              "file:///dev/usb/lp0 or sim://printer.")
@click.option("--profile", "profile_name", default="default", show_default=True,
              help="打印机配置名 / Name of a [printer_profiles.<name>] in the configuration.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="站点配置文件 / The site configuration file.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="站点数据目录 / The site's data directory (to find site.toml).")
@click.option("--save-png", type=click.Path(dir_okay=False, path_type=Path),
              help="模拟打印机：把打印结果保存为 PNG / For sim://printer: save the page as PNG.")
def doctor_print_test(port: str, profile_name: str, config_path: Path | None,
                      data_dir: Path | None, save_png: Path | None) -> None:
    """打印测试页 / Print the test page: Chinese and English, the site name, a QR code."""
    config = _config(config_path, data_dir)
    profile = escpos_profile(config, profile_name)
    built = _build("ticket_printer", "escpos-generic", port, printer_profile=profile)
    try:
        result = built.device.print_test_page(config.site.name)
        if result.ok and built.simulator is not None and save_png is not None:
            sim = built.simulator.sim
            deadline = time.monotonic() + 5
            while not sim.jobs and time.monotonic() < deadline:
                time.sleep(0.02)
            if sim.jobs:
                sim.jobs[-1].save(save_png)
                click.echo(f"已保存 / Saved: {save_png}")
    finally:
        built.close()
    for warning in result.warnings:
        click.echo(f"注意 / Note: {warning}")
    if not result.ok:
        _fail(f"测试页未打印 / The test page did not print: {result.message}", result.hint)
    click.echo(f"测试页已打印 / Test page printed: {result.message}")


def _register_device_commands() -> None:
    """The Hardware II checks and the support bundle, each in its own module."""
    from .doctor_bundle import doctor_bundle
    from .doctor_camera import doctor_camera
    from .doctor_rating import doctor_rating
    from .doctor_scan import doctor_scan
    from .doctor_sign import doctor_sign
    from .doctor_speak import speak

    for command in (doctor_camera, doctor_rating, doctor_sign, doctor_scan, speak,
                    doctor_bundle):
        doctor.add_command(command)


_register_device_commands()
