"""The DocumentCamera role against the synthetic camera: latest-frame stream, captures in
the capture mode, throttled callbacks, and health through unplug, replug and stalls; no
call waits longer than its timeout."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devices.document_camera import (
    DocumentCamera,
    NoFrameError,
    camera_options,
    source_opener,
)
from devices.health import DeviceState, Health
from drivers.sim.synthetic_camera import SyntheticCamera, SyntheticCameraConfig
from drivers.transports import TransportError
from drivers.uvc_camera import FrameSource

FAST = {"read_timeout_s": 0.6, "reopen_interval_s": 0.2}


class Bench:
    """A synthetic camera behind an opener; replugging puts a new camera there."""

    def __init__(self, **options: Any):
        self.options = {"realtime": True, "fps": 20.0, "script": "mixed", **options}
        self.camera = SyntheticCamera(SyntheticCameraConfig(**self.options))
        self.opens = 0
        self.health: list[Health] = []
        self.cond = threading.Condition()

    def open_source(self) -> FrameSource:
        self.opens += 1
        return self.camera

    def replug(self, **options: Any) -> None:
        self.camera = SyntheticCamera(SyntheticCameraConfig(**{**self.options, **options}))

    def attach(self, role: DocumentCamera) -> DocumentCamera:
        role.on_health_changed(self._record)
        return role

    def _record(self, health: Health) -> None:
        with self.cond:
            self.health.append(health)
            self.cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 3.0) -> None:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; health: {[h.state for h in self.health]}")
                self.cond.wait(min(left, 0.05))

    def states(self) -> list[DeviceState]:
        with self.cond:
            return [h.state for h in self.health]


@pytest.fixture
def bench() -> Iterator[Bench]:
    yield Bench()


@pytest.fixture
def role_for(bench: Bench) -> Iterator[Callable[..., DocumentCamera]]:
    made: list[DocumentCamera] = []

    def make(**kwargs: Any) -> DocumentCamera:
        role = bench.attach(DocumentCamera(bench.open_source, **{**FAST, **kwargs}))
        made.append(role)
        return role

    yield make
    for role in made:
        role.stop()


def test_streams_the_preview_and_reports_ok(bench: Bench,
                                           role_for: Callable[..., DocumentCamera]) -> None:
    role = role_for()
    assert role.health().state is DeviceState.MISSING  # not opened yet
    role.start()
    frame = role.latest(3.0)
    assert frame.size == (1920, 1080) and frame.mode == role.preview_mode
    assert role.health().ok
    assert (role.preview_mode.width, role.capture_mode.width) == (1920, 3264)  # type: ignore[union-attr]
    assert len(role.modes) == 2
    fresh = role.latest(1.0, fresh=True)
    assert fresh.index > frame.index


def test_a_slow_consumer_gets_the_newest_frame_not_a_backlog(
        role_for: Callable[..., DocumentCamera]) -> None:
    role = role_for()
    role.start()
    first = role.latest(3.0)
    time.sleep(0.5)  # the consumer is busy; at 20 fps ~10 frames go by
    later = role.latest(1.0)
    assert later.index >= first.index + 6
    assert time.monotonic() - later.timestamp < 0.2  # recent, not queued up


def test_capture_switches_to_the_largest_mode_and_back(
        role_for: Callable[..., DocumentCamera]) -> None:
    role = role_for()
    role.start()
    role.latest(3.0)
    photo = role.capture(5.0)
    assert photo.size == (3264, 2448) and photo.mode == role.capture_mode
    assert photo.image().shape == (2448, 3264, 3)
    after = role.latest(2.0, fresh=True)
    assert after.size == (1920, 1080) and after.index > photo.index


def test_capture_without_start_opens_the_camera_for_one_photo(bench: Bench) -> None:
    role = DocumentCamera(bench.open_source, capture_skip_frames=0)
    photo = role.capture(5.0)
    assert photo.size == (3264, 2448)
    assert bench.camera.mode is None  # closed again


def test_purpose_capture_streams_the_capture_mode(
        role_for: Callable[..., DocumentCamera]) -> None:
    role = role_for(purpose="capture")
    role.start()
    assert role.latest(5.0).size == (3264, 2448)
    with pytest.raises(ValueError, match="purpose"):
        DocumentCamera(lambda: None, purpose="scan")  # type: ignore[arg-type, return-value]


def test_frame_callbacks_are_throttled_and_a_slow_one_does_not_stall_grabbing(
        bench: Bench, role_for: Callable[..., DocumentCamera]) -> None:
    role = role_for(max_fps=4.0)
    calls: list[float] = []
    role.on_frame(lambda frame: calls.append(time.monotonic()))
    role.on_frame(lambda frame: time.sleep(0.3))  # a slow consumer, e.g. a detector
    role.on_frame(lambda frame: 1 / 0)  # a broken one
    role.start()
    role.latest(3.0)
    grabbed = role.frames_grabbed
    time.sleep(1.2)
    assert 2 <= len(calls) <= 5  # at most 4 a second, and slowed by the 0.3 s consumer
    assert role.frames_grabbed - grabbed >= 15  # the camera kept its 20 fps
    assert role.health().ok


def test_unplugged_reports_missing_then_ok_after_a_replug(
        bench: Bench, role_for: Callable[..., DocumentCamera]) -> None:
    bench.replug(unplug_after=8)
    role = role_for()
    role.start()
    role.latest(3.0)
    bench.wait_for(lambda: DeviceState.MISSING in bench.states()[1:])
    health = role.health()
    assert "文档摄像头未连接 / the document camera is not connected" in health.message
    assert "unplugged" in health.message and "USB" in health.hint
    started = time.monotonic()
    with pytest.raises(NoFrameError, match=re.escape("0.3 秒内没有画面 / no picture within 0.3 s")):
        role.latest(0.3)  # the last picture of a camera that is gone is not handed out
    assert time.monotonic() - started < 0.6
    with pytest.raises(NoFrameError):
        role.capture(0.3)
    bench.replug()  # a new camera on the same opener
    bench.wait_for(lambda: bench.states()[-1] is DeviceState.OK)
    assert role.latest(2.0).size == (1920, 1080)
    assert bench.opens >= 3  # it kept trying while the camera was away


def test_a_camera_that_comes_back_by_itself(role_for: Callable[..., DocumentCamera],
                                            bench: Bench) -> None:
    bench.replug(unplug_after=5, replug_after_s=0.4)
    role = role_for()
    role.start()
    bench.wait_for(lambda: DeviceState.MISSING in bench.states())
    bench.wait_for(lambda: bench.states()[-1] is DeviceState.OK)


def test_a_stalled_camera_reports_error_within_the_read_timeout_and_is_reopened(
        bench: Bench, role_for: Callable[..., DocumentCamera]) -> None:
    bench.replug(stall_after=5)
    role = role_for(read_timeout_s=0.4)
    role.start()
    role.latest(3.0)
    started = time.monotonic()
    bench.wait_for(lambda: DeviceState.ERROR in bench.states(), timeout_s=2.0)
    assert time.monotonic() - started < 0.4 + 0.5 + 0.25  # 5 frames at 20 fps, then 0.4 s
    assert "没有画面" in role.health().message and "hub" in role.health().hint
    # reopening restarts the stream: frames and OK come back
    bench.wait_for(lambda: bench.states()[-1] is DeviceState.OK)


def test_an_opener_that_raises_anything_is_reported_and_retried(
        role_for: Callable[..., DocumentCamera], bench: Bench) -> None:
    attempts = []

    def broken() -> FrameSource:
        attempts.append(1)
        raise RuntimeError("driver bug")

    role = bench.attach(DocumentCamera(broken, **FAST))
    role.start()
    try:
        bench.wait_for(lambda: len(attempts) >= 2)
        assert role.health().state is DeviceState.MISSING
        assert "driver bug" in role.health().message
        assert role.running
    finally:
        role.stop()


def test_stop_returns_promptly(role_for: Callable[..., DocumentCamera]) -> None:
    role = role_for()
    role.start()
    role.latest(3.0)
    started = time.monotonic()
    role.stop()
    assert time.monotonic() - started < 1.0 and not role.running


def test_source_opener_for_each_url_form() -> None:
    opener = source_opener("sim://camera?script=qr&fps=30")
    assert opener() is opener()  # one simulated camera: scene and unplug state carry on
    assert isinstance(opener(), SyntheticCamera) and opener().config.fps == 30
    with pytest.raises(TransportError, match="no such device"):
        source_opener("file:///dev/video93")()
    with pytest.raises(TransportError, match="no camera with this USB id"):
        source_opener("usb://1D6B:0002")()  # the Linux root hub, never a camera
    for bad, words in [("serial:///dev/ttyUSB0", "a camera is named"),
                       ("sim://printer", "sim://camera"),
                       ("file:///dev/video0?fps=5", "takes no options"),
                       ("sim://camera?lens=wide", "unknown camera simulator options")]:
        with pytest.raises(ValueError, match=words):
            source_opener(bad)


def test_camera_options() -> None:
    assert camera_options({"preview_size": "1600x1200", "max_fps": 8, "purpose": "capture",
                           "capture_skip_frames": 2}) == {
        "preview_size": (1600, 1200), "max_fps": 8.0, "purpose": "capture",
        "capture_skip_frames": 2}
    with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
        camera_options({"capture_size": "8mp"})
