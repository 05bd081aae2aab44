"""`bianmin doctor`: the technician's commands, run as the real console script against the
simulated reader and printer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

BIANMIN = str(Path(sys.executable).with_name("bianmin"))
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if not k.startswith("BIANMIN_") and k != "CREDENTIALS_DIRECTORY"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([BIANMIN, *args], capture_output=True, text=True, timeout=60,
                            env=CLEAN_ENV, cwd=cwd)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def test_read_id_prints_the_masked_json_contract() -> None:
    result = run("doctor", "read-id", "--port", "sim://idcard?card=resident_elderly", "--json",
                 "--timeout", "10")
    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)
    assert set(fields) == {"card_type", "name", "sex", "nation", "birth_date", "address",
                           "id_number", "authority", "valid_from", "valid_to",
                           "check_digit_ok", "photo"}
    assert fields["card_type"] == "resident" and fields["birth_date"] == "1949-12-31"
    assert fields["id_number"] == "110105********002X"
    assert fields["address"].endswith("****") and len(fields["address"]) == 10
    assert fields["valid_to"] == "长期" and fields["check_digit_ok"] is True
    assert fields["photo"] == "unavailable"


def test_read_id_show_pii_and_foreign_card_fields() -> None:
    full = json.loads(run("doctor", "read-id", "--port", "sim://idcard?card=resident_elderly",
                          "--json", "--show-pii").stdout)
    assert full["id_number"] == "11010519491231002X"
    permit = json.loads(run("doctor", "read-id", "--port", "sim://idcard?card=foreign_2023",
                            "--json").stdout)
    assert permit["card_type"] == "foreign_2023"
    assert {"english_name", "nationality", "renewal_count"} <= set(permit)
    assert permit["id_number"].startswith("9")


def test_read_id_without_a_card_fails_plainly_within_the_timeout() -> None:
    result = run("doctor", "read-id", "--port", "sim://idcard", "--timeout", "1")
    assert result.returncode == 1
    assert "没有读到证件" in result.stderr and "请检查 / Check:" in result.stderr


def test_read_id_on_a_port_with_nothing_behind_it(tmp_path: Path) -> None:
    result = run("doctor", "read-id", "--port", f"serial://{tmp_path}/ttyUSB7", "--timeout", "1")
    assert result.returncode == 1
    assert "no such port" in result.stderr and "检查数据线" in result.stderr


def test_read_id_bad_url_is_a_usage_error() -> None:
    result = run("doctor", "read-id", "--port", "/dev/ttyUSB0")
    assert result.returncode == 2 and "did you mean serial:///dev/ttyUSB0" in result.stderr


def test_print_test_renders_the_page_and_paper_out_fails(tmp_path: Path) -> None:
    png = tmp_path / "page.png"
    ok = run("doctor", "print-test", "--printer", "sim://printer", "--save-png", str(png),
             "--data-dir", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    assert Image.open(png).size[0] == 576
    out = run("doctor", "print-test", "--printer", "sim://printer?paper_out=1",
              "--data-dir", str(tmp_path))
    assert out.returncode == 1
    assert "缺纸" in out.stderr and "out of paper" in out.stderr and "Check:" in out.stderr
    bad = run("doctor", "print-test", "--printer", "sim://printer", "--profile", "wide",
              "--data-dir", str(tmp_path))
    assert bad.returncode == 2 and "no printer profile named 'wide'" in bad.stderr


def test_list_reports_configured_devices_with_their_state(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text(
        '[devices.id_card_reader]\ndriver = "ga467-sam"\nport = "sim://idcard"\n\n'
        '[devices.ticket_printer]\ndriver = "escpos-generic"\n'
        'port = "sim://printer?cover_open=1"\n', "utf-8")
    result = run("doctor", "list", "--data-dir", str(tmp_path), "--no-probe", "--json")
    report = json.loads(result.stdout)
    configured = {d["role"]: d for d in report["devices"] if d["source"] == "configured"}
    assert configured["id_card_reader"]["state"] == "ok"
    assert configured["ticket_printer"]["state"] == "error"
    assert "盖" in configured["ticket_printer"]["message"]
    assert report["ok"] is False and result.returncode == 1


def test_list_checks_every_kind_of_configured_device(tmp_path: Path) -> None:
    """One simulated device per role, each asked for its state by its own protocol."""
    roles = {
        "id_card_reader": ("ga467-sam", "sim://idcard"),
        "ticket_printer": ("escpos-generic", "sim://printer"),
        "window_sign": ("led-sign", "sim://sign"),
        "code_scanner": ("serial-scanner", "sim://scanner?mode=serial"),
        "rating_terminal": ("bianmin-rating-v1", "sim://rating"),
        "announcer": ("clips", "sim://announcer"),
        "document_camera": ("uvc-generic", "sim://camera?script=a4"),
    }
    (tmp_path / "site.toml").write_text("".join(
        f'[devices.{role}]\ndriver = "{driver}"\nport = "{port}"\n\n'
        for role, (driver, port) in roles.items()), "utf-8")
    result = run("doctor", "list", "--data-dir", str(tmp_path), "--no-probe", "--json")
    report = json.loads(result.stdout)
    states = {d["role"]: d["state"] for d in report["devices"] if d["source"] == "configured"}
    assert states == dict.fromkeys(roles, "ok"), report
    assert report["ok"] is True and result.returncode == 0
