"""``bianmin doctor sign``: show a text on a window LED sign (docs/devices/sign.md).

Exits 0 when the sign took the text, 1 when it did not (not connected, no ACK, NAK or a
garbled answer), 2 when the command could not run (a bad URL, preset or option). Errors are
"中文 / English" on stderr with what to check.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from devices.registry import transport_opener
from devices.urls import DeviceUrlError, parse_device_url
from devices.window_sign import DEFAULT_BAUD, WindowSign
from drivers.led_sign import DEFAULT_PRESET, PRESETS, SignFraming
from drivers.sim.led_sign import LedSignSim, LedSignSimConfig

EXIT_DEVICE = 1
EXIT_USAGE = 2


def _fail(message: str, hint: str = "", code: int = EXIT_DEVICE) -> None:
    click.echo(message, err=True)
    if hint:
        click.echo(f"请检查 / Check: {hint}", err=True)
    sys.exit(code)


def _usage(detail: str) -> None:
    _fail(f"设备地址或参数有误 / The device URL or an option is not usable: {detail}",
          code=EXIT_USAGE)


@click.command("sign")
@click.option("--port", required=True,
              help="窗口屏地址 / The sign's URL, e.g. serial:///dev/ttyUSB0?baud=9600, "
              "usb://1A86:7523 or sim://sign.")
@click.option("--text", required=True, help="要显示的文字 / The text to show.")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default=None,
              help=f"帧格式预设 / Framing preset (default {DEFAULT_PRESET}, or the one in a "
              "sim:// URL).")
@click.option("--address", type=click.IntRange(0, 255), default=None,
              help="屏地址 / The sign's bus address (0–255), overriding the preset's.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.05), default=1.0,
              show_default=True, help="等待应答的秒数 / Seconds to wait for the ACK.")
@click.option("--save-png", type=click.Path(dir_okay=False, path_type=Path),
              help="模拟屏：把显示效果保存为 PNG / For sim://sign: save what it shows as PNG.")
def doctor_sign(port: str, text: str, preset: str | None, address: int | None,
                timeout_s: float, save_png: Path | None) -> None:
    """在窗口屏上显示文字 / Show a text on a window LED sign."""
    try:
        url = parse_device_url(port)
    except DeviceUrlError as exc:
        _usage(str(exc))
    simulator: LedSignSim | None = None
    options: dict[str, Any] = {"preset": preset or DEFAULT_PRESET}
    try:
        if url.scheme == "sim":
            if url.target != "sign":
                _usage(f"the window sign's simulator is sim://sign, not sim://{url.target}")
            sim_options = dict(url.options)
            if preset is not None:
                sim_options.setdefault("preset", preset)
            config = LedSignSimConfig.from_url_options(sim_options)
            # the driver speaks what the simulated controller speaks, unless told otherwise
            options = {"preset": preset or config.preset, **config.framing_options}
        if address is not None:
            options["address"] = address
        framing = SignFraming.from_options(options)
    except ValueError as exc:
        _usage(str(exc))
    if save_png is not None and url.scheme != "sim":
        _usage("--save-png works with sim://sign only")
    if url.scheme == "sim":
        simulator = LedSignSim(config)
    sign = WindowSign(transport_opener(url, DEFAULT_BAUD, simulator), framing,
                      timeout_s=timeout_s)
    try:
        ok = sign.show(text)
        health = sign.last_health
        if ok and simulator is not None and save_png is not None:
            simulator.wait_for_frames(1, timeout_s=2.0)
            simulator.save_png(save_png)
            click.echo(f"已保存 / Saved: {save_png}")
    finally:
        sign.close()
        if simulator is not None:
            simulator.close()
    if not ok:
        _fail(f"窗口屏没有显示 / The sign did not take the text: {health.message}", health.hint)
    result = sign.last_result
    assert result is not None
    click.echo(f"窗口屏已显示 / The sign shows: {result.shown}")
    if health.message:
        click.echo(f"注意 / Note: {health.message}")
    if result.acked is None:
        click.echo("注意 / Note: 此帧格式没有应答，请看屏上文字是否正确 / this framing has no "
                   "ACK; look at the sign to check the text")
