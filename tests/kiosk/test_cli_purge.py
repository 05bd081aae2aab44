"""`bianmin store purge`: retention from the command line, on records the county
acknowledged long ago."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from offline_store import cases, outbox
from offline_store.clock import FixedClock
from offline_store.errors import KeyShredded
from offline_store.site import Site, init_site

BIANMIN = str(Path(sys.executable).with_name("bianmin"))


def test_purge_shreds_only_acknowledged_records_past_their_grace(tmp_path: Path) -> None:
    data_dir = tmp_path / "site"
    long_ago = FixedClock(dt.datetime(2025, 1, 6, 2, 0, tzinfo=dt.UTC))
    site, _ = init_site(data_dir, clock=long_ago)
    person = {"name": "孙七", "id_number": "110105194912310021"}
    sent = cases.add_case(site, site_code="T", local_day=dt.date(2025, 1, 6), applicant=person,
                          item_codes=["X"], catalogue_version="v",
                          materials=[cases.MaterialRecord("M001", "captured", [b"scan" * 99])])
    ops = outbox.claim(site.store, long_ago)
    outbox.ack(site.store, long_ago, [(op.op_id, "COUNTY-9") for op in ops])
    unsent = cases.add_case(site, site_code="T", local_day=dt.date(2025, 1, 6),
                            applicant=person, item_codes=["X"], catalogue_version="v",
                            materials=[])
    site.close()

    result = subprocess.run([BIANMIN, "store", "purge", "--data-dir", str(data_dir), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["shredded"] == 1
    assert report["outbox_pruned"] == 1  # acked in 2025, kept 90 days

    with Site.open(data_dir) as again:
        with pytest.raises(KeyShredded):
            cases.read_case(again, sent["id"])
        assert cases.read_case(again, unsent["id"])["applicant"] == person
        actions = [r["action"] for r in again.store.query("SELECT action FROM audit_log")]
        assert "key.shredded" in actions
    second = subprocess.run([BIANMIN, "store", "purge", "--data-dir", str(data_dir), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert json.loads(second.stdout)["shredded"] == 0
