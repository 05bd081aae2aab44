"""The WindowSign role against the simulated sign on a pseudo-terminal: show never raises,
health says why in plain words, and after an unplug a replug is all it takes (the text is
shown again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devices.health import DeviceState
from devices.window_sign import SIGN_OPTIONS, WindowSign, sign_from_options
from drivers.led_sign import preset
from drivers.sim.led_sign import LedSignSim, LedSignSimConfig
from drivers.transports import SerialTransport, Transport, TransportError


class Bench:
    """A simulated sign, replugged as a new pty; ``plugged=False``: nothing there yet."""

    def __init__(self, plugged: bool = True, **options: Any):
        self.options = {"baudrate": None, **options}
        self.sims: list[LedSignSim] = []
        self.sim: LedSignSim | None = None
        self.opened: list[Transport] = []
        if plugged:
            self.replug()

    def open_transport(self) -> Transport:
        if self.sim is None or self.sim.unplugged:
            raise TransportError("/dev/ttyUSB9: no such port; is the device plugged in, and "
                                 "is the port name right?")
        transport = SerialTransport(self.sim.path)
        self.opened.append(transport)
        return transport

    def replug(self, **options: Any) -> LedSignSim:
        self.sim = LedSignSim(LedSignSimConfig(**{**self.options, **options}))
        self.sims.append(self.sim)
        return self.sim

    def close(self) -> None:
        for transport in self.opened:
            transport.close()
        for sim in self.sims:
            sim.close()


@pytest.fixture
def bench() -> Iterator[list[Bench]]:
    made: list[Bench] = []
    yield made
    for b in made:
        b.close()


def _make(benches: list[Bench], name: str = "stx-etx", **options: Any
          ) -> tuple[Bench, WindowSign]:
    b = Bench(preset=name, **options)
    benches.append(b)
    return b, WindowSign(b.open_transport, preset(name), timeout_s=0.3)


@pytest.mark.parametrize("name", ["stx-etx", "fe-sum8"])
def test_missing_then_ok_after_replug_and_the_text_comes_back(bench: list[Bench], name: str
                                                              ) -> None:
    b = Bench(plugged=False, preset=name)
    bench.append(b)
    sign = WindowSign(b.open_transport, preset(name), timeout_s=0.3)
    assert sign.health().state is DeviceState.MISSING
    assert sign.show("请A001号到3号窗口") is False  # never raises
    health = sign.health()
    assert health.state is DeviceState.MISSING
    assert "找不到窗口屏" in health.message and "not connected" in health.message
    assert "检查数据线" in health.hint
    sim = b.replug()
    assert sign.health().state is DeviceState.OK
    assert sim.wait_for_frames(1) and sim.text == "请A001号到3号窗口"  # shown on reconnect

    sim.unplug()
    assert sign.health().state is DeviceState.MISSING  # a dead link is noticed unasked
    sim = b.replug()
    assert sign.health().ok and sign.reconnects >= 1
    assert sim.wait_for_frames(1) and sim.text == "请A001号到3号窗口"
    assert sign.show("请A002号到3号窗口") and sim.wait_for_frames(2)
    assert sim.text == "请A002号到3号窗口"
    sign.close()


def test_the_first_show_after_an_unnoticed_unplug_is_not_lost(bench: list[Bench]) -> None:
    b, sign = _make(bench)
    assert sign.show("A001")
    b.sim.unplug()  # type: ignore[union-attr]
    sim = b.replug()
    assert sign.show("A002")  # the old link fails, a fresh one is opened at once
    assert sim.text == "A002"
    sign.close()


def test_no_ack_nak_and_garbage_say_why(bench: list[Bench]) -> None:
    _, sign = _make(bench, no_ack=True)
    assert sign.show("A001") is False
    health = sign.last_health
    assert health.state is DeviceState.MISSING and "没有应答" in health.message
    assert "屏地址" in health.hint
    _, sign = _make(bench, garbage=1.0, seed=1)
    assert sign.show("A001") is False
    assert sign.last_health.state is DeviceState.ERROR
    assert "应答有误" in sign.last_health.message
    b = Bench(preset="stx-etx", framing_options={"checksum": "sum8"})
    bench.append(b)
    sign = WindowSign(b.open_transport, preset("stx-etx"), timeout_s=0.3)
    assert sign.show("A001") is False
    assert sign.last_health.state is DeviceState.ERROR and "NAK" in sign.last_health.message
    for s in (sign,):
        s.close()


def test_replaced_characters_are_a_note_on_ok_health(bench: list[Bench]) -> None:
    b, sign = _make(bench)
    assert sign.show("请张䶮到3号窗口")
    health = sign.health()
    assert health.ok and "□" in health.message and "1 character" in health.message
    assert b.sim is not None and b.sim.text == "请张□到3号窗口"
    assert sign.last_result is not None and sign.last_result.replaced == ("䶮",)
    assert sign.clear() and b.sim.wait_for_frames(2) and b.sim.text == ""
    assert sign.health().message == ""
    sign.close()


def test_sign_from_options(bench: list[Bench]) -> None:
    b = Bench(preset="aa55-sum16", own_address=3)
    bench.append(b)
    sign = sign_from_options(b.open_transport, {"preset": "aa55-sum16", "address": 3,
                                                "timeout_s": 0.3})
    assert sign.framing.address == 3 and sign.timeout_s == 0.3
    assert sign.show("暂停服务") and b.sim is not None and b.sim.text == "暂停服务"
    sign.close()
    with pytest.raises(ValueError, match="unknown option"):
        sign_from_options(b.open_transport, {"colour": "red"})
    with pytest.raises(ValueError, match="checksum must be"):
        sign_from_options(b.open_transport, {"checksum": "crc32"})
    assert set(SIGN_OPTIONS) >= {"preset", "address", "timeout_s", "encoding"}
