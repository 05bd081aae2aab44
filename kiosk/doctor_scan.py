"""``bianmin doctor scan``: wait for one scan and print it (docs/devices/scanner.md).

Exits 0 with a scan, 1 when nothing was scanned in time or the scanner cannot be opened, 2
when the command could not run (a bad URL or option). When nothing arrived, what *did*
arrive (slow keys, lines without an end, garbage) becomes the hint, since that is almost
always a scanner setting.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from devices.code_scanner import WedgeScanner, scanner_from_url
from devices.health import HINT_CABLE
from drivers.scanner_serial import SerialScanner
from drivers.transports import TransportError

EXIT_DEVICE = 1
EXIT_USAGE = 2

HINT_SETUP = ("扫码枪设为 USB 键盘模式（或虚拟串口模式）、美式键盘布局、后缀回车；对准条码再试 / "
              "Set the scanner to USB keyboard (or virtual COM) mode, US keyboard layout, "
              "Enter as suffix; aim at a code and try again")


def _fail(message: str, hint: str = "", code: int = EXIT_DEVICE) -> None:
    click.echo(message, err=True)
    if hint:
        click.echo(f"请检查 / Check: {hint}", err=True)
    sys.exit(code)


def _what_arrived(source: Any) -> str:
    """A hint from what the source saw that was not a scan."""
    if isinstance(source, WedgeScanner):
        stats = source.decoder.stats
        if stats.unterminated or source.decoder.pending:
            return ("收到了字符但没有回车结尾 / characters arrived without Enter at the end; "
                    "set the scanner's suffix to Enter (CR)")
        if stats.typing:
            return ("收到了按键，但间隔太慢，不像扫码枪 / keys arrived, but too slowly for a "
                    "scanner (typing?); check the scanner's transmit speed setting")
        if stats.other_keys:
            return ("收到了功能键或组合键 / keys that type nothing arrived (F-keys, Ctrl, "
                    "Alt); set the scanner to plain key codes, not Alt+numpad")
        if stats.too_short:
            return "收到的码太短 / the codes that arrived were too short"
    elif isinstance(source, SerialScanner):
        stats = source.reader.stats
        if stats.partial or source.reader.pending:
            return ("收到了数据但没有行结束符 / data arrived without a line end; set the "
                    "scanner's suffix to CR (or CR LF)")
        if stats.garbage:
            return ("收到了乱码 / garbled bytes arrived; check the baud rate (9600 8N1 is the "
                    "usual setting)")
        if stats.too_long:
            return "收到的一行太长 / a line that arrived was too long"
    return ""


@click.command("scan")
@click.option("--port", required=True,
              help="扫码枪地址 / The scanner's URL: file:///dev/input/eventN (keyboard "
              "wedge), serial:///dev/ttyACM0 or usb://VID:PID (serial mode), or "
              "sim://scanner.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=30.0,
              show_default=True, help="等待扫码的秒数 / Seconds to wait for a scan.")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / Print JSON on stdout.")
def doctor_scan(port: str, timeout_s: float, as_json: bool) -> None:
    """等待扫一个码并显示 / Wait for one scan and print it."""
    try:
        open_source, simulator = scanner_from_url(port)
    except ValueError as exc:  # DeviceUrlError included
        _fail(f"设备地址有误 / The device URL is not usable: {exc}", code=EXIT_USAGE)
    try:
        try:
            source = open_source()
        except TransportError as exc:
            text = str(exc).lower()
            hint = HINT_CABLE
            if "permission" in text:
                hint = ("把服务用户加入 input 组（键盘模式）或 dialout 组（串口模式），或检查 "
                        "udev 规则 / Add the user to the input group (keyboard mode) or the "
                        "dialout group (serial mode), or check the udev rule")
            elif "grabbed" in text:
                hint = ("关闭占用扫码枪的其他程序 / Close the other program that holds the "
                        "scanner")
            _fail(f"无法打开扫码枪 / Cannot open the scanner: {exc}", hint)
        try:
            scan = None
            deadline = time.monotonic() + timeout_s
            while scan is None and time.monotonic() < deadline:
                scan = source.read_scan(min(0.5, max(0.01, deadline - time.monotonic())))
        except TransportError as exc:
            _fail(f"扫码枪断开了 / The scanner went away: {exc}", HINT_CABLE)
        finally:
            source.close()
    finally:
        if simulator is not None:
            simulator.close()
    if scan is None:
        seen = _what_arrived(source)
        _fail(f"没有扫到码 / Nothing was scanned within {timeout_s:g} s"
              + (f": {seen}" if seen else ""), HINT_SETUP)
    if as_json:
        click.echo(json.dumps({"text": scan.text, "source": scan.source, "ms": scan.ms},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"扫到 / Scanned: {scan.text}")
    click.echo(f"来源 / Source: {scan.source}")
    click.echo(f"用时 / Took: {scan.ms} ms")
