"""Run inside a small tmpfs (see test_full_disk.py): fill the disk through the store and the
blob files, then report what happened as JSON. Usage: full_disk_scenario.py MOUNT OUT.json"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from offline_store import tickets
from offline_store.errors import StoreError, StoreFull
from offline_store.site import Site, init_site

HOLDER = {"name": "王五", "id_number": "110105194912310021"}


def _issue(site: Site) -> dict:
    return tickets.issue(site, service_day="2026-11-24", category="A", channel="kiosk",
                         holder=HOLDER)


def main(mount: Path, out: Path) -> None:
    report: dict = {"committed": [], "store_error": None, "blob_error": None}
    site, _ = init_site(mount / "site")
    for _ in range(20):  # some records while there is room
        report["committed"].append(_issue(site)["id"])
    # Leave ~150 KB free: the next writes run out of room mid-transaction.
    free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
    with open(mount / "ballast", "wb") as f:
        f.write(b"\0" * max(0, free - 150_000))
    try:
        for _ in range(100_000):
            report["committed"].append(_issue(site)["id"])
    except StoreFull as exc:
        report["store_error"] = str(exc)
    except StoreError as exc:
        report["store_error"] = f"WRONG KIND {type(exc).__name__}: {exc}"
    try:
        site.blobs.put(os.urandom(400_000))
    except StoreFull as exc:
        report["blob_error"] = str(exc)
    report["temp_files_left"] = os.listdir(mount / "site" / "blobs" / "tmp")
    report["blob_files"] = sum(1 for _ in site.blobs.files())
    # Reads still work on a full disk.
    report["readable_count"] = site.store.query("SELECT count(*) AS n FROM tickets")[0]["n"]
    (mount / "ballast").unlink()
    report["after_free"] = _issue(site)["id"]
    report["committed"].append(report["after_free"])
    site.close()
    with Site.open(mount / "site") as again:
        report["integrity"] = again.store.check().integrity
        report["present"] = [r["id"] for r in again.store.query("SELECT id FROM tickets")]
        report["outbox_ids"] = [r["entity_id"] for r in again.store.query(
            "SELECT entity_id FROM outbox WHERE entity = 'ticket'")]
        report["holders_ok"] = all(tickets.holder(again, i) == HOLDER
                                   for i in report["committed"])
    out.write_text(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
