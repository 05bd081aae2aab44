"""``bianmin sync run`` killed with SIGKILL at random points while pages upload, again and
again, then left to finish: the hub holds exactly what the site confirmed, the store is
whole after every kill, and each kill costs at most the chunk in flight
(../shared/research/sync.md §8 items 1 and 3). ``--soak`` runs 100 kills instead of 6."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_store.clock import FixedClock, SystemClock
from offline_store.site import Site, init_site
from sync.daemon import SyncSettings, enrol, status
from sync.hub.server import running_hub
from tests.support.faultproxy import FaultProxy

from .rig import SITE, Rig, assert_hub_holds_exactly_what_the_site_confirmed

BIANMIN = Path(sys.executable).parent / "bianmin"
CHUNK_KIB = 64


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BIANMIN_", "NOTIFY_SOCKET", "CREDENTIALS_DIRECTORY"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"))
    return env


@pytest.fixture
def killable(tmp_path: Path) -> Iterator[Rig]:
    data = tmp_path / "site"
    site, _ = init_site(data, clock=SystemClock())
    (data / "site.toml").write_text(
        f'[site]\ncode = "{SITE}"\n\n[sync]\nhealth_port = 0\nchunk_kib = {CHUNK_KIB}\n'
        # 2 Mbit/s: a page takes more than a second, so the kills land mid-upload
        "upload_kbit_s = 2000\npoll_s = 1\n", "utf-8")
    settings = SyncSettings(site_code=SITE, health_port=0, chunk_kib=CHUNK_KIB)
    try:
        with running_hub(tmp_path / "hub") as hub, FaultProxy("127.0.0.1", hub.port) as proxy:
            enrol(site, proxy.url, hub.admin.enrol_code(SITE)["code"], settings=settings)
            # the rig's own clock is not the site's here: the child process runs on the
            # system clock, and so does the hub
            yield Rig(site, FixedClock(SystemClock().now()), hub, proxy, settings)
    finally:
        site.close()


def _uploading(site: Site) -> bool:
    return bool(site.store.query(
        "SELECT 1 FROM blobs WHERE state = 'uploading' AND upload_offset > 0 LIMIT 1"))


def _progress(site: Site) -> int:
    """Page bytes the hub has taken so far, as the site recorded them."""
    return int(site.store.query(
        "SELECT coalesce(sum(CASE state WHEN 'uploaded' THEN size ELSE upload_offset END), 0)"
        " AS n FROM blobs")[0]["n"])


def test_sigkill_during_uploads_loses_nothing_and_duplicates_nothing(
        killable: Rig, tmp_path: Path, soak: bool) -> None:
    rig, rng = killable, random.Random(11)
    rig.record_day(tickets_n=20, cases_n=3, page_kib=300)
    page_bytes = sum(len(p) for p in rig.pages)
    command = [str(BIANMIN), "sync", "run", "--data-dir", str(rig.site.data_dir)]
    kills = 100 if soak else 6
    killed_mid_upload = 0
    for _ in range(kills):
        if not rig.blobs_pending():  # always a page on its way up when the kill comes
            rig.record_day(tickets_n=2, cases_n=1, page_kib=300)
            page_bytes = sum(len(p) for p in rig.pages)
        proc = subprocess.Popen(command, env=_env(tmp_path), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            # this daemon must be uploading itself (past its start, a chunk taken) before
            # the kill, which then lands at a random point of the next chunks
            start, deadline = _progress(rig.site), time.monotonic() + 20
            while time.monotonic() < deadline and proc.poll() is None:
                if _progress(rig.site) > start or not rig.blobs_pending():
                    break
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 0.6))
        finally:
            killed_mid_upload += _uploading(rig.site)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
        proc.stderr.close() if proc.stderr else None
        assert rig.site.store.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    assert killed_mid_upload >= kills // 2, "the kills did not land during uploads"

    proc = subprocess.Popen(command, env=_env(tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while (rig.undelivered() or rig.blobs_pending()) and time.monotonic() < deadline:
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert_hub_holds_exactly_what_the_site_confirmed(rig)
    # Each kill may cost the chunk in flight; everything else is headers and ops.
    sent = rig.proxy.stats().bytes_up
    print(f"{kills} kills, {killed_mid_upload} mid-upload; {page_bytes:,} page bytes, "
          f"{sent:,} bytes sent in all")
    assert sent <= page_bytes + kills * CHUNK_KIB * 1024 + 600 * 1024, (sent, page_bytes)
    assert status(rig.site)["blobs_pending_bytes"] == 0
