"""The layering of DESIGN.md §3, enforced: import-linter contracts in pyproject.toml.

The second test plants a forbidden import in a copy of the tree and checks that the same
contracts catch it, so this test cannot pass by checking nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "devices", "drivers", "offline_store", "sync")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--config",
         str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def test_layering_contracts_are_kept() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "drivers" / "bad_idea.py").write_text("import offline_store.db\n")
    (tmp_path / "kiosk" / "domain" / "bad_io.py").write_text("import sqlite3\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "drivers import none of our other packages BROKEN" in result.stdout
    assert "kiosk.domain is pure: no Qt, no I/O layers BROKEN" in result.stdout
    assert "offline_store imports none of our other packages KEPT" in result.stdout
