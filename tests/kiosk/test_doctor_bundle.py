"""``bianmin doctor bundle``: the archive a technician sends to the county (docs/cli.md).

Real parts: a data directory made by ``bianmin store init``, simulated devices (``sim://``),
a real ``tar.gz`` opened and read back. The one thing that cannot exist here is a working
systemd journal, so ``journalctl`` is a small shell script put first on ``PATH`` that prints
planted lines (or fails, as a real one does on a machine without a journal).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import stat
import tarfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, ConfigDict, Field

from kiosk.cli import cli
from kiosk.config import SiteConfig, load_config, parse_config
from kiosk.doctor_bundle import (
    REMOVED,
    Scrubber,
    config_toml,
    device_report,
    is_secret_name,
    log_file_texts,
    redact_config,
    secret_fields,
    versions,
)
from kiosk.setup_wizard.services import ALL_UNITS
from offline_store import sync_state
from offline_store.clock import SystemClock
from offline_store.site import Site
from sync.daemon.status import KEYS

PIN_HASH = "scrypt$" + "5eed" * 8 + "$" + "c0ffee42" * 8
PRINTER_PASSWORD = "PrinterPw-31"
APP_KEY = "APPKEY-7731"
LOG_TOKEN = "tok-SECRET-5521"
BEARER = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0"
SECRETS = (PIN_HASH, "5eed" * 8, "c0ffee42" * 8, PRINTER_PASSWORD, APP_KEY, LOG_TOKEN, BEARER)

ID_NUMBERS = ("11010519491231002X", "110101199003074514", "110105491231002")
PHONES = ("13800138000", "+86 139-1234-5678", "15912345678")
NAMES = ("王小明", "李秀英", "John Smith", "赵大海")
ADDRESSES = ("北京市朝阳区幸福路88号", "12 Harbour Road")
PLANTED = (*SECRETS, *ID_NUMBERS, *PHONES, *NAMES, *ADDRESSES)
PHONE_DIGITS = ("1391234", "12345678")  # the +86 number's parts, in case a separator split it

LOG_LINES = [
    f"2026-11-24T09:00:01+0800 pc bianmin-station[41]: case accepted name={NAMES[0]} "
    f"id={ID_NUMBERS[0]} mobile={PHONES[0]}",
    f"2026-11-24T09:00:02+0800 pc bianmin-station[41]: 姓名：{NAMES[1]}，身份证 {ID_NUMBERS[1]}",
    f"2026-11-24T09:00:03+0800 pc bianmin-sync[42]: payload {{\"name\": \"{NAMES[2]}\", "
    f"\"phone\": \"{PHONES[1]}\"}}",
    f"2026-11-24T09:00:04+0800 pc bianmin-station[41]: old card {ID_NUMBERS[2]} "
    f"住址 {ADDRESSES[0]}",
    f"2026-11-24T09:00:05+0800 pc bianmin-station[41]: address={ADDRESSES[1]}, window=3",
    f"2026-11-24T09:00:06+0800 pc bianmin-station[41]: pairing token={LOG_TOKEN} role=kiosk",
    f"2026-11-24T09:00:07+0800 pc bianmin-sync[42]: Authorization: Bearer {BEARER}",
    f"2026-11-24T09:00:08+0800 pc bianmin-kiosk[43]: pin hash {PIN_HASH} loaded",
    f"2026-11-24T09:00:09+0800 pc bianmin-station[41]: printer tcp://admin:{PRINTER_PASSWORD}@x",
    "2026-11-24T09:00:10+0800 pc bianmin-station[41]: ticket A012 called to window 3 "
    "(receipt DEMO-0001-20261124-0007, took 1732438810123 ms)",
]
KEPT = "ticket A012 called to window 3 (receipt DEMO-0001-20261124-0007, took 1732438810123 ms)"

CONFIG = f"""
[site]
code = "T-0042"
name = "测试镇便民服务中心"
query_url = "https://zwfw.example.gov.cn/q/{{receipt_no}}?appkey={APP_KEY}&t={{token}}"

[queue]
hall_notice = "咨询电话 {PHONES[2]}"

[kiosk]
unlock_pin_hash = "{PIN_HASH}"

[devices.ticket_printer]
driver = "escpos-generic"
port = "sim://printer"

[devices.receipt_printer]
driver = "escpos-generic"
port = "tcp://admin:{PRINTER_PASSWORD}@127.0.0.1:9"

[devices.rating_terminal]
driver = "bianmin-rating-v1"
port = "sim://rating?auto=4"
"""

MEMBERS = {"config.toml", "versions.json", "devices.json", "store.json", "sync.json",
           "services.json", "logs/journal.txt", "logs/data-dir/station.log", "manifest.json"}
SHOW = """Id=bianmin-station.service
LoadState=loaded
UnitFileState=enabled
ActiveState=active
SubState=running
Result=success
NRestarts=0
ActiveEnterTimestamp=Tue 2026-11-24 08:00:01 CST

Id=bianmin-kiosk.service
LoadState=loaded
UnitFileState=disabled
ActiveState=failed
SubState=failed
Result=exit-code
NRestarts=12
ActiveEnterTimestamp=
"""


def _fake_systemctl(folder: Path, show: str = SHOW, exit_code: int = 0,
                    stderr: str = "") -> Path:
    """A ``systemctl`` that records its arguments; ``show`` prints ``show`` as systemd
    prints several units' properties. Only a running systemd (PID 1) could answer for real,
    and there is none on this machine."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "show.out").write_text(show, "utf-8")
    script = folder / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{folder}/systemctl.args"\n'
        '[ "$1" = show ] || exit 1\n'
        f'cat "{folder}/show.out"\n'
        + (f'echo "{stderr}" >&2\n' if stderr else "")
        + f"exit {exit_code}\n", "utf-8")
    script.chmod(0o755)
    return folder


def _fake_journalctl(folder: Path, lines: list[str], exit_code: int = 0,
                     stderr: str = "") -> Path:
    """A ``journalctl`` that records its arguments and prints ``lines``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "journal.out").write_text("\n".join(lines) + "\n", "utf-8")
    script = folder / "journalctl"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{folder}/args"\n'
        f'cat "{folder}/journal.out"\n'
        + (f'echo "{stderr}" >&2\n' if stderr else "")
        + f"exit {exit_code}\n", "utf-8")
    script.chmod(0o755)
    return folder


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()  # type: ignore[union-attr]
                if m.isfile()}


def _invoke(*args: object) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="bianmin")


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A data directory made by ``bianmin store init`` with the planted configuration, a
    planted last sync error, and log files: one recent, one old, one compressed."""
    root = tmp_path_factory.mktemp("bundle")
    data, config = root / "data", root / "site.toml"
    config.write_text(CONFIG, "utf-8")
    made = _invoke("store", "init", "--data-dir", data, "--config", config, "--json")
    assert made.exit_code == 0, made.output
    site = Site.open(data, cipher="aes-256-gcm", key_file=None, credential_name="x",
                     busy_timeout_ms=5000, clock=SystemClock())
    with site, site.store.write() as conn:
        sync_state.put(conn, site.clock, last_error=f"hub refused case of {PHONES[0]}")
    logs = data / "logs"
    logs.mkdir()
    (logs / "station.log").write_text("\n".join(LOG_LINES) + "\n", "utf-8")
    old = logs / "old.log"
    old.write_text(f"name={NAMES[3]}\n", "utf-8")
    three_days_ago = (dt.datetime.now() - dt.timedelta(days=3)).timestamp()
    os.utime(old, (three_days_ago, three_days_ago))
    (logs / "station.log.1.gz").write_bytes(b"\x1f\x8b not read")
    return SimpleNamespace(root=root, data=data, config=config)


@pytest.fixture(scope="module")
def made(site_dir: SimpleNamespace) -> Iterator[SimpleNamespace]:
    """One bundle of the planted site, with a journal that works."""
    bin_dir = _fake_systemctl(_fake_journalctl(site_dir.root / "bin", LOG_LINES))
    archive = site_dir.root / "out" / "bundle.tar.gz"
    archive.parent.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        result = _invoke("doctor", "bundle", archive, "--data-dir", site_dir.data,
                         "--config", site_dir.config, "--device-timeout", 5, "--json")
    yield SimpleNamespace(result=result, archive=archive, members=_members(archive),
                          manifest=json.loads(result.stdout), args=(bin_dir / "args"))


def test_the_bundle_is_written_with_every_member(made: SimpleNamespace) -> None:
    assert made.result.exit_code == 0, made.result.output
    assert set(made.members) == MEMBERS
    assert made.manifest["missing"] == []
    assert made.manifest["site_code"] == "T-0042"
    assert {m["name"] for m in made.manifest["members"]} == MEMBERS - {"manifest.json"}
    assert json.loads(made.members["manifest.json"]) == made.manifest
    assert stat.S_IMODE(made.archive.stat().st_mode) == 0o600
    assert not [p for p in made.archive.parent.iterdir() if p != made.archive]  # no temp file
    with tarfile.open(made.archive, "r:gz") as tar:
        assert {stat.S_IMODE(m.mode) for m in tar.getmembers() if m.isfile()} == {0o600}
        assert {(m.uname, m.gname) for m in tar.getmembers()} == {("", "")}


def test_no_secret_and_no_personal_data_in_any_member(made: SimpleNamespace) -> None:
    for name, data in made.members.items():
        text = data.decode("utf-8")
        for planted in (*PLANTED, *PHONE_DIGITS):
            assert planted not in text, f"{planted!r} is in {name}"
    assert made.manifest["secrets_removed"] == [
        "site.query_url", "devices.receipt_printer.port", "kiosk.unlock_pin_hash"]
    counts = made.manifest["scrubbed"]
    assert counts["id_number"] >= 6 and counts["phone"] >= 5 and counts["secret"] >= 6
    assert counts["name"] >= 6 and counts["address"] >= 4


def test_the_configuration_keeps_all_but_its_secrets(made: SimpleNamespace,
                                                     site_dir: SimpleNamespace) -> None:
    shown = tomllib.loads(made.members["config.toml"].decode("utf-8"))
    loaded = load_config(site_dir.config).model_dump(mode="json")
    assert shown["kiosk"]["unlock_pin_hash"] == REMOVED
    assert shown["devices"]["receipt_printer"]["port"] == f"tcp://admin:{REMOVED}@127.0.0.1:9"
    assert shown["site"]["query_url"] == (
        f"https://zwfw.example.gov.cn/q/{{receipt_no}}?appkey={REMOVED}&t={{token}}")
    assert shown["queue"]["hall_notice"] == "咨询电话 <phone>"
    printer = {k: v for k, v in loaded["devices"]["ticket_printer"].items() if v is not None}
    assert shown["devices"]["ticket_printer"] == printer  # TOML has no null: unset is left out
    assert shown["crypto"] == loaded["crypto"]  # key_file and credential_name are not secret
    for section in ("station", "windows", "categories", "printer_profiles", "sync", "store"):
        assert shown[section] == loaded[section]


def test_the_figures_are_those_of_the_other_commands(made: SimpleNamespace,
                                                     site_dir: SimpleNamespace) -> None:
    where = ("--data-dir", site_dir.data, "--config", site_dir.config)
    store = json.loads(made.members["store.json"])
    checked = _invoke("store", "check", *where, "--json")
    assert set(store) == set(json.loads(checked.stdout)) | {"disk_free_bytes"}
    assert store["ok"] is True and store["outbox"]["pending"] == 0
    synced = json.loads(made.members["sync.json"])
    status = _invoke("sync", "status", *where, "--json")
    assert set(synced) == set(json.loads(status.stdout)) >= set(KEYS)
    assert synced["last_error"] == "hub refused case of <phone>"
    shown = json.loads(made.members["versions.json"])
    assert shown["store_schema"]["file"] == store["schema_version"]
    assert shown["libraries"]["cryptography"] and shown["sqlite"]
    assert shown["os"].get("id")  # this machine has /etc/os-release


def test_devices_are_those_doctor_list_reports(made: SimpleNamespace,
                                              site_dir: SimpleNamespace) -> None:
    devices = json.loads(made.members["devices.json"])
    listed = _invoke("doctor", "list", "--config", site_dir.config, "--no-probe", "--json")
    configured = [r for r in json.loads(listed.stdout)["devices"] if r["source"] == "configured"]
    for row in configured:  # the list shows the URL with its password; the bundle does not
        row["url"] = row["url"].replace(PRINTER_PASSWORD, REMOVED)
        row["message"] = row["message"].replace(PRINTER_PASSWORD, REMOVED)
    assert [r for r in devices["devices"] if r["source"] == "configured"] == configured
    states = {r["role"]: r["state"] for r in configured}
    assert states["ticket_printer"] == states["rating_terminal"] == "ok"
    assert states["receipt_printer"] != "ok"  # nothing listens on port 9


def test_the_units_states_and_this_pcs_part(made: SimpleNamespace) -> None:
    services = json.loads(made.members["services.json"])
    assert services["pc"] == {"screen": "none", "station_url": ""}  # no unit installed here
    assert services["units"]["bianmin-station.service"]["SubState"] == "running"
    assert services["units"]["bianmin-kiosk.service"] == {
        "LoadState": "loaded", "UnitFileState": "disabled", "ActiveState": "failed",
        "SubState": "failed", "Result": "exit-code", "NRestarts": "12",
        "ActiveEnterTimestamp": ""}
    asked = (made.args.parent / "systemctl.args").read_text().split()
    assert asked[:2] == ["show", "--property=Id,LoadState,UnitFileState,ActiveState,SubState,"
                                 "Result,NRestarts,ActiveEnterTimestamp"]
    assert asked[asked.index("--") + 1:] == list(ALL_UNITS)


def test_the_logs_are_scrubbed_line_by_line(made: SimpleNamespace) -> None:
    journal = made.members["logs/journal.txt"].decode("utf-8").splitlines()
    assert len(journal) == len(LOG_LINES)
    assert journal[-1].endswith(KEPT)
    assert journal[0].endswith("case accepted name=<name> id=<id-number> mobile=<phone>")
    assert journal[5].endswith(f"pairing token={REMOVED} role=kiosk")
    assert made.members["logs/data-dir/station.log"].decode("utf-8").splitlines() == journal
    logs = made.manifest["logs"]
    assert logs["journal"]["ok"] and logs["journal"]["lines"] == len(LOG_LINES)
    assert logs["files"] == ["logs/data-dir/station.log"]  # old.log is older than --since
    assert any("station.log.1.gz" in note for note in logs["notes"])


def test_journalctl_is_asked_for_the_units_and_the_period(made: SimpleNamespace) -> None:
    args = made.args.read_text("utf-8").split("\n")
    assert "--unit=bianmin*" in args and "--no-pager" in args
    since = int(next(a for a in args if a.startswith("--since=@"))[len("--since=@"):])
    created = dt.datetime.fromisoformat(made.manifest["created_at"]).timestamp()
    assert created - since == pytest.approx(24 * 3600, abs=2)


def test_the_text_output_says_what_was_written(site_dir: SimpleNamespace,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no journalctl at all
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(b"an older bundle")
    result = _invoke("doctor", "bundle", archive, "--data-dir", site_dir.data, "--config",
                     site_dir.config, "--since", "0.5")
    assert result.exit_code == 0, result.output
    assert f"Support bundle written: {archive}" in result.stdout
    assert "logs/journal.txt: 没有 journalctl / journalctl is not installed" in result.stdout
    members = _members(archive)  # the older file was replaced whole
    assert "logs/journal.txt" not in members and "logs/data-dir/station.log" in members
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.tar.gz"]


# --- parts missing never fail the bundle ----------------------------------------------------


def test_no_store_no_journal_still_a_bundle(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = _fake_journalctl(tmp_path / "bin", [], exit_code=1,
                               stderr="No journal files were found.")
    _fake_systemctl(bin_dir, show="", exit_code=1, stderr="System has not been booted with "
                    "systemd as init system (PID 1). Can't operate.\nFailed to connect to bus")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    archive = tmp_path / "b.tar.gz"
    result = _invoke("doctor", "bundle", archive, "--data-dir", tmp_path / "empty", "--config",
                     tmp_path / "none.toml", "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    reasons = {m["part"]: m["reason"] for m in manifest["missing"]}
    assert set(reasons) == {"config.toml", "devices.json", "store.json", "sync.json",
                            "services.json", "logs/journal.txt", "logs/"}
    assert reasons["services.json"] == ("systemctl show 失败 / failed: System has not been "
                                        "booted with systemd as init system (PID 1). Can't "
                                        "operate.")
    assert "file not found" in reasons["config.toml"]
    assert "no site store" in reasons["store.json"]
    assert reasons["logs/journal.txt"] == ("journalctl 失败 / journalctl failed: "
                                           "No journal files were found.")
    assert set(_members(archive)) == {"versions.json", "manifest.json"}
    assert manifest["site_code"] is None


def test_a_broken_configuration_is_reported_without_its_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    config = tmp_path / "site.toml"
    config.write_text('[kiosk]\nunlock_pin_hash = "1234-my-pin"\n[station]\nport = 0\n', "utf-8")
    result = _invoke("doctor", "bundle", tmp_path / "b.tar.gz", "--config", config,
                     "--data-dir", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    reason = {m["part"]: m["reason"] for m in json.loads(result.stdout)["missing"]}["config.toml"]
    assert "kiosk.unlock_pin_hash: <removed>" in reason and "station.port" in reason
    for data in _members(tmp_path / "b.tar.gz").values():
        assert b"1234-my-pin" not in data


def test_a_device_that_hangs_is_cut_off(tmp_path: Path) -> None:
    # a reader that never answers: its own check would give up after 2 s with "answered badly"
    config = parse_config('[devices.id_card_reader]\ndriver = "ga467-sam"\n'
                          'port = "sim://idcard?stall=all"\n', "t")
    report = device_report(config, timeout_s=0.3)
    row = next(r for r in report["devices"] if r["source"] == "configured")
    assert row["state"] == "error"
    assert row["message"] == "设备在 0.3 秒内没有应答 / the device did not answer within 0.3 s"
    assert report["ok"] is False and report["probe"] is False


# --- an archive that cannot be written ------------------------------------------------------


@pytest.mark.parametrize("where", ["missing-folder/b.tar.gz", "a-file/b.tar.gz", "a-folder"])
def test_an_unwritable_file_exits_2(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-folder").mkdir()
    result = _invoke("doctor", "bundle", tmp_path / where, "--data-dir", tmp_path / "d")
    assert result.exit_code == 2
    assert "无法写入诊断包 / Cannot write the support bundle" in result.stderr
    assert "请检查 / Check:" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "a-folder"]


# --- secrets, by the schema -----------------------------------------------------------------


def test_the_schema_secret_fields() -> None:
    found = secret_fields()
    assert "kiosk.unlock_pin_hash" in found
    assert not {"crypto.key_file", "crypto.credential_name", "site.code"} & set(found)


@pytest.mark.parametrize(("name", "secret"), [
    ("unlock_pin_hash", True), ("token", True), ("X-Bianmin-Token", True), ("appkey", True),
    ("enrol_code", True), ("db_password", True), ("client_secret", True), ("session", True),
    ("key_file", False), ("key_id", False), ("credential_name", False), ("health_port", False),
    ("code", False), ("name", False), ("session_s", False), ("mapping", False),
])
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


class _Inner(BaseModel):
    model_config = ConfigDict(frozen=True)
    token: str = ""
    port: str = ""
    options: dict[str, str | int] = Field(default_factory=dict)


class _Schema(BaseModel):
    model_config = ConfigDict(frozen=True)
    hub_url: str = ""
    key_file: str = ""
    enrolment_code: str = ""
    staff: str = Field(default="", json_schema_extra={"secret": True})
    pin_length: int = Field(default=6, json_schema_extra={"secret": False})
    inner: _Inner = Field(default_factory=_Inner)
    tables: dict[str, _Inner] = Field(default_factory=dict)


def test_redaction_walks_the_schema() -> None:
    model = _Schema(
        hub_url="https://u:hubpw@hub.example?access_token=T0K3N&site=T-1",
        key_file="/etc/bianmin/site.key", enrolment_code="ENROL-99", staff="张三,李四",
        inner=_Inner(token="", port="sim://x"),
        tables={"a": _Inner(token="inner-token", options={"password": 123456, "baud": 9600})})
    redacted = redact_config(model)
    assert redacted.data == {
        "hub_url": f"https://u:{REMOVED}@hub.example?access_token={REMOVED}&site=T-1",
        "key_file": "/etc/bianmin/site.key", "enrolment_code": REMOVED, "staff": REMOVED,
        "pin_length": 6, "inner": {"token": "", "port": "sim://x", "options": {}},
        "tables": {"a": {"token": REMOVED, "port": "", "options": {"password": REMOVED,
                                                                   "baud": 9600}}}}
    assert redacted.removed == ["hub_url", "enrolment_code", "staff", "tables.a.token",
                                "tables.a.options.password"]
    assert redacted.values == {"hubpw", "T0K3N", "ENROL-99", "张三,李四", "inner-token",
                               "123456"}


def test_the_configuration_without_secrets_reads_back_equal() -> None:
    text = (CONFIG.replace(f'unlock_pin_hash = "{PIN_HASH}"', "")
            .replace(f"admin:{PRINTER_PASSWORD}@", "").replace(f"appkey={APP_KEY}&", "")
            .replace(PHONES[2], "电话见公告栏"))
    config = parse_config(text, "t")
    redacted = redact_config(config)
    assert redacted.removed == []
    assert parse_config(config_toml(redacted.data, header="a\nb"), "back") == config
    assert parse_config(config_toml(redact_config(SiteConfig()).data), "d") == SiteConfig()


# --- personal data in text ------------------------------------------------------------------


@pytest.mark.parametrize(("line", "scrubbed"), [
    ("read name=王小明 ok", "read name=<name> ok"),
    ("name=John Smith, window=3", "name=<name>, window=3"),
    ("name=John Smith status=ok", "name=<name> status=ok"),
    ('{"name": "李秀英", "ok": true}', '{"name": "<name>", "ok": true}'),
    ("english_name='ZHANG SAN' x", "english_name='<name>' x"),
    ("姓名：赵大海，性别：男", "姓名：<name>，性别：男"),
    ("姓名 赵大海 男", "姓名 <name> 男"),
    ("credential_name=bianmin-site-key", "credential_name=<name>"),  # any *name= goes
    ("住址：北京市朝阳区幸福路88号 发证", "住址：<address> 发证"),
    ("address: 12 Harbour Road; next", "address: <address>; next"),
    ("id 11010519491231002X.", "id <id-number>."),
    ("id=110101199003074514", "id=<id-number>"),
    ("old 110105491231002 card", "old <id-number> card"),
    ("call 13800138000 now", "call <phone> now"),
    ("tel:+86 139-1234-5678", "tel:<phone>"),
    ("tel 0086-15912345678;", "tel <phone>;"),
    ("token=abc123 role=kiosk", f"token={REMOVED} role=kiosk"),
    ('"X-Bianmin-Token": "abc123"', f'"X-Bianmin-Token": "{REMOVED}"'),
    ("Authorization: Bearer eyJhbGciOi.x", f"Authorization: Bearer {REMOVED}"),
    ("bianmin kiosk pin-hash --pin 123456", f"bianmin kiosk pin-hash --pin {REMOVED}"),
    ("bianmin sync enrol --code=K7Q2-9XZ", f"bianmin sync enrol --code={REMOVED}"),
    (f"unlock with {PIN_HASH}!", f"unlock with {REMOVED}!"),
])
def test_planted_lines_are_scrubbed(line: str, scrubbed: str) -> None:
    assert Scrubber().text(line) == scrubbed


@pytest.mark.parametrize("line", [
    "2026-11-24T09:00:10+0800 pc bianmin-station[41]: " + KEPT,
    "the name of the window is 综合窗口",  # "name" in a sentence is no label
    "key_file=/etc/bianmin/site.key key_id=k-1 kind=village",
    "usb://0416:5011 serial:///dev/ttyUSB0?baud=115200 took 12345678901234 ns",
    "receipt T-0042-20261124-0012, sha256 9f86d081884c7d659a2feaa0c55ad015",
    "masked 110105********002X stays masked",
])
def test_ordinary_lines_are_kept(line: str) -> None:
    scrubber = Scrubber()
    assert scrubber.text(line) == line
    assert sum(scrubber.counts.values()) == 0


def test_known_secret_values_are_cut_wherever_they_are() -> None:
    scrubber = Scrubber(["s3cret-value", "abc"])  # too short a value would cut everything
    assert scrubber.text("x s3cret-value y abc") == f"x {REMOVED} y abc"
    assert scrubber.data({"k": ["s3cret-value"], "n": 5}) == {"k": [REMOVED], "n": 5}
    assert scrubber.counts["secret"] == 2


def test_versions_read_os_release(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
                       'VERSION_ID="12"\nHOME_URL="https://www.debian.org/"\n', "utf-8")
    shown = versions(tmp_path, release)
    assert shown["os"]["pretty_name"] == "Debian GNU/Linux 12 (bookworm)"
    assert shown["os"]["version_id"] == "12" and "home_url" not in shown["os"]
    assert shown["store_schema"]["file"] is None and shown["store_schema"]["code"] >= 1
    assert versions(tmp_path, tmp_path / "nothing")["os"]["kernel"]


def test_the_archive_bytes_hold_no_planted_value(made: SimpleNamespace) -> None:
    """The whole uncompressed tar stream, headers included, not only the members' texts."""
    raw = gzip.decompress(made.archive.read_bytes())
    for planted in PLANTED:
        assert planted.encode("utf-8") not in raw


def test_log_files_are_tails_within_a_budget(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    newest, older = folder / "b.log", folder / "a.log"
    older.write_text("older line\n", "utf-8")
    newest.write_text("".join(f"line {n:03}\n" for n in range(100)), "utf-8")  # 900 bytes
    an_hour_ago = (dt.datetime.now() - dt.timedelta(hours=1)).timestamp()
    os.utime(older, (an_hour_ago, an_hour_ago))
    (folder / "link.log").symlink_to(newest)
    texts, notes = log_file_texts({"x": folder}, dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
                                  budget=40)
    assert texts == {"logs/x/b.log": "line 096\nline 097\nline 098\nline 099\n"}
    assert notes == ["a.log: 超出大小上限 / over the size limit, left out"]
