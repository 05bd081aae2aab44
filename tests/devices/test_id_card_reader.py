"""The IdCardReader role against the SAM simulator on a pseudo-terminal: placed/removed
events, no double reads, unplug/replug recovery, and health in plain words."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devices.health import DeviceState, Health
from devices.id_card_reader import IdCardReader, NoCardError
from drivers.sam_ga467 import SW3_TABLE, IdCard
from drivers.sim.sam_reader import SamReaderSim, SamSimConfig
from drivers.transports import SerialTransport, Transport, TransportError

FAST = {"poll_interval_s": 0.03, "reopen_interval_s": 0.1, "timeout_s": 0.5}


class Bench:
    """A simulated reader on a pty, replugged as a new pty, plus the events a role emitted."""

    def __init__(self, **options: Any):
        self.options = {"baudrate": None, **options}
        self.sim = SamReaderSim(SamSimConfig(**self.options))
        self.sims = [self.sim]
        self.events: list[tuple[str, Any]] = []
        self.cond = threading.Condition()
        self.opened: list[Transport] = []

    def open_transport(self) -> Transport:
        transport = SerialTransport(self.sim.path)  # the current link, as after a replug
        self.opened.append(transport)
        return transport

    def replug(self, **options: Any) -> None:
        self.sim = SamReaderSim(SamSimConfig(**{**self.options, **options}))
        self.sims.append(self.sim)

    def attach(self, role: IdCardReader) -> IdCardReader:
        role.on_card_placed(lambda card, photo: self._record("placed", (card, photo)))
        role.on_card_removed(lambda: self._record("removed", None))
        role.on_health_changed(lambda health: self._record("health", health))
        return role

    def _record(self, kind: str, value: Any) -> None:
        with self.cond:
            self.events.append((kind, value))
            self.cond.notify_all()

    def kinds(self, *wanted: str) -> list[str]:
        with self.cond:
            return [kind for kind, _ in self.events if kind in wanted]

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 3.0) -> None:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; events: {self.summary()}")
                self.cond.wait(min(left, 0.02))

    def placed_cards(self) -> list[IdCard]:
        with self.cond:
            return [value[0] for kind, value in self.events if kind == "placed"]

    def summary(self) -> list[str]:
        return [kind if kind != "health" else f"health:{value.state.value}"
                for kind, value in self.events]

    def close(self) -> None:
        for transport in self.opened:
            transport.close()
        for sim in self.sims:
            sim.unplug()


@pytest.fixture
def bench_factory() -> Iterator[Callable[..., Bench]]:
    benches: list[Bench] = []

    def make(**options: Any) -> Bench:
        bench = Bench(**options)
        benches.append(bench)
        return bench

    yield make
    for bench in benches:
        bench.close()


def _role(bench: Bench, **kwargs: Any) -> IdCardReader:
    return bench.attach(IdCardReader(bench.open_transport, **{**FAST, **kwargs}))


def test_placed_then_removed(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    role = _role(bench)
    role.start()
    try:
        bench.wait_for(lambda: role.health().ok)
        bench.sim.place("resident_elderly")
        bench.wait_for(lambda: bench.kinds("placed") == ["placed"])
        card = bench.placed_cards()[0]
        assert card.id_number == "11010519491231002X" and role.card == card
        bench.sim.remove()
        bench.wait_for(lambda: bench.kinds("placed", "removed") == ["placed", "removed"])
        assert role.card is None
        bench.sim.place("foreign_2017")
        bench.wait_for(lambda: len(bench.kinds("placed")) == 2)
        assert bench.placed_cards()[1].card_type == "foreign_2017"
    finally:
        role.stop()


@pytest.mark.parametrize("mode", ["present", "absent"])
def test_no_second_read_while_the_card_lies_there(bench_factory: Callable[..., Bench],
                                                   mode: str) -> None:
    bench = bench_factory(card="resident_young", find_after_read=mode)
    role = _role(bench)
    role.start()
    try:
        bench.wait_for(lambda: bench.kinds("placed") == ["placed"])
        time.sleep(20 * FAST["poll_interval_s"])  # many polls with the card on the reader
        assert bench.sim.reads == 1
        assert bench.kinds("placed") == ["placed"]
        finds = bench.sim.received.count("find")
        assert finds >= 10  # it did keep polling
        if mode == "present":
            assert bench.kinds("removed") == []
        else:  # the reader hides a read card: reported as removed (documented limit)
            assert bench.kinds("removed") == ["removed"]
        bench.sim.remove()
        bench.wait_for(lambda: bench.kinds("removed") == ["removed"])
        bench.sim.place("resident_young")
        bench.wait_for(lambda: len(bench.kinds("placed")) == 2)
        assert bench.sim.reads == 2
    finally:
        role.stop()


def test_unplug_then_replug_recovers(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory(card="hmt_permit")
    role = _role(bench)
    role.start()
    try:
        bench.wait_for(lambda: bench.kinds("placed") == ["placed"])
        bench.sim.unplug()
        bench.wait_for(lambda: role.health().state is DeviceState.MISSING)
        missing = role.health()
        assert " / " in missing.message and "检查数据线" in missing.hint
        bench.wait_for(lambda: bench.kinds("removed") == ["removed"])
        time.sleep(0.3)  # a few reopen attempts against the vanished port
        assert role.health().state is DeviceState.MISSING
        bench.replug(card="resident_elderly")
        bench.wait_for(lambda: len(bench.kinds("placed")) == 2)
        assert bench.placed_cards()[1].name == "王秀英"
        assert role.health().ok
        states = [v.state for k, v in bench.events if k == "health"]
        assert states[-2:] == [DeviceState.MISSING, DeviceState.OK]
    finally:
        role.stop()


def test_sam_error_gives_error_health_until_it_clears(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    role = _role(bench)
    role.start()
    try:
        bench.wait_for(lambda: role.health().ok)
        bench.sim.set_error("find", 0x60)
        bench.wait_for(lambda: role.health().state is DeviceState.ERROR)
        assert role.health().message == SW3_TABLE[0x60].message
        assert role.health().hint == SW3_TABLE[0x60].hint
        bench.sim.set_error("find", None)
        bench.wait_for(lambda: role.health().ok)
    finally:
        role.stop()


def test_read_error_is_error_health_and_the_card_is_read_once_it_clears(
        bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory(card="resident_elderly", errors={"read": 0x41})
    role = _role(bench)
    role.start()
    try:
        bench.wait_for(lambda: role.health().state is DeviceState.ERROR)
        assert "reading the card failed" in role.health().message
        assert bench.kinds("placed") == []
        bench.sim.set_error("read", None)
        bench.wait_for(lambda: bench.kinds("placed") == ["placed"])
        assert role.health().ok
    finally:
        role.stop()


def test_a_reader_that_stops_answering_is_missing_and_comes_back(
        bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    role = _role(bench, timeout_s=0.3)
    role.start()
    try:
        bench.wait_for(lambda: role.health().ok)
        bench.sim.set_stall("find")
        bench.wait_for(lambda: role.health().state is DeviceState.MISSING)
        assert "did not answer" in role.health().message
        bench.sim.set_stall("find", False)
        bench.wait_for(lambda: role.health().ok)
    finally:
        role.stop()


def test_never_opened_port_is_missing_with_a_hint(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    seen: list[Health] = []

    def nowhere() -> Transport:
        return SerialTransport("/dev/nonexistent-id-reader")

    role = IdCardReader(nowhere, **FAST)
    role.on_health_changed(seen.append)
    role.start()
    try:
        bench.wait_for(lambda: bool(seen))
        assert role.health().state is DeviceState.MISSING
        assert "no such port" in role.health().message
    finally:
        role.stop()


def test_photo_decoder_and_failing_callbacks(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory(card="resident_longterm")
    photos: list[bytes | None] = []

    def decoder(wlt: bytes) -> bytes:
        assert len(wlt) == 1024
        return b"BM-decoded"

    role = IdCardReader(bench.open_transport, wlt_decoder=decoder, **FAST)
    role.on_card_placed(lambda card, photo: 1 / 0)  # a broken subscriber ...
    role.on_card_placed(lambda card, photo: photos.append(photo))  # ... does not stop others
    role.start()
    try:
        bench.wait_for(lambda: bool(photos))
        assert photos == [b"BM-decoded"]
    finally:
        role.stop()

    def broken(wlt: bytes) -> bytes:
        raise OSError("vendor library crashed")

    bench.sim.place("resident_longterm")
    role = IdCardReader(bench.open_transport, wlt_decoder=broken, **FAST)
    role.on_card_placed(lambda card, photo: photos.append(photo))
    role.start()
    try:
        bench.wait_for(lambda: len(photos) == 2)
        assert photos[1] is None and role.health().ok
    finally:
        role.stop()


def test_read_once_without_the_thread(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    role = IdCardReader(bench.open_transport, **FAST)
    started = time.monotonic()
    with pytest.raises(NoCardError, match="no card"):
        role.read_once(0.3)
    assert time.monotonic() - started < 0.3 + 0.5
    threading.Timer(0.1, bench.sim.place, args=("foreign_2023",)).start()
    card = role.read_once(2.0)
    assert card.card_type == "foreign_2023"
    SerialTransport(bench.sim.path).close()  # exclusive open: read_once closed its own


def test_read_once_while_polling(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    role = _role(bench)
    role.start()
    try:
        with pytest.raises(NoCardError):
            role.read_once(0.2)
        threading.Timer(0.1, bench.sim.place, args=("resident_rare_supplementary",)).start()
        assert role.read_once(2.0).name == "林\U0002020c"
        assert role.read_once(0.1).name == "林\U0002020c"  # the card lying there
        assert bench.sim.reads == 1
    finally:
        role.stop()


def test_read_once_on_a_missing_port_is_a_plain_transport_error() -> None:
    role = IdCardReader(lambda: SerialTransport("/dev/nonexistent-id-reader"), **FAST)
    with pytest.raises(TransportError, match="no such port"):
        role.read_once(0.2)


def test_stop_is_prompt(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory(card="resident_elderly")
    role = _role(bench)
    role.start()
    bench.wait_for(lambda: bench.kinds("placed") == ["placed"])
    started = time.monotonic()
    role.stop()
    assert time.monotonic() - started < 1.0
    assert all(not t.is_alive() for t in threading.enumerate() if t.name == "id-card-reader")
