"""The ``bianmin`` command's contract (docs/cli.md): output, ``--json`` keys, exit codes.

The contract tests run the installed console script in a child process, with the
environment cleared of ``BIANMIN_*`` so nothing of the developer's own site leaks in. Stores
are shared per module where a test only reads them; a test that damages a store works on
its own copy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pytest
from click.testing import CliRunner

import kiosk
from kiosk.cli import cli
from kiosk.domain.workdays import WorkdayCalendar
from offline_store import migrations

BIANMIN = Path(sys.executable).parent / "bianmin"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
SAMPLE = json.loads(
    resources.files("kiosk.data").joinpath("sample_catalogue.json").read_text("utf-8")
)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "display"
LISTING_KEYS = {"code", "name", "category", "level", "materials"}


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Bianmin:
    """Runs ``bianmin`` as a child process; every run is checked for a traceback."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def __call__(self, *args: object, expect: int | None = 0) -> Result:
        proc = subprocess.run(
            [str(BIANMIN), *(str(a) for a in args)],
            env=self.env, cwd=self.cwd, capture_output=True, encoding="utf-8", timeout=60,
            check=False,
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        assert "Traceback" not in result.err, result.err
        assert "Traceback" not in result.out, result.out
        if expect is not None:
            assert result.code == expect, (args, result)
        return result


@pytest.fixture(scope="module")
def bianmin(tmp_path_factory: pytest.TempPathFactory) -> Bianmin:
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items()
           if k not in {"BIANMIN_DATA_DIR", "BIANMIN_CONFIG", "CREDENTIALS_DIRECTORY",
                        "INVOCATION_ID"}}
    # The default data dir (platformdirs) must not be the developer's own.
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"))
    return Bianmin(env, home)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- version and help ----------------------------------------------------------------------


def test_version(bianmin: Bianmin) -> None:
    result = bianmin("--version")
    assert result.out == f"bianmin, version {kiosk.__version__}\n"
    assert kiosk.__version__ == "0.1.0"


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


COMMANDS = list(walk(cli))
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not isinstance(cmd, click.Group)]


def _name(path: tuple[str, ...]) -> str:
    return " ".join(("bianmin", *path))


def missing_help(root: click.Command) -> list[str]:
    """Commands, groups and options in the tree under ``root`` without help text."""
    missing = []
    for path, command in walk(root):
        if not (command.help or "").strip():
            missing.append(_name(path))
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{_name(path)} {param.opts[0]}")
    return missing


def test_every_command_and_option_has_help() -> None:
    assert {_name(p) for p, _ in LEAVES} >= {
        "bianmin store init", "bianmin store check", "bianmin catalogue list",
        "bianmin catalogue load", "bianmin calendar add-working-days",
        "bianmin config check", "bianmin config defaults", "bianmin demo",
    }
    assert missing_help(cli) == []


def test_missing_help_is_noticed() -> None:
    @click.group()
    def root() -> None:
        """Root."""

    @root.command()
    @click.option("--quiet", is_flag=True)
    def bare() -> None:
        pass

    assert missing_help(root) == ["bianmin bare", "bianmin bare --quiet"]


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=_name)
def test_help_exits_0(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="bianmin")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: {_name(path)} ")
    command = dict(COMMANDS)[path]
    assert (command.help or "").split("\n")[0].strip() in result.output


def _doc_sections() -> dict[str, str]:
    """``### `bianmin ...` `` headings of docs/cli.md and the text under each."""
    text = DOCS.read_text("utf-8")
    parts = re.split(r"^#{2,4} `(bianmin[^`]*)`[^\n]*\n", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_docs_mention_every_command_and_its_options() -> None:
    text = DOCS.read_text("utf-8")
    sections = _doc_sections()
    for path, _command in COMMANDS:
        assert f"`{_name(path)}" in text, f"{_name(path)} is not in docs/cli.md"
    for path, command in LEAVES:
        assert _name(path) in sections, f"docs/cli.md has no heading for {_name(path)}"
        for param in command.params:
            words = param.opts if isinstance(param, click.Option) else [param.human_readable_name]
            for word in words:
                if word not in ("-h", "--help"):
                    assert word in sections[_name(path)], f"{_name(path)}: {word} not documented"


# --- store ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh(bianmin: Bianmin, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A store made by ``store init`` (run twice), checked and listed before any load."""
    data = tmp_path_factory.mktemp("fresh") / "not-yet" / "D"
    first = bianmin("store", "init", "--data-dir", data, "--json")
    key = data / "site.key"
    key_bytes, key_mode = key.read_bytes(), mode(key)
    second = bianmin("store", "init", "--data-dir", data, "--json")
    return SimpleNamespace(
        data=data, first=first.json(), second=second.json(), key_bytes=key_bytes,
        key_mode=key_mode,
        check=bianmin("store", "check", "--data-dir", data, "--json"),
        listing=bianmin("catalogue", "list", "--data-dir", data, "--json"),
    )


def test_store_init_json(fresh: SimpleNamespace) -> None:
    for report in (fresh.first, fresh.second):
        assert set(report) == {"data_dir", "created", "schema_version", "cipher"}
        assert report["data_dir"] == str(fresh.data)
        assert report["schema_version"] == migrations.latest()
        assert report["cipher"] == "aes-256-gcm"
    assert fresh.first["created"] is True
    assert fresh.second["created"] is False


def test_store_init_makes_the_dir_and_a_private_key_it_keeps(fresh: SimpleNamespace) -> None:
    assert fresh.data.is_dir()
    assert mode(fresh.data) == 0o700
    assert (fresh.data / "store.sqlite").is_file()
    key = fresh.data / "site.key"
    assert fresh.key_mode == 0o600
    assert mode(key) == 0o600
    assert key.read_bytes() == fresh.key_bytes  # the second init kept it
    assert len(fresh.key_bytes.strip()) == 64  # 32 bytes, hex


def test_store_init_text(bianmin: Bianmin, tmp_path: Path) -> None:
    first = bianmin("store", "init", "--data-dir", tmp_path / "D")
    assert "Created the site store" in first.out
    second = bianmin("store", "init", "--data-dir", tmp_path / "D")
    assert "nothing was changed" in second.out


def test_store_check_fresh(fresh: SimpleNamespace) -> None:
    report = fresh.check.json()
    assert report["ok"] is True
    assert report["problems"] == []
    assert isinstance(report["schema_version"], int)
    assert report["schema_version"] == migrations.latest() == report["code_schema_version"]
    assert report["integrity"] == "ok"
    assert report["site_key"] == "ok"
    assert report["path"] == str(fresh.data / "store.sqlite")
    assert set(report["outbox"]) == {"pending", "claimed", "acked", "rejected",
                                     "oldest_undelivered_age_s"}
    assert report["outbox"]["pending"] == 0
    assert report["blobs"] == {"count": 0, "bytes": 0, "missing": 0, "corrupt": 0}
    assert set(report["records"]) == {"tickets", "cases", "ratings", "audit_log"}
    assert report["records"]["cases"] == 0
    assert report["catalogue"] is None
    assert report["bytes"] > 0


@pytest.fixture(scope="module")
def loaded(bianmin: Bianmin, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A store with the sample catalogue loaded: several pages of real data."""
    data = tmp_path_factory.mktemp("loaded") / "D"
    bianmin("store", "init", "--data-dir", data)
    load = bianmin("catalogue", "load", "--sample", "--data-dir", data, "--json")
    listing = bianmin("catalogue", "list", "--data-dir", data, "--json")
    text = bianmin("catalogue", "list", "--data-dir", data)
    return SimpleNamespace(data=data, load=load, listing=listing, text=text)


def copy_store(loaded: SimpleNamespace, target: Path) -> Path:
    assert not (loaded.data / "store.sqlite-wal").exists()  # all in the main file
    shutil.copytree(loaded.data, target)
    return target


def test_store_check_corrupt_page(bianmin: Bianmin, loaded: SimpleNamespace,
                                  tmp_path: Path) -> None:
    data = copy_store(loaded, tmp_path / "D")
    path = data / "store.sqlite"
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    conn.close()
    assert free == 0  # every page is in use, so the damaged one is seen
    assert pages >= 8 and page_size == 4096
    with path.open("r+b") as f:
        f.seek(pages // 2 * page_size)
        f.write(bytes(range(256)) * 16)
    result = bianmin("store", "check", "--data-dir", data, "--json", expect=1)
    report = result.json()
    assert report["ok"] is False
    assert report["integrity"] != "ok"
    assert "damaged" in report["integrity"]
    assert report["problems"]
    assert report["schema_version"] == migrations.latest()  # the header is intact


def test_store_check_garbage_file_is_left_alone(bianmin: Bianmin, tmp_path: Path) -> None:
    data = tmp_path / "D"
    data.mkdir()
    garbage = bytes((i * 7919 + 13) % 256 for i in range(3 * 4096))
    (data / "store.sqlite").write_bytes(garbage)
    result = bianmin("store", "check", "--data-dir", data, "--json", expect=1)
    report = result.json()
    assert report["ok"] is False
    assert report["schema_version"] == 0
    assert "not an SQLite database" in report["integrity"]
    assert (data / "store.sqlite").read_bytes() == garbage
    assert sorted(p.name for p in data.iterdir()) == ["store.sqlite"]


def test_store_check_newer_schema(bianmin: Bianmin, loaded: SimpleNamespace,
                                  tmp_path: Path) -> None:
    data = copy_store(loaded, tmp_path / "D")
    conn = sqlite3.connect(data / "store.sqlite")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    report = bianmin("store", "check", "--data-dir", data, "--json", expect=1).json()
    assert report["ok"] is False
    assert report["schema_version"] == 99
    assert report["code_schema_version"] == migrations.latest()
    assert any("newer" in p for p in report["problems"])


def test_store_check_without_site_key(bianmin: Bianmin, loaded: SimpleNamespace,
                                      tmp_path: Path) -> None:
    data = copy_store(loaded, tmp_path / "D")
    (data / "site.key").unlink()
    report = bianmin("store", "check", "--data-dir", data, "--json", expect=1).json()
    assert report["ok"] is False
    assert report["integrity"] == "ok"
    assert report["site_key"] != "ok"
    assert any("site key" in p and "site.key" in p for p in report["problems"])
    assert not (data / "site.key").exists()  # never recreated


def test_store_check_missing_data_dir(bianmin: Bianmin, tmp_path: Path) -> None:
    report = bianmin("store", "check", "--data-dir", tmp_path / "nowhere", "--json",
                     expect=1).json()
    assert report["ok"] is False
    assert report["schema_version"] == 0
    assert "store init" in report["problems"][0]
    assert not (tmp_path / "nowhere").exists()
    text = bianmin("store", "check", "--data-dir", tmp_path / "nowhere", expect=1)
    assert "NOT ok" in text.out


# --- catalogue -----------------------------------------------------------------------------


def test_catalogue_load_sample(loaded: SimpleNamespace) -> None:
    assert loaded.load.json() == {
        "version": SAMPLE["version"], "sample": True, "items": len(SAMPLE["items"]),
        "bundles": len(SAMPLE["bundles"]), "source": "builtin:sample_catalogue.json",
    }


def test_catalogue_list_json(loaded: SimpleNamespace) -> None:
    listing = loaded.listing.json()
    assert listing["sample"] is True
    assert listing["version"] == SAMPLE["version"]
    assert "示例数据" in listing["notice"]
    assert len(listing["items"]) == len(SAMPLE["items"]) == 49
    assert len(listing["bundles"]) == len(SAMPLE["bundles"]) == 6
    for entry in listing["items"] + listing["bundles"]:
        assert set(entry) >= LISTING_KEYS
        assert entry["level"] in ("乡镇可办", "村可代办")
        assert entry["materials"] and all("name" in m for m in entry["materials"])
    assert [i["code"] for i in listing["items"]] == [i["code"] for i in SAMPLE["items"]]
    assert loaded.listing.err == ""


def test_catalogue_list_text_says_sample(loaded: SimpleNamespace) -> None:
    lines = loaded.text.out.splitlines()
    assert "示例数据" in lines[0] and "Sample data" in lines[0]
    assert len(lines) == 1 + len(SAMPLE["items"]) + len(SAMPLE["bundles"])


def test_catalogue_list_before_any_load(fresh: SimpleNamespace) -> None:
    assert fresh.listing.json() == {"version": None, "sample": False, "notice": None,
                                    "items": [], "bundles": []}
    assert "catalogue load --sample" in fresh.listing.err


def test_catalogue_load_broken_json(bianmin: Bianmin, fresh: SimpleNamespace,
                                    tmp_path: Path) -> None:
    broken = tmp_path / "broken-catalogue.json"
    broken.write_text('{"items": [1, 2,\n', "utf-8")
    result = bianmin("catalogue", "load", broken, "--data-dir", fresh.data, "--json", expect=2)
    assert result.out == ""
    assert f"{broken}:2: not valid JSON" in result.err
    assert "The catalogue has problems" in result.err


def test_catalogue_load_needs_file_or_sample(bianmin: Bianmin, fresh: SimpleNamespace,
                                            tmp_path: Path) -> None:
    neither = bianmin("catalogue", "load", "--data-dir", fresh.data, expect=2)
    assert neither.err.startswith("Usage: bianmin catalogue load")
    assert "give a FILE or --sample" in neither.err
    both = bianmin("catalogue", "load", tmp_path / "x.json", "--sample", "--data-dir",
                   fresh.data, expect=2)
    assert "give a FILE or --sample" in both.err


def test_catalogue_on_missing_store_is_plain_error(bianmin: Bianmin, tmp_path: Path) -> None:
    result = bianmin("catalogue", "list", "--data-dir", tmp_path / "nowhere", expect=2)
    assert "store init" in result.err
    assert not (tmp_path / "nowhere").exists()


# --- calendar ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-10-01", "0", "2026-10-01"),  # N = 0: DATE itself
        ("2026-09-30", "1", "2026-10-08"),  # across 国庆 (Oct 1-7)
        ("2026-09-30", "3", "2026-10-10"),  # ... onto its make-up Saturday
        ("2026-02-13", "2", "2026-02-24"),  # make-up Sat Feb 14, then across 春节 (Feb 15-23)
        ("2026-02-13", "6", "2026-02-28"),  # ... onto the make-up Saturday after it
        ("2026-04-30", "4", "2026-05-09"),  # across 劳动节 onto Sat May 9
        ("2025-12-31", "1", "2026-01-04"),  # across 元旦 onto Sun Jan 4
    ],
)
def test_add_working_days(bianmin: Bianmin, start: str, n: str, expected: str) -> None:
    result = bianmin("calendar", "add-working-days", start, n)
    assert result.out == f"{expected}\n"
    assert result.err == ""


@pytest.fixture(scope="module")
def override_2027(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calendar") / "holidays-2027.toml"
    path.write_text('[2027]\nholidays = [2027-01-01, "2027-01-04"]\nworkdays = [2027-01-09]\n',
                    "utf-8")
    return path


def test_unknown_year_warns(bianmin: Bianmin) -> None:
    assert not WorkdayCalendar().knows(2027)  # chinese-calendar 1.11 stops at 2026
    result = bianmin("calendar", "add-working-days", "2026-12-31", "1")
    assert result.out == "2027-01-01\n"  # Friday, counted as a weekday
    assert "2027" in result.err
    assert "not known" in result.err


def test_override_fills_the_unknown_year(bianmin: Bianmin, override_2027: Path) -> None:
    one = bianmin("calendar", "add-working-days", "2026-12-31", "1", "--override", override_2027)
    assert one.out == "2027-01-05\n"  # Jan 1 and Jan 4 holidays, Jan 2-3 the weekend
    assert one.err == ""
    five = bianmin("calendar", "add-working-days", "2026-12-31", "5", "--override", override_2027)
    assert five.out == "2027-01-09\n"  # the listed make-up Saturday


def test_override_from_the_config(bianmin: Bianmin, override_2027: Path,
                                  tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(f"[calendar]\noverride_file = {json.dumps(override_2027.name)}\n", "utf-8")
    shutil.copy(override_2027, tmp_path / override_2027.name)  # relative to the config file
    result = bianmin("calendar", "add-working-days", "2026-12-31", "1", "--config", config)
    assert (result.out, result.err) == ("2027-01-05\n", "")


@pytest.mark.parametrize(
    "args",
    [
        ["2026-01-05", "-1"],
        ["--", "2026-01-05", "-1"],
        ["2026-13-01", "1"],
        ["5.1.2026", "1"],
        ["2026-01-05", "one"],
        ["2026-01-05"],
    ],
)
def test_add_working_days_bad_arguments(bianmin: Bianmin, args: list[str]) -> None:
    result = bianmin("calendar", "add-working-days", *args, expect=2)
    assert result.out == ""
    assert "Usage: bianmin calendar add-working-days [OPTIONS] DATE N" in result.err


def test_add_working_days_past_year_9999(bianmin: Bianmin) -> None:
    result = bianmin("calendar", "add-working-days", "9999-12-30", "2", expect=2)
    assert result.out == ""
    assert "9999-12-31" in result.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[2027\nholidays = [", "Expected ']'"),
        ("[2027]\nholidays = [2027-01-01]\nfoo = 1\n", "unknown key(s) foo"),
        ("[2027]\nholidays = [2026-12-31]\n", "2026-12-31 is not in 2027"),
    ],
)
def test_add_working_days_malformed_override(bianmin: Bianmin, tmp_path: Path, text: str,
                                             message: str) -> None:
    path = tmp_path / "my-holidays.toml"
    path.write_text(text, "utf-8")
    result = bianmin("calendar", "add-working-days", "2027-01-01", "1", "--override", path,
                     expect=2)
    assert result.out == ""
    assert f"{path}: " in result.err
    assert message in result.err


def test_add_working_days_missing_override(bianmin: Bianmin, tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    result = bianmin("calendar", "add-working-days", "2027-01-01", "1", "--override", path,
                     expect=2)
    assert str(path) in result.err


# --- config --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def defaults(bianmin: Bianmin) -> str:
    return bianmin("config", "defaults").out


def test_config_defaults_is_toml(defaults: str) -> None:
    data = tomllib.loads(defaults)
    assert data["site"]["code"]
    assert "calendar" in data


def test_config_check_valid(bianmin: Bianmin, defaults: str, tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(defaults, "utf-8")
    report = bianmin("config", "check", "--config", path, "--json").json()
    assert report["ok"] is True
    assert report["file"] == str(path)
    assert report["config"]["site"] == tomllib.loads(defaults)["site"]


def test_config_check_unknown_key(bianmin: Bianmin, tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('[site]\ncode = "X-1"\n\n[store]\nfrobnicate = 3\n', "utf-8")
    result = bianmin("config", "check", "--config", path, "--json", expect=2)
    assert result.out == ""
    assert f"{path}:5: store.frobnicate: unknown key 'frobnicate'" in result.err


def test_config_check_finds_site_toml_in_data_dir(bianmin: Bianmin, tmp_path: Path) -> None:
    report = bianmin("config", "check", "--data-dir", tmp_path, "--json").json()
    assert report["file"] is None  # no site.toml: the defaults
    (tmp_path / "site.toml").write_text('[site]\nname = "测试村便民服务站"\n', "utf-8")
    report = bianmin("config", "check", "--data-dir", tmp_path, "--json").json()
    assert report["file"] == str(tmp_path / "site.toml")
    assert report["config"]["site"]["name"] == "测试村便民服务站"


# --- demo ----------------------------------------------------------------------------------


def test_demo_twice(bianmin: Bianmin, tmp_path: Path) -> None:
    data = tmp_path / "demo"
    # no screen, as on CI: the demo plays by itself and writes screenshots
    headless = {k: v for k, v in bianmin.env.items()
                if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    first = Bianmin(headless, bianmin.cwd)("demo", "--data-dir", data)
    for text in ("示例数据", "sample data", f"{len(SAMPLE['items'])} 事项 items",
                 f"{len(SAMPLE['bundles'])} 一件事 bundles", str(data.resolve()), "新建 / new"):
        assert text in first.out, text
    # The demo site has a simulated device for every role, each asked for its state.
    for role in ("id_card_reader", "ticket_printer", "receipt_printer", "document_camera",
                 "rating_terminal", "window_sign", "code_scanner", "announcer"):
        assert re.search(rf"{role}\s+正常 ok", first.out), role
    store, key = data / "store.sqlite", data / "site.key"
    inode, key_bytes = store.stat().st_ino, key.read_bytes()
    assert mode(key) == 0o600

    assert "No screen" in first.out
    # the county's side (DESIGN.md §2): a local hub, the site enrolled, its records sent
    assert "county hub (local, for the demo): http://127.0.0.1:" in first.out
    held = re.search(r"the county hub holds (\d+) records", first.out)
    assert held and int(held.group(1)) > 0, first.out
    stats = json.loads(bianmin("hub", "stats", "--data-dir", data / "hub", "--json").out)
    assert stats["sites"]["DEMO-0001"]["ops"] == int(held.group(1))
    synced = json.loads(bianmin("sync", "status", "--data-dir", data, "--json").out)
    assert synced["outbox_pending"] == 0 and synced["last_error"] is None
    for name in ("hall.png", "console.png"):
        shot = data / "screenshots" / name
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, ARTIFACTS / f"demo_{name}")

    second = bianmin("demo", "--data-dir", data, "--summary-only")
    assert "station" not in second.out
    assert "新建" not in second.out and "/ new" not in second.out
    assert f"{len(SAMPLE['items'])} 事项 items" in second.out
    assert store.stat().st_ino == inode
    assert key.read_bytes() == key_bytes
    conn = sqlite3.connect(store)
    try:
        versions = conn.execute("SELECT count(*) FROM catalogue_versions").fetchone()[0]
    finally:
        conn.close()
    assert versions == 1  # the sample was not loaded again
    assert f"{dt.date.today()}" in second.out
