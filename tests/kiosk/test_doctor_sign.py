"""`bianmin doctor sign` through click's CliRunner against the simulated sign: the text is
shown (and rendered), and every failure is plain words with the right exit code."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from PIL import Image

from kiosk.doctor_sign import doctor_sign


def run(*args: str) -> Result:
    result = CliRunner().invoke(doctor_sign, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_shows_the_text_and_saves_what_the_sign_shows(tmp_path: Path) -> None:
    png = tmp_path / "sign.png"
    result = run("--port", "sim://sign?width=192&height=16", "--text", "请A001号到3号窗口",
                 "--save-png", str(png))
    assert result.exit_code == 0, result.output
    assert "窗口屏已显示 / The sign shows: 请A001号到3号窗口" in result.stdout
    image = Image.open(png)
    assert image.height == (16 + 2) * 6 and image.width >= 192 * 6


def test_presets_the_replacement_note_and_a_sign_without_ack() -> None:
    result = run("--port", "sim://sign", "--preset", "aa55-sum16", "--text", "暂停服务")
    assert result.exit_code == 0 and "暂停服务" in result.stdout
    result = run("--port", "sim://sign?preset=fe-sum8", "--text", "请王䶮到3号窗口")
    assert result.exit_code == 0
    assert "请王□到3号窗口" in result.stdout and "□" in result.stdout
    assert "no ACK; look at the sign" in result.stdout


def test_no_answer_nak_and_wrong_address_fail_with_exit_1() -> None:
    quiet = run("--port", "sim://sign?no_ack=1", "--text", "A001", "--timeout", "0.3")
    assert quiet.exit_code == 1
    assert "没有应答" in quiet.stderr and "请检查 / Check:" in quiet.stderr
    nak = run("--port", "sim://sign?checksum=sum8", "--preset", "stx-etx", "--text", "A001")
    assert nak.exit_code == 0  # the driver follows the simulated controller's framing
    other = run("--port", "sim://sign?address=7", "--text", "A001", "--timeout", "0.3")
    assert other.exit_code == 1 and "does not answer" in other.stderr
    right = run("--port", "sim://sign?address=7", "--address", "7", "--text", "A001")
    assert right.exit_code == 0


def test_missing_port_is_a_device_failure(tmp_path: Path) -> None:
    result = run("--port", f"serial://{tmp_path}/ttyUSB7", "--text", "A001")
    assert result.exit_code == 1
    assert "找不到窗口屏" in result.stderr and "no such port" in result.stderr


def test_usage_errors_exit_2() -> None:
    for args in (["--port", "/dev/ttyUSB0", "--text", "A"],
                 ["--port", "sim://sign?volume=3", "--text", "A"],
                 ["--port", "sim://printer", "--text", "A"],
                 ["--port", "serial:///dev/ttyUSB0", "--text", "A", "--save-png", "x.png"],
                 ["--port", "sim://sign", "--text", "A", "--preset", "acme"],
                 ["--port", "sim://sign"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == ""
