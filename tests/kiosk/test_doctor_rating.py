"""`bianmin doctor rating`: the command object run with click's CliRunner against the
simulator's pseudo-terminal (passed as serial://<pty>, so the registry is not involved), a
keypad fed through a FIFO, and the usage errors."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from drivers.evdev_input import EV_KEY, encode_event
from drivers.sim.rating_terminal import RatingSimConfig, RatingTerminalSim
from kiosk.doctor_rating import TEST_CASE_NO, doctor_rating


def run(*args: str) -> Result:
    result = CliRunner().invoke(doctor_rating, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def sim_factory() -> Iterator[Any]:
    sims: list[RatingTerminalSim] = []

    def make(**options: Any) -> RatingTerminalSim:
        sims.append(RatingTerminalSim(RatingSimConfig(**{"retry_s": 0.2, **options})))
        return sims[-1]

    yield make
    for sim in sims:
        sim.unplug()


def test_text_output_names_the_level_in_words(sim_factory: Any) -> None:
    sim = sim_factory(auto=4, delay_s=0.2)
    result = run("--port", f"serial://{sim.path}", "--timeout", "5")
    assert result.exit_code == 0, result.output
    assert "评价 / Rating: 满意 (4)" in result.stdout
    assert "原因 / Reasons: 无 / none" in result.stdout
    assert "SIM-RT 1.0" in result.stdout
    assert "请在评价器上按一个评价键" in result.stderr
    assert sim.staff is not None and sim.staff.name == "测试人员"
    assert [p.case_no for p in sim.prompts] == [TEST_CASE_NO]


def test_json_keys_with_reasons(sim_factory: Any) -> None:
    sim = sim_factory(auto=1, reasons=(2, 0xFF), delay_s=0.1)
    result = run("--port", f"serial://{sim.path}?baud=9600", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"level", "level_text", "reasons", "timed_out", "firmware"}
    assert doc == {"level": 1, "level_text": "非常不满意",
                   "reasons": [{"code": 2, "text": "办事效率低"}, {"code": 255, "text": "其他"}],
                   "timed_out": False, "firmware": "SIM-RT 1.0"}


def test_sim_url_works_without_the_registry() -> None:
    result = run("--port", "sim://rating?auto=5&delay=0.1&garbage=0.2&drop_ack=1&seed=3",
                 "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["level"] == 5


def test_no_press_is_exit_1_and_json_says_timed_out(sim_factory: Any) -> None:
    sim = sim_factory()
    start = time.monotonic()
    result = run("--port", f"serial://{sim.path}", "--timeout", "1", "--json")
    assert result.exit_code == 1
    assert time.monotonic() - start < 4
    assert json.loads(result.stdout)["timed_out"] is True
    assert "没有评价" in result.stderr and "请检查 / Check:" in result.stderr


def test_a_silent_terminal_is_a_plain_device_failure(sim_factory: Any) -> None:
    sim = sim_factory(silent=True)
    result = run("--port", f"serial://{sim.path}")
    assert result.exit_code == 1
    assert "did not answer" in result.stderr and "9600" in result.stderr
    assert result.stdout == ""


def test_nothing_behind_the_port(tmp_path: Path) -> None:
    result = run("--port", f"serial://{tmp_path}/ttyUSB9")
    assert result.exit_code == 1
    assert "评价器未连接" in result.stderr


@pytest.mark.parametrize("port", [
    "/dev/ttyUSB0",
    "sim://rating?colour=red",
    "sim://printer",
    "serial:///dev/ttyUSB0?speed=9600",
    "file:///dev/input/event5?keys=F1:9",
    "file:///dev/input/event5?kind=mouse",
    "file:///tmp/x",
    "tcp://host:1?kind=keypad",
])
def test_usage_errors_exit_2(port: str) -> None:
    result = run("--port", port)
    assert result.exit_code == 2, result.output
    assert "设备地址有误" in result.stderr and result.stdout == ""


def test_timeout_out_of_range_is_a_usage_error() -> None:
    assert run("--port", "sim://rating", "--timeout", "0").exit_code == 2


def test_keypad_through_a_fifo(tmp_path: Path) -> None:
    node = tmp_path / "event5"
    os.mkfifo(node)
    fds: list[int] = []

    def press_f2() -> None:
        time.sleep(0.8)
        fds.append(os.open(node, os.O_WRONLY))
        os.write(fds[0], encode_event(EV_KEY, 60, 1) + encode_event(EV_KEY, 60, 0))

    writer = threading.Thread(target=press_f2)
    writer.start()
    try:
        result = run("--port", f"file://{node}?kind=keypad&keys=F1:5,F2:4,F3:3,F4:2,F5:1",
                     "--timeout", "5", "--json")
    finally:
        writer.join()
        for fd in fds:
            os.close(fd)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"level": 4, "level_text": "满意", "reasons": [],
                                         "timed_out": False, "firmware": None}


def test_a_missing_keypad_is_exit_1(tmp_path: Path) -> None:
    result = run("--port", f"file://{tmp_path}/event9?kind=keypad")
    assert result.exit_code == 1
    assert "no such input device" in result.stderr and "input" in result.stderr
