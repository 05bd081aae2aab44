"""A full disk: the write that does not fit fails with a plain error, every record committed
before it is intact, nothing partial is left, and the store works again once space is freed.

The disk is a real 4 MB tmpfs, mounted in a private mount namespace (``unshare``), so the
test needs neither a real full disk nor a mount on the host. This is real ENOSPC from the
kernel, not a mocked error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).with_name("full_disk_scenario.py")


def test_full_disk_gives_a_plain_error_and_loses_nothing(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed: packaging/debian-packages.txt lists it"
    mount = tmp_path / "disk"
    mount.mkdir()
    out = tmp_path / "report.json"
    script = 'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$1" "$2" "$0" "$3"'
    proc = subprocess.run(
        [unshare, "--user", "--map-root-user", "--mount", "sh", "-c", script,
         str(mount), sys.executable, str(SCENARIO), str(out)],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())

    assert report["store_error"] and "磁盘已满" in report["store_error"], report["store_error"]
    assert "The disk is full" in report["store_error"]
    assert "records saved before are intact" in report["store_error"]
    assert report["blob_error"] and "磁盘已满" in report["blob_error"]
    assert report["temp_files_left"] == [], "a partial blob file was left behind"
    assert report["blob_files"] == 0
    assert len(report["committed"]) > 21
    assert report["readable_count"] == len(report["committed"]) - 1
    assert report["integrity"] == "ok"
    assert set(report["committed"]) == set(report["present"]), "committed ≠ present"
    assert sorted(report["outbox_ids"]) == sorted(report["present"])
    assert report["holders_ok"]

