"""``bianmin sync`` (docs/cli.md): enrol, run and status as the installed command, in a child
process, against the real hub on loopback; the catalogue a county publishes becomes current
only when the domain's checks pass."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.config import load_config
from kiosk.sync_cli import settings_from
from offline_store import sync_state, tickets
from offline_store.clock import SystemClock
from offline_store.site import Site
from sync.daemon.status import KEYS
from sync.hub.server import RunningHub, running_hub

BIANMIN = Path(sys.executable).parent / "bianmin"
SITE = "S07"
SAMPLE = json.loads(
    resources.files("kiosk.data").joinpath("sample_catalogue.json").read_text("utf-8"))


class Run:
    """``bianmin`` in this process (click's runner: a child process costs 1.5 s of imports
    per call) with a clean environment; never a traceback. The installed command in a child
    process is :func:`test_sigterm_stops_the_foreground_daemon_with_exit_0`'s."""

    def __init__(self, home: Path):
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("BIANMIN_", "NOTIFY_SOCKET", "CREDENTIALS_DIRECTORY",
                                         "INVOCATION_ID"))}
        self.env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"))
        self.cleared: dict[str, str | None] = {
            k: None for k in os.environ if k not in self.env}

    def __call__(self, *args: object, expect: int = 0) -> Result:
        result = CliRunner().invoke(cli, [str(a) for a in args], prog_name="bianmin",
                                    env={**self.env, **self.cleared})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        out = Result(result.exit_code, result.stdout, result.stderr)
        assert "Traceback" not in out.stdout + out.stderr, out.stderr
        assert out.returncode == expect, (args, out.stdout, out.stderr)
        return out


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    with running_hub(tmp_path / "hub") as running:
        yield running


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A site store with its configuration: site code S07, no health port (tests run in
    parallel with other daemons)."""
    directory = tmp_path / "site"
    run = Run(tmp_path)
    run("store", "init", "--data-dir", directory)
    (directory / "site.toml").write_text(
        f'[site]\ncode = "{SITE}"\n\n[sync]\nhealth_port = 0\nchunk_kib = 64\n', "utf-8")
    return directory


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(tmp_path)


def _open(data: Path) -> Site:
    return Site.open(data, clock=SystemClock())


def _enrol(run: Run, data: Path, hub: RunningHub) -> dict[str, Any]:
    code = hub.admin.enrol_code(SITE)["code"]
    return json.loads(run("sync", "enrol", "--data-dir", data, "--hub", hub.url, "--code",
                          code, "--json").stdout)


def test_enrol_run_and_status(run: Run, data: Path, hub: RunningHub) -> None:
    before = json.loads(run("sync", "status", "--data-dir", data, "--json").stdout)
    assert list(before)[:len(KEYS)] == list(KEYS)
    assert before["enrolled"] is False and before["oldest_pending_age_s"] is None
    run("sync", "run", "--data-dir", data, "--once", expect=2)  # not enrolled yet

    enrolled = _enrol(run, data, hub)
    assert enrolled["site"] == SITE and enrolled["hub"] == hub.url and enrolled["key_id"]
    with _open(data) as site:
        tickets.issue(site, service_day=dt.date.today().isoformat(), category="A",
                      channel="kiosk")
    pending = json.loads(run("sync", "status", "--data-dir", data, "--json").stdout)
    assert pending["outbox_pending"] == 1 and pending["oldest_pending_age_s"] >= 0

    once = run("sync", "run", "--data-dir", data, "--once")
    assert "acknowledged 2" in once.stdout  # the ticket and yesterday's audit summary
    after = json.loads(run("sync", "status", "--data-dir", data, "--json").stdout)
    assert after["acked_total"] == 2 and after["outbox_pending"] == 0
    assert after["last_push"] and after["last_pull"] and after["last_error"] is None
    assert isinstance(after["clock_offset_s"], float) and after["rejected_ops"] == []
    human = run("sync", "status", "--data-dir", data).stdout
    assert f"{SITE} @ {hub.url}" in human and "acknowledged: 2" in human


def test_enrolment_refused_is_a_plain_error(run: Run, data: Path, hub: RunningHub) -> None:
    failed = run("sync", "enrol", "--data-dir", data, "--hub", hub.url, "--code",
                 "ABCDEFGHJK", "--json", expect=2)
    assert failed.stdout == ""
    assert failed.stderr.startswith("同步失败 / Sync failed:") and "code_unknown" in failed.stderr
    nowhere = run("sync", "enrol", "--data-dir", data, "--hub", "http://127.0.0.1:9",
                  "--code", "ABCDEFGHJK", expect=2)
    assert "cannot be reached" in nowhere.stderr


def _catalogue(version: str, **changes: Any) -> dict[str, Any]:
    return {**SAMPLE, "version": version, **changes}


def test_a_published_catalogue_becomes_current_only_when_it_validates(
        run: Run, data: Path, hub: RunningHub) -> None:
    _enrol(run, data, hub)
    hub.admin.publish_catalogue(_catalogue("county-2026.12"), "county-2026.12")
    broken = _catalogue("county-2026.13", items=[{"code": "X"}])
    hub.admin.publish_catalogue(broken, "county-2026.13")

    once = run("sync", "run", "--data-dir", data, "--once", expect=1)

    assert "county-2026.13" in once.stderr and "当前版本" in once.stderr
    listing = json.loads(run("catalogue", "list", "--data-dir", data, "--json").stdout)
    assert listing["version"] == "county-2026.12"
    shown = json.loads(run("sync", "status", "--data-dir", data, "--json").stdout)
    assert "county-2026.13" in shown["last_error"]
    # The stream moved on: the next cycle does not trip over the broken version again.
    run("sync", "run", "--data-dir", data, "--once")
    hub.admin.publish_catalogue(_catalogue("county-2027.01"), "county-2027.01")
    run("sync", "run", "--data-dir", data, "--once")
    listing = json.loads(run("catalogue", "list", "--data-dir", data, "--json").stdout)
    assert listing["version"] == "county-2027.01"


def test_settings_come_from_the_sync_and_retention_sections(data: Path) -> None:
    (data / "site.toml").write_text(
        f'[site]\ncode = "{SITE}"\ntimezone = "Asia/Urumqi"\n\n[sync]\nchunk_kib = 256\n'
        'upload_kbit_s = 512\n\n[retention]\nshred_grace_days = 7\n', "utf-8")
    settings = settings_from(load_config(data / "site.toml"))
    assert (settings.site_code, settings.timezone) == (SITE, "Asia/Urumqi")
    assert settings.chunk_bytes == 256 * 1024 and settings.upload_bytes_s == 64_000
    assert settings.shred_grace_days == 7 and settings.outbox_keep_days == 90


def test_sigterm_stops_the_foreground_daemon_with_exit_0(
        run: Run, data: Path, hub: RunningHub) -> None:
    _enrol(run, data, hub)
    with _open(data) as site:
        tickets.issue(site, service_day=dt.date.today().isoformat(), category="A",
                      channel="kiosk")
    proc = subprocess.Popen([str(BIANMIN), "sync", "run", "--data-dir", str(data)],
                            env=run.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            encoding="utf-8")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with _open(data) as site:
                if sync_state.values(site.store).get("acked_total") == 2:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the daemon delivered nothing in 30 s")
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "sync daemon stopped" in err
