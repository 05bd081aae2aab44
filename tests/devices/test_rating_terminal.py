"""The RatingTerminal role over the simulator on a pseudo-terminal and over a keypad fed
through a FIFO: ratings, health MISSING then OK after a replug, the staff card shown again
on a fresh terminal, faults, cancel, and a rating counted once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.health import DeviceState, Health
from devices.rating_terminal import RatingOutcome, RatingTerminal
from drivers.evdev_input import EV_KEY, EvdevDevice, encode_event
from drivers.rating_bianmin import ShowStaff
from drivers.sim.rating_terminal import RatingSimConfig, RatingTerminalSim
from drivers.transports import SerialTransport, Transport, TransportError

FAST = {"heartbeat_interval_s": 0.1, "reopen_interval_s": 0.1, "timeout_s": 0.6}


def wait_for(predicate: Callable[[], bool], timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


class Bench:
    """A simulated terminal on a pty, replugged as a new pty."""

    def __init__(self, **options: Any):
        self.options = {"baudrate": None, "retry_s": 0.2, **options}
        self.sims = [RatingTerminalSim(RatingSimConfig(**self.options))]
        self.opened: list[Transport] = []
        self.health: list[Health] = []

    @property
    def sim(self) -> RatingTerminalSim:
        return self.sims[-1]

    def open_transport(self) -> Transport:
        transport = SerialTransport(self.sim.path, 9600)  # the current link, as after replug
        self.opened.append(transport)
        return transport

    def replug(self, **options: Any) -> None:
        self.sims.append(RatingTerminalSim(RatingSimConfig(**{**self.options, **options})))

    def role(self, **kwargs: Any) -> RatingTerminal:
        role = RatingTerminal(self.open_transport, **{**FAST, **kwargs})
        role.on_health_changed(self.health.append)
        return role

    def close(self) -> None:
        for transport in self.opened:
            transport.close()
        for sim in self.sims:
            sim.unplug()


@pytest.fixture
def bench_factory() -> Iterator[Callable[..., Bench]]:
    benches: list[Bench] = []

    def make(**options: Any) -> Bench:
        benches.append(Bench(**options))
        return benches[-1]

    yield make
    for bench in benches:
        bench.close()


def test_ask_and_show_staff_without_the_watch_thread(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory(auto=4, delay_s=0.1)
    role = bench.role()
    try:
        assert role.health().state is DeviceState.MISSING  # not opened yet
        assert role.show_staff("王秀英", window_no=2, window_name="2号窗口").ok
        assert bench.sim.staff == ShowStaff("王秀英", 2, "2号窗口")
        outcome = role.ask("2024-0007", 5)
        assert isinstance(outcome, RatingOutcome)
        assert (outcome.level, outcome.level_text, outcome.timed_out) == (4, "满意", False)
        assert outcome.channel == "terminal" and outcome.case_no == "2024-0007"
        assert role.health().ok and role.firmware == "SIM-RT 1.0"
    finally:
        role.stop()


def test_a_rating_whose_ack_was_lost_counts_once(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory(auto=2, reasons=(1,), delay_s=0.05, drop_ack=1)
    role = bench.role()
    role.start()
    try:
        outcomes = [role.ask("A-1", 5), role.ask("A-2", 5)]
        assert [(o.level, o.reasons) for o in outcomes] == [(2, (1,)), (2, (1,))]
        wait_for(lambda: bench.sim.transmissions >= 3)  # the first result went out twice
        assert len(bench.sim.ratings) == 2 and bench.sim.acks_dropped == 1
    finally:
        role.stop()


def test_health_missing_then_ok_after_replug(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    role = bench.role()
    role.start()
    try:
        wait_for(lambda: role.health().ok)
        role.show_staff("李娜", window_no=3)
        bench.sim.unplug()
        wait_for(lambda: role.health().state is DeviceState.MISSING)
        missing = role.health()
        assert " / " in missing.message and "检查" in missing.hint
        outcome = role.ask("B-1", 5)  # asked while unplugged: an answer, not an exception
        assert outcome.level is None and outcome.error and outcome.hint
        time.sleep(0.3)  # several reopen attempts against the vanished port
        assert role.health().state is DeviceState.MISSING
        bench.replug(auto=5, delay_s=0.05)
        wait_for(lambda: role.health().ok)
        wait_for(lambda: bench.sim.staff is not None)
        assert bench.sim.staff == ShowStaff("李娜", 3)  # shown again on the fresh terminal
        assert role.ask("B-2", 5).level == 5
        states = [h.state for h in bench.health]
        assert states[-2:] == [DeviceState.MISSING, DeviceState.OK]
    finally:
        role.stop()


def test_a_terminal_that_stops_answering_is_missing(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory(silent=True)
    role = bench.role()
    role.start()
    try:
        wait_for(lambda: "did not answer" in role.health().message)
        assert role.health().state is DeviceState.MISSING
        assert "9600" in role.health().hint
    finally:
        role.stop()


def test_fault_gives_error_health_and_an_error_outcome(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory(fault="display")
    role = bench.role(heartbeat_interval_s=30)
    try:
        outcome = role.ask("C-1", 5)
        assert outcome.level is None and "display" in outcome.error
        assert role.health().state is DeviceState.ERROR
        assert role.check().ok  # the next good heartbeat clears it
    finally:
        role.stop()


def test_cancel_from_another_thread(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    role = bench.role()
    role.start()
    try:
        threading.Timer(0.3, role.cancel).start()
        start = time.monotonic()
        outcome = role.ask("D-1", 30)
        assert outcome.cancelled and time.monotonic() - start < 2
        assert bench.sim.prompt is None
    finally:
        role.stop()


def test_bad_arguments_are_errors_at_once(bench_factory: Callable[..., Bench]) -> None:
    bench = bench_factory()
    with pytest.raises(ValueError):
        RatingTerminal(kind="keypad")
    with pytest.raises(ValueError):
        RatingTerminal(bench.open_transport, kind="touchscreen")
    with pytest.raises(ValueError, match="level"):
        RatingTerminal(kind="keypad", open_keys=lambda: None,  # type: ignore[arg-type,return-value]
                       keymap={"F1": 9})
    role = bench.role()
    with pytest.raises(ValueError):
        role.ask("", 5)
    with pytest.raises(ValueError):
        role.show_staff("名" * 30)


# --------------------------------------------------------------------------- keypad


def _press(code: int) -> bytes:
    return encode_event(EV_KEY, code, 1) + encode_event(EV_KEY, code, 0)


def test_keypad_role_missing_until_the_node_appears_then_rates(tmp_path: Path) -> None:
    node = tmp_path / "event7"
    role = RatingTerminal(kind="keypad", open_keys=lambda: EvdevDevice(str(node)),
                          keymap={"F1": 5, "F2": 4, "F3": 3, "F4": 2, "F5": 1}, **FAST)
    changes: list[Health] = []
    role.on_health_changed(changes.append)
    role.start()
    writer_fd: list[int] = []
    try:
        wait_for(lambda: "no such input device" in role.health().message)
        assert role.health().state is DeviceState.MISSING
        assert "input" in role.health().hint
        os.mkfifo(node)  # the keypad is plugged in
        wait_for(lambda: role.health().ok)
        assert role.show_staff("张伟").ok  # nothing to show on a keypad, and no error

        def type_keys() -> None:
            time.sleep(0.5)
            writer_fd.append(os.open(node, os.O_WRONLY))
            os.write(writer_fd[0], _press(62))  # F4: level 2 in this vendor's map

        writer = threading.Thread(target=type_keys)
        writer.start()
        outcome = role.ask("E-1", 5)
        writer.join()
        assert (outcome.level, outcome.level_text, outcome.reasons) == (2, "不满意", ())
        os.write(writer_fd[0], _press(59))  # between prompts: dropped by the watch thread
        time.sleep(0.2)
        assert role.ask("E-2", 1).timed_out
        assert [c.state for c in changes][-2:] == [DeviceState.MISSING, DeviceState.OK]
    finally:
        role.stop()
        for fd in writer_fd:
            os.close(fd)


class _FakeKeys:
    """A key source whose keypad can be pulled: reads then fail as ENODEV does."""

    def __init__(self, board: dict[str, Any]):
        self.name = "fake-keys"
        self.board = board

    def read_events(self, timeout_s: float) -> list[Any]:
        if self.board["pulled"]:
            raise TransportError("fake-keys: the input device went away")
        time.sleep(min(timeout_s, 0.01))
        return []

    def close(self) -> None:
        self.board["closed"] += 1


def test_keypad_pulled_is_missing_and_reopened_when_back() -> None:
    board: dict[str, Any] = {"pulled": False, "opens": 0, "closed": 0}

    def open_keys() -> _FakeKeys:
        if board["pulled"]:
            raise TransportError("fake-keys: no such input device; is the keypad plugged in?")
        board["opens"] += 1
        return _FakeKeys(board)

    role = RatingTerminal(kind="keypad", open_keys=open_keys, **FAST)
    role.start()
    try:
        wait_for(lambda: role.health().ok)
        board["pulled"] = True
        wait_for(lambda: role.health().state is DeviceState.MISSING)
        assert board["closed"] == 1  # the dead device was closed
        board["pulled"] = False
        wait_for(lambda: role.health().ok)
        assert board["opens"] == 2
    finally:
        role.stop()
