"""``bianmin doctor rating``: check a rating terminal (评价器) end to end: heartbeat, a test
staff card, a test prompt, and the level pressed, in words (docs/devices/rating.md).

Exit 0 when a level was pressed; 1 when the terminal cannot be reached, reports a fault, or
nobody pressed within the time; 2 for a usage error (a bad URL or option).

Port URLs (devices/urls.py forms):

- ``serial:///dev/ttyUSB0?baud=9600``, ``usb://VID:PID``, ``tcp://host:port``: a terminal
  speaking Bianmin rating terminal protocol v1;
- ``sim://rating?auto=4``: the built-in simulator (drivers/sim/rating_terminal.py options);
- ``file:///dev/input/event5?kind=keypad``: a five-key keyboard-wedge keypad; a path under
  ``/dev/input/`` is a keypad without saying so. Keypad options: ``keys`` (key map such as
  ``F1:5,F2:4,F3:3,F4:2,F5:1``), ``debounce`` (s), ``grab`` (0 to leave the device shared).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from devices.health import DeviceState
from devices.rating_terminal import RatingTerminal, keypad_opener
from devices.registry import transport_opener
from devices.urls import DeviceUrl, DeviceUrlError, parse_device_url
from drivers.rating_bianmin import REASONS, BianminRatingTerminal, reason_words
from drivers.rating_keypad import DEFAULT_DEBOUNCE_S, parse_keymap

EXIT_DEVICE = 1
EXIT_USAGE = 2
TEST_CASE_NO = "DOCTOR-TEST-0001"
TEST_STAFF = ("测试人员", "TEST-01", 1, "测试窗口")  # name, 工号, window number and name
_KEYPAD_OPTIONS = frozenset({"kind", "keys", "debounce", "grab"})


def _fail(message: str, hint: str = "", code: int = EXIT_DEVICE) -> NoReturn:
    click.echo(message, err=True)
    if hint:
        click.echo(f"请检查 / Check: {hint}", err=True)
    sys.exit(code)


def _usage(message: str) -> NoReturn:
    _fail(f"设备地址有误 / The device URL is not usable: {message}", code=EXIT_USAGE)


def _is_keypad(url: DeviceUrl) -> bool:
    kind = url.options.get("kind")
    if kind not in (None, "keypad", "bianmin"):
        _usage(f"kind is keypad or bianmin, not {kind!r}")
    if kind is not None:
        return kind == "keypad"
    return url.scheme == "file" and url.target.startswith("/dev/input/")


def _keypad(url: DeviceUrl) -> RatingTerminal:
    if url.scheme != "file":
        _usage(f"a keypad is named by its input device, e.g. file:///dev/input/event5, not "
               f"{url}")
    if unknown := set(url.options) - _KEYPAD_OPTIONS:
        _usage(f"unknown keypad options: {', '.join(sorted(unknown))}; known: "
               f"{', '.join(sorted(_KEYPAD_OPTIONS))}")
    try:
        keymap = parse_keymap(url.options["keys"]) if "keys" in url.options else None
        debounce_s = float(url.options.get("debounce", DEFAULT_DEBOUNCE_S))
    except ValueError as exc:
        _usage(str(exc))
    grab = url.options.get("grab", "1") not in ("0", "false", "no", "off")
    return RatingTerminal(kind="keypad", open_keys=keypad_opener(url.target, grab=grab),
                          keymap=keymap, debounce_s=debounce_s)


def _protocol(url: DeviceUrl) -> tuple[RatingTerminal, Any]:
    simulator = None
    options = dict(url.options)
    options.pop("kind", None)
    if url.scheme == "sim":
        from drivers.sim.rating_terminal import RatingSimConfig, RatingTerminalSim

        if url.target != "rating":
            _usage(f"the rating terminal's simulator is sim://rating, not sim://{url.target}")
        try:
            config = RatingSimConfig.from_url_options(options)
        except ValueError as exc:
            _usage(str(exc))
        simulator = RatingTerminalSim(config)
    elif url.scheme == "file":
        _usage(f"{url}: a file URL is a keypad input device; add ?kind=keypad")
    elif unknown := set(options) - {"baud"}:
        _usage(f"unknown options: {', '.join(sorted(unknown))}")
    opener: Callable = transport_opener(url, BianminRatingTerminal.baudrate, simulator)
    return RatingTerminal(opener, kind="bianmin"), simulator


@click.command("rating")
@click.option("--port", required=True,
              help="评价器地址 / The terminal's URL, e.g. serial:///dev/ttyUSB0, sim://rating, "
              "or file:///dev/input/event5?kind=keypad for a five-key keypad.")
@click.option("--timeout", "timeout_s", type=click.IntRange(min=1, max=600), default=30,
              show_default=True, help="等待按键的秒数 / Seconds to wait for a press.")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / Print JSON on stdout.")
def doctor_rating(port: str, timeout_s: int, as_json: bool) -> None:
    """检查评价器：显示测试工作人员，等待一次评价 / Check a rating terminal: show a test staff
    card, wait for one rating and print it."""
    try:
        url = parse_device_url(port)
    except DeviceUrlError as exc:
        _usage(str(exc))
    simulator = None
    if _is_keypad(url):
        terminal = _keypad(url)
    else:
        terminal, simulator = _protocol(url)
    try:
        outcome, firmware = _run_check(terminal, timeout_s, as_json)
    finally:
        terminal.stop()
        if simulator is not None:
            simulator.close()
    reasons = [{"code": code, "text": REASONS.get(code, "未知原因")} for code in outcome.reasons]
    if as_json:
        click.echo(json.dumps({"level": outcome.level, "level_text": outcome.level_text,
                               "reasons": reasons, "timed_out": outcome.timed_out,
                               "firmware": firmware}, ensure_ascii=False, indent=2))
    if outcome.level is None:
        _fail(f"{timeout_s} 秒内没有评价 / No rating within {timeout_s} s",
              "在评价器上按一个评价键；若按了没有反应，检查按键或键位设置 / Press a rating key "
              "on the terminal; if presses do nothing, check the keys or the key map")
    if not as_json:
        click.echo(f"评价 / Rating: {outcome.level_text} ({outcome.level})")
        words = "、".join(reason_words(code) for code in outcome.reasons) or "无 / none"
        click.echo(f"原因 / Reasons: {words}")
        if outcome.seconds is not None:
            click.echo(f"用时 / Time taken: {outcome.seconds:.1f} s")


def _run_check(terminal: RatingTerminal, timeout_s: int, as_json: bool) -> tuple[Any, Any]:
    health = terminal.check()
    if health.state is not DeviceState.OK:
        _fail(health.message, health.hint)
    firmware = terminal.firmware
    name, staff_no, window_no, window_name = TEST_STAFF
    health = terminal.show_staff(name, staff_no=staff_no, window_no=window_no,
                                 window_name=window_name)
    if health.state is not DeviceState.OK:
        _fail(health.message, health.hint)
    if not as_json:
        kind = "五键评价键盘 / five-key keypad" if terminal.kind == "keypad" else (
            f"固件 / firmware {firmware}")
        click.echo(f"评价器正常 / Rating terminal ok: {kind}")
        if terminal.kind != "keypad":
            click.echo(f"已显示测试工作人员 / Test staff card shown: {name}, "
                       f"{window_no}号 {window_name}")
    click.echo(f"请在评价器上按一个评价键（{timeout_s} 秒内） / Press a rating key on the "
               f"terminal now (within {timeout_s} s)", err=True)
    outcome = terminal.ask(TEST_CASE_NO, timeout_s, ask_reasons=True)
    if outcome.error:
        _fail(outcome.error, outcome.hint)
    return outcome, firmware
