"""`bianmin doctor scan` through click's CliRunner against both simulated scanners, and its
plain failures: nothing scanned (with a hint from what did arrive), no device, bad URL."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from kiosk.doctor_scan import doctor_scan


def run(*args: str) -> Result:
    result = CliRunner().invoke(doctor_scan, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_wedge_scan_as_json() -> None:
    result = run("--port", "sim://scanner?mode=wedge&codes=Ab-12%2F3&delay_s=0.05", "--json",
                 "--timeout", "5")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"text", "source", "ms"}
    assert data["text"] == "Ab-12/3" and data["source"].startswith("wedge:")
    assert isinstance(data["ms"], int) and 0 <= data["ms"] < 500


def test_serial_scan_as_text() -> None:
    result = run("--port", "sim://scanner?codes=A001&terminator=cr&delay_s=0.05")
    assert result.exit_code == 0, result.output
    assert "扫到 / Scanned: A001" in result.stdout and "serial:" in result.stdout


def test_nothing_scanned_says_what_arrived_instead() -> None:
    slow = run("--port", "sim://scanner?mode=wedge&codes=A001&key_interval_ms=120&delay_s=0",
               "--timeout", "1.2")
    assert slow.exit_code == 1 and "too slowly" in slow.stderr
    assert "请检查 / Check:" in slow.stderr and "US keyboard layout" in slow.stderr
    no_end = run("--port", "sim://scanner?codes=A001&terminator=none&delay_s=0.2", "--timeout",
                 "1")
    assert no_end.exit_code == 1 and "without a line end" in no_end.stderr
    nothing = run("--port", "sim://scanner", "--timeout", "0.3", "--json")
    assert nothing.exit_code == 1 and "没有扫到码" in nothing.stderr and nothing.stdout == ""


def test_missing_devices_and_bad_urls(tmp_path: Path) -> None:
    missing = run("--port", f"file://{tmp_path}/event9", "--timeout", "0.5")
    assert missing.exit_code == 1 and "无法打开扫码枪" in missing.stderr
    for port in ("/dev/input/event3", "sim://scanner?mode=laser", "sim://sign"):
        bad = run("--port", port)
        assert bad.exit_code == 2 and "设备地址有误" in bad.stderr and bad.stdout == ""
