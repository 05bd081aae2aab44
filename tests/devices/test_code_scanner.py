"""The CodeScanner role against both simulated scanners: serial mode over a pseudo-terminal,
and keyboard wedge as real input_event records in a FIFO read by drivers.evdev_input (so the
real reader and decoder run). Scans arrive as callbacks, health goes MISSING on an unplug
and OK after the replug, and no exception escapes the thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.code_scanner import (
    SERIAL_OPTIONS,
    WEDGE_OPTIONS,
    CodeScanner,
    NoScanError,
    ScanSource,
    WedgeScanner,
    decoder_from_options,
    line_reader_from_options,
    scanner_from_url,
    serial_opener,
    wedge_opener,
)
from devices.health import DeviceState, Health
from drivers.evdev_input import EvdevDevice
from drivers.scan_decoder import Scan, ScanDecoder
from drivers.sim.code_scanner import CodeScannerSimConfig, SerialScannerSim, WedgeScannerSim
from drivers.transports import SerialTransport, Transport, TransportError


class Recorder:
    def __init__(self, scanner: CodeScanner):
        self.scans: list[Scan] = []
        self.health: list[Health] = []
        self.cond = threading.Condition()
        scanner.on_scan(lambda s: self._add(self.scans, s))
        scanner.on_health_changed(lambda h: self._add(self.health, h))

    def _add(self, target: list, value: Any) -> None:
        with self.cond:
            target.append(value)
            self.cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 3.0) -> None:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out: scans {[s.text for s in self.scans]}, "
                                         f"health {[h.state.value for h in self.health]}")
                self.cond.wait(min(left, 0.02))

    def texts(self) -> list[str]:
        with self.cond:
            return [s.text for s in self.scans]

    def state(self) -> DeviceState | None:
        with self.cond:
            return self.health[-1].state if self.health else None


# --------------------------------------------------------------------------- wedge


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "usb-scanner-event-kbd"
    yield path


def test_wedge_scans_through_the_evdev_reader(fifo: Path) -> None:
    sim = WedgeScannerSim(CodeScannerSimConfig(mode="wedge", fifo=str(fifo)))
    device = EvdevDevice(str(fifo))  # the real reader; no grab on a FIFO
    source = WedgeScanner(device, ScanDecoder())
    try:
        assert not device.grabbed
        sim.scan("Hello, World! #42")
        sim.type_slowly("1234", key_interval_ms=80)  # a person on the same device
        sim.scan("A001")
        first = source.read_scan(2.0)
        second = source.read_scan(2.0)
        assert first is not None and second is not None
        assert (first.text, second.text) == ("Hello, World! #42", "A001")
        assert first.source == f"wedge:{fifo}" and 0 < first.ms < 400
        assert source.decoder.stats.typing >= 1
    finally:
        source.close()
        sim.close()


def test_wedge_missing_then_ok_after_replug(fifo: Path) -> None:
    scanner = CodeScanner(wedge_opener(str(fifo)), poll_s=0.05, reopen_interval_s=0.05)
    rec = Recorder(scanner)
    scanner.start()
    sims: list[WedgeScannerSim] = []
    try:
        rec.wait_for(lambda: rec.state() is DeviceState.MISSING)
        health = scanner.health()
        assert "找不到扫码枪" in health.message and "no such input device" in health.message
        sims.append(WedgeScannerSim(CodeScannerSimConfig(mode="wedge", fifo=str(fifo))))
        rec.wait_for(lambda: rec.state() is DeviceState.OK)
        sims[-1].scan("A001")
        rec.wait_for(lambda: rec.texts() == ["A001"])

        sims[-1].unplug()
        rec.wait_for(lambda: rec.state() is DeviceState.MISSING)
        sims.append(WedgeScannerSim(CodeScannerSimConfig(mode="wedge", fifo=str(fifo))))
        rec.wait_for(lambda: rec.state() is DeviceState.OK)
        sims[-1].scan("B002")
        rec.wait_for(lambda: rec.texts() == ["A001", "B002"])
    finally:
        scanner.stop()
        for sim in sims:
            sim.close()


def test_wedge_without_enter_uses_the_silence_rule(fifo: Path) -> None:
    sim = WedgeScannerSim(CodeScannerSimConfig(mode="wedge", fifo=str(fifo), terminator="none"))
    opener = wedge_opener(str(fifo), {"terminator": "none", "end_gap_ms": 80})
    source = opener()
    try:
        sim.scan("A001")
        started = time.monotonic()
        scan = source.read_scan(2.0)
        assert scan is not None and scan.text == "A001"
        assert time.monotonic() - started < 1.0
    finally:
        source.close()
        sim.close()


# --------------------------------------------------------------------------- serial


class SerialBench:
    def __init__(self) -> None:
        self.sim: SerialScannerSim | None = None
        self.sims: list[SerialScannerSim] = []

    def open_transport(self) -> Transport:
        if self.sim is None or self.sim.unplugged:
            raise TransportError("/dev/ttyACM9: no such port; is the device plugged in, and "
                                 "is the port name right?")
        return SerialTransport(self.sim.path, 9600)

    def plug(self, **options: Any) -> SerialScannerSim:
        self.sim = SerialScannerSim(CodeScannerSimConfig(baudrate=None, **options))
        self.sims.append(self.sim)
        return self.sim

    def close(self) -> None:
        for sim in self.sims:
            sim.close()


def test_serial_missing_then_ok_after_replug() -> None:
    bench = SerialBench()
    scanner = CodeScanner(serial_opener(bench.open_transport), poll_s=0.05,
                          reopen_interval_s=0.05)
    rec = Recorder(scanner)
    scanner.start()
    try:
        rec.wait_for(lambda: rec.state() is DeviceState.MISSING)
        assert "检查数据线" in scanner.health().hint
        bench.plug()
        rec.wait_for(lambda: rec.state() is DeviceState.OK)
        bench.sim.scan("A001")  # type: ignore[union-attr]
        rec.wait_for(lambda: rec.texts() == ["A001"])
        bench.sim.unplug()  # type: ignore[union-attr]
        rec.wait_for(lambda: rec.state() is DeviceState.MISSING)
        bench.plug()
        rec.wait_for(lambda: rec.state() is DeviceState.OK)
        bench.sim.scan("B002")  # type: ignore[union-attr]
        rec.wait_for(lambda: rec.texts() == ["A001", "B002"])
    finally:
        scanner.stop()
        bench.close()


def test_a_failing_callback_or_source_never_kills_the_thread() -> None:
    calls = {"n": 0}

    class Flaky:
        def read_scan(self, timeout_s: float) -> Scan | None:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("driver bug")
            time.sleep(0.01)
            return Scan("A001", 0.0, 0.0, "flaky")

        def close(self) -> None:
            pass

    def open_flaky() -> ScanSource:
        return Flaky()

    scanner = CodeScanner(open_flaky, poll_s=0.05, reopen_interval_s=0.05)
    rec = Recorder(scanner)
    scanner.on_scan(lambda scan: 1 / 0)  # a broken subscriber
    scanner.start()
    try:
        rec.wait_for(lambda: len(rec.scans) >= 2)
        assert any(h.state is DeviceState.ERROR for h in rec.health)
        assert scanner.health().ok
    finally:
        scanner.stop()


def test_read_once_with_and_without_the_thread() -> None:
    bench = SerialBench()
    sim = bench.plug()
    scanner = CodeScanner(serial_opener(bench.open_transport), poll_s=0.05)
    try:
        threading.Timer(0.2, sim.scan, ("A001",)).start()
        assert scanner.read_once(2.0).text == "A001"
        started = time.monotonic()
        with pytest.raises(NoScanError, match="nothing was scanned"):
            scanner.read_once(0.3)
        assert time.monotonic() - started < 0.8
        scanner.start()
        threading.Timer(0.2, sim.scan, ("B002",)).start()
        assert scanner.read_once(2.0).text == "B002"
    finally:
        scanner.stop()
        bench.close()


# --------------------------------------------------------------------------- options / URLs


def test_options_and_urls(tmp_path: Path) -> None:
    decoder = decoder_from_options({"gap_ms": 30, "terminator": "tab", "prefix": "~",
                                    "grab": False})
    assert decoder.gap_s == 0.03 and decoder.terminator == "tab" and decoder.prefix == "~"
    reader = line_reader_from_options({"terminator": "crlf", "encodings": "gbk"})
    assert reader.terminator == "crlf" and tuple(reader.encodings) == ("gbk",)
    for bad in ({"gap": 30}, {"terminator": "cr"}, {"gap_ms": "fast"}):
        with pytest.raises(ValueError):
            decoder_from_options(bad)
    with pytest.raises(ValueError, match="encodings"):
        line_reader_from_options({"encodings": "klingon"})
    assert {"gap_ms", "terminator", "grab"} <= set(WEDGE_OPTIONS)
    assert {"terminator", "line_timeout_ms"} <= set(SERIAL_OPTIONS)

    open_source, sim = scanner_from_url(f"file://{tmp_path}/event7")
    assert sim is None
    with pytest.raises(TransportError, match="no such input device"):
        open_source()
    for url in ("sim://scanner?mode=wedge&codes=A001&delay_s=0.05",
                "sim://scanner?codes=A001&delay_s=0.05"):
        open_source, sim = scanner_from_url(url)
        source = open_source()
        try:
            scan = source.read_scan(2.0)
            assert scan is not None and scan.text == "A001"
        finally:
            source.close()
            sim.close()
    for bad in ("sim://scanner?mode=laser", "sim://sign", "sim://scanner?colour=red"):
        with pytest.raises(ValueError):
            scanner_from_url(bad)
    with pytest.raises(ValueError, match="cannot type"):
        CodeScannerSimConfig(mode="wedge", codes=("二维码",))
