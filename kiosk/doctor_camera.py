"""``bianmin doctor camera``: check a document camera (高拍仪) at a village point: list its
modes, take one photo in the capture mode, save it (docs/devices/camera.md, "doctor").

Exit codes as every doctor command (kiosk/doctor.py): 0 the camera works, 1 it does not,
2 the command cannot run (a bad URL).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click
import cv2

from devices.document_camera import HINT_CAMERA_CABLE, HINT_NO_PICTURE, source_opener
from devices.health import HINT_PERMISSION
from devices.urls import DeviceUrlError, parse_device_url
from drivers.transports import TransportError, TransportTimeout
from drivers.uvc_camera import FrameDecodeError, choose_mode, with_huffman_tables

EXIT_DEVICE = 1
EXIT_USAGE = 2
FRAME_TIMEOUT_S = 10.0  # an 8 MP camera can take a few seconds to its first frame


def _fail(message: str, hint: str = "", code: int = EXIT_DEVICE) -> NoReturn:
    click.echo(message, err=True)
    if hint:
        click.echo(f"请检查 / Check: {hint}", err=True)
    sys.exit(code)


def _hint(exc: TransportError) -> str:
    if isinstance(exc, TransportTimeout):
        return HINT_NO_PICTURE
    return HINT_PERMISSION if "permission" in str(exc).lower() else HINT_CAMERA_CABLE


@click.command("camera")
@click.option("--device", "url", required=True,
              help="摄像头地址 / The camera's URL: file:///dev/video0, usb://VID:PID or "
              "sim://camera?script=idcard.")
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path),
              help="把拍到的一帧存为 JPEG / Save the photo taken as a JPEG file.")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / Print JSON on stdout.")
def doctor_camera(url: str, snapshot: Path | None, as_json: bool) -> None:
    """检查文档摄像头：列出画面格式并拍一张 / Check a document camera: list its modes and
    take one photo in the capture mode."""
    try:
        opener = source_opener(parse_device_url(url))
    except (DeviceUrlError, ValueError) as exc:
        _fail(f"摄像头地址有误 / The camera URL is not usable: {exc}", code=EXIT_USAGE)
    source = None
    try:
        started = time.monotonic()
        source = opener()
        modes = source.modes()
        preview = choose_mode(modes, "preview")
        capture = choose_mode(modes, "capture")
        source.open(capture)
        frame = source.read(FRAME_TIMEOUT_S)
        ms_to_first_frame = round((time.monotonic() - started) * 1000)
        width, height = frame.size
        frame.image()  # the photo must decode, not just arrive
        if snapshot is not None:
            if frame.jpeg is not None:
                data = with_huffman_tables(frame.jpeg)
            else:
                _, encoded = cv2.imencode(".jpg", frame.image(), [cv2.IMWRITE_JPEG_QUALITY, 92])
                data = encoded.tobytes()
            try:
                snapshot.write_bytes(data)
            except OSError as exc:
                _fail(f"无法保存照片 / Cannot save the photo: {snapshot}: {exc.strerror}",
                      code=EXIT_USAGE)
    except TransportError as exc:
        _fail(f"摄像头无法使用 / The camera does not work: {exc}", _hint(exc))
    except FrameDecodeError as exc:
        _fail(f"摄像头的画面无法解码 / The camera's picture cannot be decoded: {exc}",
              HINT_NO_PICTURE)
    except ValueError as exc:  # no modes
        _fail(f"摄像头没有可用的画面格式 / The camera offers no usable picture format: {exc}",
              HINT_NO_PICTURE)
    finally:
        if source is not None:
            with contextlib.suppress(Exception):
                source.close()
    report: dict[str, Any] = {
        "device": url,
        "modes": [m.as_dict() for m in modes],
        "preview_mode": preview.as_dict(),
        "capture_mode": capture.as_dict(),
        "frame": {"width": width, "height": height,
                  "bytes": len(frame.jpeg) if frame.jpeg is not None else None,
                  "ms_to_first_frame": ms_to_first_frame},
        "snapshot": str(snapshot) if snapshot is not None else None,
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"摄像头 / Camera: {url}")
    click.echo("画面格式 / Modes:")
    for mode in modes:
        click.echo(f"  {mode}")
    click.echo(f"预览用 / Preview mode: {preview}")
    click.echo(f"拍照用 / Capture mode: {capture}")
    size = f", {len(frame.jpeg) / 1000:.0f} kB" if frame.jpeg is not None else ""
    click.echo(f"已拍到一帧 / Photo taken: {width}x{height}{size}; "
               f"首帧用时 / first frame after {ms_to_first_frame} ms")
    if snapshot is not None:
        click.echo(f"已保存 / Saved: {snapshot}")
