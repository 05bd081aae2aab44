"""``bianmin hub`` (docs/cli.md): its JSON keys and exit codes through click's CliRunner, the
committed OpenAPI document, and the server started as the real command."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

import kiosk
from kiosk.cli import cli
from sync.hub import app as hub_app
from sync.hub.app import create_app
from sync.hub.server import running_hub

from .support import JumpClock, case_accepted, enrolled

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "docs" / "api" / "hub.openapi.json"
SAMPLE = ROOT / "kiosk" / "data" / "sample_catalogue.json"


def bianmin(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], prog_name="bianmin")
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_enrol_code_and_stats_print_their_json(tmp_path: Path, hub_db: str | None) -> None:
    data = tmp_path / "hub"
    database = ["--database", hub_db] if hub_db else []
    code, out, _ = bianmin("hub", "enrol-code", "--data-dir", data, "--site", "S01", "--json",
                           *database)
    assert code == 0
    made = json.loads(out)
    assert set(made) == {"code", "site", "expires_at"} and made["site"] == "S01"
    clock = JumpClock()
    with running_hub(data, database_url=hub_db, clock=clock) as hub:
        site = enrolled(hub, "S01", clock)
        sha = site.upload(b"one page")
        site.results([case_accepted("c1", pages=[sha]), case_accepted("c2")])
    code, out, _ = bianmin("hub", "stats", "--data-dir", data, "--json", *database)
    assert code == 0
    assert json.loads(out) == {"ops": 2, "cases": 2, "blobs": 1, "sites": {"S01": {
        "ops": 2, "cases": 2, "blobs": 1, "last_seen": "2026-11-24T02:00:00.000Z"}}}
    code, out, _ = bianmin("hub", "stats", "--data-dir", data, *database)
    assert code == 0 and out.splitlines()[1].startswith("S01\t2\t2\t1\t")


def test_a_catalogue_file_is_checked_then_published(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    version = json.loads(SAMPLE.read_text("utf-8"))["version"]
    code, out, _ = bianmin("hub", "catalogue-publish", "--data-dir", data, "--version", version,
                           SAMPLE, "--json")
    assert code == 0 and json.loads(out)["version"] == version
    code, out, _ = bianmin("hub", "catalogue-publish", "--data-dir", data, "--version", version,
                           SAMPLE)
    assert code == 0 and "nothing changed" in out
    code, _, err = bianmin("hub", "catalogue-publish", "--data-dir", data, "--version", "9.9",
                           SAMPLE)
    assert code == 2 and "版本号不一致 / The versions differ" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": "x", "items": 5}', "utf-8")
    code, _, err = bianmin("hub", "catalogue-publish", "--data-dir", data, "--version", "x",
                           broken)
    assert code == 2 and "事项清单有误 / The catalogue has problems" in err
    code, _, err = bianmin("hub", "catalogue-publish", "--data-dir", data, "--version", "x",
                           tmp_path / "missing.json")
    assert code == 2
    clock = JumpClock()
    with running_hub(data, clock=clock) as hub:
        page = enrolled(hub, "S01", clock).pull("catalogue").json()
    assert [item["version"] for item in page["items"]] == [version]
    assert page["items"][0]["body"] == json.loads(SAMPLE.read_text("utf-8"))


def test_commands_that_cannot_do_their_job_exit_2_in_plain_words(tmp_path: Path) -> None:
    code, _, err = bianmin("hub", "stats", "--data-dir", tmp_path,
                           "--database", "postgresql+psycopg://nobody:secret@127.0.0.1:1/x")
    assert code == 2 and "无法使用中心数据库 / The hub's database cannot be used" in err
    assert "secret" not in err
    code, _, err = bianmin("hub", "stats", "--data-dir", tmp_path, "--database", "mysql://x/y")
    assert code == 2 and "unsupported database" in err
    (tmp_path / "hub.toml").write_text('official_prefix = "bm1"\nwhatever = 1\n', "utf-8")
    code, _, err = bianmin("hub", "enrol-code", "--data-dir", tmp_path, "--site", "S01")
    assert code == 2 and "official_prefix" in err and "whatever" in err
    (tmp_path / "hub.toml").write_text("official_prefix = [", "utf-8")
    assert bianmin("hub", "stats", "--data-dir", tmp_path)[0] == 2
    (tmp_path / "hub.toml").unlink()
    code, _, err = bianmin("hub", "enrol-code", "--data-dir", tmp_path, "--site", "../x")
    assert code == 2 and "Cannot do that" in err
    code, _, err = bianmin("hub")
    assert code == 2 and "--data-dir" in err


def test_hub_toml_settings_are_used(tmp_path: Path) -> None:
    (tmp_path / "hub.toml").write_text('official_prefix = "QX"\nenrol_code_hours = 1\n',
                                       "utf-8")
    clock = JumpClock()
    with running_hub(tmp_path, clock=clock) as hub:
        assert hub.admin.enrol_code("S01")["expires_at"] == "2026-11-24T03:00:00.000Z"
        site = enrolled(hub, "S01", clock)
        assert site.results([case_accepted("c1")])[0]["server_ref"] == "QX20261124000001"


def test_the_committed_openapi_document_is_the_generated_one(tmp_path: Path) -> None:
    code, _, _ = bianmin("hub", "openapi", "--output", tmp_path / "hub.json")
    assert code == 0
    generated = json.loads((tmp_path / "hub.json").read_text("utf-8"))
    assert json.loads(SPEC.read_text("utf-8")) == generated == json.loads(
        json.dumps(create_app(None).openapi()))
    assert {"/v1/enrol", "/v1/ops", "/v1/blobs", "/v1/blobs/{sha256}", "/v1/changes/{stream}",
            "/v1/reconcile", "/v1/heartbeat", "/v1/tokens"} <= set(generated["paths"])
    assert "WireOp" in generated["components"]["schemas"]
    assert generated["info"]["version"] == hub_app.VERSION == kiosk.__version__


def test_the_command_serves_until_sigterm(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("bianmin")), "hub", "--data-dir",
               str(tmp_path), "--port", str(port)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert child.poll() is None and time.monotonic() < deadline, \
                    child.stderr.read().decode() if child.stderr else ""
                time.sleep(0.1)
        assert answer.json()["ok"] is True and "date" in answer.headers
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert f"http://127.0.0.1:{port}" in err.decode() and b"Traceback" not in err
    assert (tmp_path / "hub.sqlite").exists()
