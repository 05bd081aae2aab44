"""QR codes held up to the kiosk's camera: read from the simulated camera's MJPEG frames
(zxing-cpp) only while started, each code once while it stays in sight, again only after
3 s out of sight."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import qrcode

from devices.health import DeviceState, Health
from drivers.uvc_camera import Frame
from kiosk.kiosk_devices import CameraCodesAdapter
from kiosk.kiosk_ports import KioskDevices

Build = Callable[..., KioskDevices]

CODE = "BMT:42:k2jd93kd0slq"
CAMERA = f"""
[devices.document_camera]
driver = "uvc-generic"
port = "sim://camera?script=qr&size=1080p&fps=30&qr_text={CODE}"
"""


def test_the_code_on_a_page_under_the_camera_is_read_once_and_only_while_started(
        build: Build) -> None:
    devices = build(CAMERA)
    port = devices.camera_codes
    assert port is not None and port.status().ok
    codes: list[str] = []
    arrived = threading.Event()

    def scanned(text: str) -> None:
        codes.append(text)
        arrived.set()

    port.on_code(scanned)
    time.sleep(0.3)
    assert codes == []  # not started: the camera is off
    port.start()
    assert arrived.wait(10.0)
    assert codes == [CODE]
    # the page lies still, leaves and comes back within 3 s: still one scan
    time.sleep(1.5)
    assert codes == [CODE]
    port.stop()
    stopped_with = len(codes)
    time.sleep(0.5)
    assert len(codes) == stopped_with


class StillCamera:
    """A FAKE camera standing in for devices.document_camera.DocumentCamera: the test hands
    its frames to the adapter at moments of a clock it controls (a real camera's frames
    come on wall-clock time, which a test cannot step through)."""

    def __init__(self) -> None:
        self.frame_callbacks: list[Callable[[Frame], None]] = []
        self.running = False

    def on_frame(self, callback: Callable[[Frame], None]) -> None:
        self.frame_callbacks.append(callback)

    def on_health_changed(self, callback: Any) -> None:
        pass

    def health(self) -> Health:
        return Health(DeviceState.OK)

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def show(self, frame: Frame) -> None:
        for callback in self.frame_callbacks:
            callback(frame)


def _frame(text: str | None) -> Frame:
    """A 640×480 grey desk, with a QR code of ``text`` on it when given."""
    desk = np.full((480, 640, 3), 90, np.uint8)
    if text is not None:
        code = qrcode.QRCode(box_size=6, border=4)
        code.add_data(text)
        image = np.asarray(code.make_image().get_image().convert("L"), np.uint8)
        h, w = image.shape
        desk[100:100 + h, 150:150 + w] = image[:, :, None]
    return Frame(0, 0.0, pixels=desk)


def test_a_code_in_sight_is_one_scan_and_a_new_one_after_3_s_away() -> None:
    now = [0.0]
    camera = StillCamera()
    port = CameraCodesAdapter(camera, fps=4.0, clock=lambda: now[0])  # type: ignore[arg-type]
    codes: list[str] = []
    port.on_code(codes.append)
    with_code, without = _frame(CODE), _frame(None)
    try:
        camera.show(with_code)
        assert codes == []  # not started
        port.start()

        def at(t: float, frame: Frame) -> None:
            now[0] = t
            camera.show(frame)

        at(0.0, with_code)
        assert codes == [CODE]
        at(0.1, with_code)  # 4 frames a second: not even searched
        at(0.3, with_code)  # searched, still in sight: the same scan
        for t in (1.0, 2.0, 3.0):
            at(t, without)
        at(3.2, with_code)  # last seen at 0.3: 2.9 s away
        assert codes == [CODE]
        for t in (4.0, 5.0, 6.0):
            at(t, without)
        at(6.3, with_code)  # last seen at 3.2: 3.1 s away, a new scan
        assert codes == [CODE, CODE]
        port.stop()
        at(20.0, with_code)
        assert codes == [CODE, CODE]
        port.start()  # a new start forgets what was seen
        at(20.1, with_code)
        assert codes == [CODE, CODE, CODE]
    finally:
        port.close()
    assert not camera.running
