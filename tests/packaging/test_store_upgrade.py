"""The store across upgrades and downgrades: `bianmin store backup|migrate|restore` and
packaging/deb/store-upgrade, which postinst runs (docs/packaging.md, "Upgrade and
downgrade"). Real stores in a temporary folder, the real helper script in a child process."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk import store_backup
from kiosk.cli import cli
from offline_store import migrations
from offline_store.health import header_schema_version

from .units import DEB

LATEST = migrations.latest()


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, [*args, "--json"], prog_name="bianmin",
                                env={"BIANMIN_CONFIG": None})
    return result.exit_code, (json.loads(result.stdout) if result.stdout.strip() else {})


@pytest.fixture
def data(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    code, _ = run("store", "init", "--data-dir", str(directory))
    assert code == 0
    return directory


def set_schema(path: Path, version: int) -> None:
    """As a newer version leaves a store; the connection stays open, so the new version
    may be in the WAL only, as after a crash."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA user_version = {version}")
    OPEN.append(db)


OPEN: list[sqlite3.Connection] = []


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def old_store(data: Path) -> None:
    """A store as the version before the last migration left it."""
    data.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(data / "store.sqlite", isolation_level=None)) as db:
        for number in range(1, LATEST):
            migrations.MIGRATIONS[number](db)
        db.execute(f"PRAGMA user_version = {LATEST - 1}")


def test_a_backup_is_one_private_file_named_by_version_and_time(data: Path) -> None:
    code, out = run("store", "backup", "--data-dir", str(data), "--label", "0.0.9")
    assert code == 0
    path = Path(out["path"])
    assert path.parent == data / "backups"
    assert path.name.startswith("0.0.9-") and path.name.endswith("Z.sqlite")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not path.with_name(path.name + "-wal").exists()
    assert out["schema_version"] == header_schema_version(path) == LATEST
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_backups_rotate_but_replaced_stores_stay(data: Path) -> None:
    for label in ("a", "b", "c"):
        assert run("store", "backup", "--data-dir", str(data), "--label", label)[0] == 0
    (data / "backups" / "replaced-z-20200101T000000Z.sqlite").write_bytes(
        (data / "store.sqlite").read_bytes())
    code, out = run("store", "backup", "--data-dir", str(data), "--label", "d", "--keep", "2")
    assert code == 0 and len(out["removed"]) == 2
    names = sorted(p.name.split("-")[0] for p in (data / "backups").glob("*.sqlite"))
    assert names == ["c", "d", "replaced"]
    # --keep 0 keeps everything; two in the same second keep both
    run("store", "backup", "--data-dir", str(data), "--label", "e", "--keep", "0")
    run("store", "backup", "--data-dir", str(data), "--label", "e", "--keep", "0")
    assert len(list((data / "backups").glob("e-*.sqlite"))) == 2


def test_migrate_never_makes_a_store_and_refuses_a_newer_one(data: Path, tmp_path: Path) -> None:
    assert run("store", "migrate", "--data-dir", str(tmp_path / "none"))[0] == 2
    assert not (tmp_path / "none").exists()
    old_store(tmp_path / "old")
    code, out = run("store", "migrate", "--data-dir", str(tmp_path / "old"))
    assert code == 0 and out["migrated"]
    assert (out["from_schema_version"], out["schema_version"]) == (LATEST - 1, LATEST)
    assert run("store", "migrate", "--data-dir", str(tmp_path / "old"))[1]["migrated"] is False
    set_schema(data / "store.sqlite", LATEST + 1)
    assert run("store", "migrate", "--data-dir", str(data))[0] == 2


def test_restore_keeps_the_store_it_replaces_with_its_page_files(data: Path) -> None:
    _, first = run("store", "backup", "--data-dir", str(data), "--label", "0.1.0")
    page = data / "blobs" / "ab" / ("ab" + "0" * 62)
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_bytes(b"sealed page")
    set_schema(data / "store.sqlite", LATEST + 1)  # as a newer version would leave it
    code, out = run("store", "restore", "--latest", "--label", "0.2.0", "--data-dir", str(data))
    assert code == 0 and out["restored_from"] == first["path"]
    assert out["schema_version"] == LATEST == header_schema_version(data / "store.sqlite")
    kept = Path(out["set_aside"])
    assert kept.name.startswith("replaced-0.2.0-")
    assert header_schema_version(kept) == LATEST + 1
    linked = kept.with_suffix(".blobs") / page.relative_to(data / "blobs")
    assert linked.read_bytes() == b"sealed page"
    assert os.stat(linked).st_ino == os.stat(page).st_ino  # a hard link, no copy
    assert run("store", "check", "--data-dir", str(data))[0] == 0
    # the kept store is never what --latest picks: it is too new, and set aside
    assert run("store", "restore", "--latest", "--data-dir", str(data))[1][
        "restored_from"] == first["path"]


def test_restore_refuses_what_it_cannot_use(data: Path, tmp_path: Path) -> None:
    assert run("store", "restore", "--data-dir", str(data))[0] == 2  # neither
    _, made = run("store", "backup", "--data-dir", str(data))
    assert run("store", "restore", made["path"], "--latest", "--data-dir", str(data))[0] == 2
    set_schema(Path(made["path"]), LATEST + 1)
    assert run("store", "restore", made["path"], "--data-dir", str(data))[0] == 2
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a store")
    assert run("store", "restore", str(junk), "--data-dir", str(data))[0] == 2
    assert run("store", "restore", "--latest", "--data-dir", str(tmp_path / "empty"))[0] == 2


def test_restore_into_an_empty_data_directory(data: Path, tmp_path: Path) -> None:
    _, made = run("store", "backup", "--data-dir", str(data))
    fresh = tmp_path / "fresh"
    code, out = run("store", "restore", made["path"], "--data-dir", str(fresh))
    assert code == 0 and out["set_aside"] is None
    assert header_schema_version(fresh / "store.sqlite") == LATEST


# --- packaging/deb/store-upgrade, as postinst runs it -----------------------------------------


def upgrade(data: Path, old: str, new: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BIANMIN_APP": str(Path(sys.executable).with_name("bianmin")),
           "BIANMIN_DATA_DIR": str(data), "BIANMIN_RUN_AS": "",
           "BIANMIN_CONFIG": str(data / "no-such-site.toml")}
    return subprocess.run([str(DEB / "store-upgrade"), old, new], env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def test_an_upgrade_backs_the_store_up_then_migrates_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old_store(data)
    result = upgrade(data, "0.0.9", "0.1.0")
    assert result.returncode == 0, result.stderr
    [backup] = (data / "backups").glob("0.0.9-*.sqlite")
    assert header_schema_version(backup) == LATEST - 1  # the store as the old version left it
    assert store_backup.schema_version(data / "store.sqlite") == LATEST
    # the same version again (a reinstall, a second configure): no backup, nothing changes
    assert upgrade(data, "0.1.0", "0.1.0").returncode == 0
    assert len(list((data / "backups").glob("*.sqlite"))) == 1


def test_a_downgrade_puts_back_the_backup_this_version_made(data: Path, tmp_path: Path) -> None:
    assert upgrade(tmp_path / "nothing", "0.0.9", "0.1.0").returncode == 0  # no store: no-op
    assert not (tmp_path / "nothing").exists()
    assert upgrade(data, "0.1.0", "0.2.0").returncode == 0  # the upgrade to a newer one...
    set_schema(data / "store.sqlite", LATEST + 1)  # ...which migrated the store further
    result = upgrade(data, "0.2.0", "0.1.0")  # and back
    assert result.returncode == 0, result.stderr
    assert "restored" in result.stderr
    assert header_schema_version(data / "store.sqlite") == LATEST
    [kept] = (data / "backups").glob("replaced-0.2.0-*.sqlite")
    assert header_schema_version(kept) == LATEST + 1
    assert run("store", "check", "--data-dir", str(data))[0] == 0


def test_a_downgrade_with_no_usable_backup_leaves_the_store_alone(data: Path) -> None:
    set_schema(data / "store.sqlite", LATEST + 1)
    result = upgrade(data, "0.2.0", "0.1.0")
    assert result.returncode == 0  # the package installs; the services refuse the store
    assert "no backup this version can open" in result.stderr
    assert store_backup.schema_version(data / "store.sqlite") == LATEST + 1
    assert not list(data.glob("backups/*.sqlite"))  # neither migrated nor replaced
