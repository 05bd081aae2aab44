"""`bianmin doctor camera`: the command object run with click's CliRunner against the
synthetic camera, and against camera URLs with nothing behind them."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
from click.testing import CliRunner, Result

from drivers.uvc_camera import jpeg_info
from kiosk.doctor_camera import doctor_camera


def run(*args: str) -> Result:
    result = CliRunner().invoke(doctor_camera, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_json_report_and_snapshot(tmp_path: Path) -> None:
    snap = tmp_path / "photo.jpg"
    result = run("--device", "sim://camera?script=idcard&realtime=false", "--snapshot",
                 str(snap), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"device", "modes", "preview_mode", "capture_mode", "frame",
                           "snapshot"}
    assert report["device"] == "sim://camera?script=idcard&realtime=false"
    assert report["modes"] == [
        {"width": 3264, "height": 2448, "fourcc": "MJPG", "fps": 15.0},
        {"width": 1920, "height": 1080, "fourcc": "MJPG", "fps": 15.0}]
    assert report["preview_mode"]["width"] == 1920 and report["capture_mode"]["width"] == 3264
    frame = report["frame"]
    assert (frame["width"], frame["height"]) == (3264, 2448)
    assert frame["bytes"] == snap.stat().st_size and frame["ms_to_first_frame"] >= 0
    assert report["snapshot"] == str(snap)
    assert cv2.imread(str(snap)).shape == (2448, 3264, 3)
    assert jpeg_info(snap.read_bytes()).has_huffman_tables


def test_text_report_is_bilingual() -> None:
    result = run("--device", "sim://camera?size=1080p&realtime=false")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "画面格式 / Modes:" in out and "1920x1080 MJPG 15 fps" in out
    assert "拍照用 / Capture mode: 1920x1080 MJPG 15 fps" in out
    assert "已拍到一帧 / Photo taken: 1920x1080" in out and "已保存" not in out


def test_a_missing_camera_fails_plainly_with_exit_1() -> None:
    for url in ("file:///dev/video91", "usb://1D6B:0002", "sim://camera?unplug_after=0"):
        result = run("--device", url)
        assert result.exit_code == 1, url
        assert "摄像头无法使用 / The camera does not work" in result.stderr
        assert "请检查 / Check:" in result.stderr and result.stdout == ""


def test_bad_urls_exit_2() -> None:
    for url in ("/dev/video0", "serial:///dev/ttyUSB0", "sim://printer",
                "sim://camera?desk=glass", "usb://12:34"):
        result = run("--device", url)
        assert result.exit_code == 2, url
        assert "摄像头地址有误 / The camera URL is not usable" in result.stderr


def test_an_unwritable_snapshot_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--device", "sim://camera?size=1080p&realtime=false", "--snapshot",
                 str(tmp_path / "no" / "such" / "dir" / "photo.jpg"))
    assert result.exit_code == 2
    assert "无法保存照片 / Cannot save the photo" in result.stderr
