"""The wizard's model, without Qt: answers checked as the configuration schema checks them,
the file written with only what differs from the defaults (atomically, 0640, the old one
kept), read back equal by ``load_config``, and the starting point when the wizard runs
again; the ports offered per role."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path
from typing import Any

from devices.discovery import Detected
from kiosk.config import CONFIG_ENV, SiteConfig, dump_defaults, load_config, resolve_relative
from kiosk.setup_wizard.config_file import changed_toml
from kiosk.setup_wizard.model import CODE_RULE, SetupModel
from kiosk.setup_wizard.ports import Answers, DeviceChoice, SiteAnswers

SITE = SiteAnswers(code="XC-0101", name="西村便民服务站", kind="village", township="东镇",
                   village="西村")
DEVICES = {"id_card_reader": DeviceChoice("ga467-sam", "sim://idcard?card=resident_elderly"),
           "receipt_printer": DeviceChoice("escpos-generic", "sim://printer"),
           "rating_terminal": DeviceChoice("bianmin-rating-v1", "sim://rating?auto=4")}


def problems_of(model: SetupModel, answers: Answers) -> dict[str, str]:
    return {p.key: p.message for p in model.validate(answers)}


def test_a_new_site_starts_empty_and_its_answers_are_checked_as_the_schema_does(
        make_model: Any) -> None:
    model = make_model()
    start = model.answers()
    assert (start.site.code, start.site.name, start.site.kind) == ("", "", "village")
    assert start.site.timezone == "Asia/Shanghai" and start.devices == {}
    assert model.load_problem == "" and not model.existed

    found = problems_of(model, start)
    assert found == {"site.code": "must not be empty", "site.name": "must not be empty"}
    wrong = Answers(site=SiteAnswers(code="西村一站", name="x", timezone="Mars/Olympus"),
                    devices={"ticket_printer": DeviceChoice("escpos-generic", "/dev/ttyUSB0")})
    found = problems_of(model, wrong)
    assert "unknown time zone 'Mars/Olympus'" in found["site.timezone"]
    assert found["site.code"] == CODE_RULE  # the schema takes it, the hub's enrolment would not
    assert "did you mean 'serial:///dev/ttyUSB0'?" in found["devices.ticket_printer.port"]
    # the devices' drivers are checked once every key has the right form, as at load
    found = problems_of(model, Answers(site=SITE, devices={
        "window_sign": DeviceChoice("no-such-driver", "sim://sign")}))
    assert "unknown driver 'no-such-driver'" in found["devices.window_sign.driver"]
    assert problems_of(model, Answers(site=SITE, devices=DEVICES)) == {}
    assert model.write(wrong).ok is False
    assert not (model.config_path).exists()


def test_the_file_holds_only_changes_reads_back_equal_and_is_the_next_start(
        make_model: Any, tmp_path: Path) -> None:
    model = make_model()
    answers = Answers(site=SITE, devices=DEVICES)
    outcome = model.write(answers)
    assert outcome.ok, outcome
    path = tmp_path / "site.toml"
    assert str(path) in outcome.words
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    text = path.read_text("utf-8")
    assert text.startswith("# Bianmin site configuration, written by `bianmin setup`")
    data = tomllib.loads(text)
    assert set(data) == {"site", "devices"}  # nothing that is a default
    assert data["site"] == {"code": "XC-0101", "name": "西村便民服务站", "kind": "village",
                            "township": "东镇", "village": "西村"}  # timezone: the default
    assert list(data["devices"]) == list(DEVICES)
    assert data["devices"]["receipt_printer"] == {"driver": "escpos-generic",
                                                  "port": "sim://printer"}
    assert load_config(path) == model.config(answers)
    assert not list(tmp_path.glob("*.bak")) and not list(tmp_path.glob(".site.toml.*"))

    again = make_model()
    assert again.existed and again.answers() == answers
    changed = Answers(site=SiteAnswers(**{**SITE.__dict__, "name": "西村便民服务站（新）"}),
                      devices={k: v for k, v in DEVICES.items() if k != "rating_terminal"})
    outcome = again.write(changed)
    assert outcome.ok and "site.toml." in outcome.words
    (backup,) = tmp_path.glob("site.toml.*.bak")
    assert backup.read_text("utf-8") == text
    assert load_config(path).site.name == "西村便民服务站（新）"
    assert "rating_terminal" not in load_config(path).devices
    assert make_model().answers() == changed


def test_running_again_keeps_what_the_wizard_does_not_ask(make_model: Any,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text("""\
# the county's own notes: kept in the backup
[site]
code = "XC-0202"
name = "北村便民服务站"
query_url = "https://zwfw.example.gov.cn/q/{receipt_no}"

[crypto]
key_file = "keys/site.key"

[printer_profiles.narrow]
paper_width_mm = 58
dots_per_line = 384
chars_per_line = 32

[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer?width=58"
printer_profile = "narrow"
options = { timeout_s = 8.0 }

[categories.A]
name = "综合受理"

[windows.1]
name = "综合窗口"
categories = { A = 1 }

[queue]
idle_timeout_s = 90
""", "utf-8")
    model = make_model()
    start = model.answers()
    assert start.site.code == "XC-0202" and start.site.kind == "township"
    assert start.devices == {"receipt_printer": DeviceChoice("escpos-generic",
                                                             "sim://printer?width=58")}
    answers = Answers(site=SiteAnswers(**{**start.site.__dict__, "kind": "village"}),
                      devices={**start.devices,
                               "window_sign": DeviceChoice("led-sign", "sim://sign")})
    assert model.write(answers).ok
    text = path.read_text("utf-8")
    assert 'key_file = "keys/site.key"' in text  # still relative to the file's folder
    loaded = load_config(path)
    before = load_config(next(tmp_path.glob("site.toml.*.bak")))
    assert loaded.model_dump(exclude={"site", "devices"}) == before.model_dump(
        exclude={"site", "devices"})
    assert loaded.site.query_url == before.site.query_url and loaded.site.kind == "village"
    printer = loaded.devices["receipt_printer"]
    assert (printer.printer_profile, printer.options) == ("narrow", {"timeout_s": 8.0})
    assert list(loaded.categories) == ["A"] and list(loaded.windows) == ["1"]
    assert loaded == resolve_relative(model.config(answers), path)

    # the same driver on another port keeps its options and its printer profile
    other = Answers(site=answers.site, devices={
        "receipt_printer": DeviceChoice("escpos-generic", "sim://printer"),
        "rating_terminal": DeviceChoice("bianmin-rating-v1", "sim://rating")})
    config = model.config(other)
    assert config is not None and config.devices["receipt_printer"].options == {"timeout_s": 8.0}


def test_a_file_that_cannot_be_used_is_said_and_replaced_with_a_backup(
        make_model: Any, tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('[site]\ncode = "XC-1"\nnmae = "typo"\n', "utf-8")
    model = make_model()
    assert f"{path}:3: site.nmae: unknown key 'nmae'" in model.load_problem
    assert model.answers().site.code == ""  # the defaults: nothing of the broken file
    assert model.write(Answers(site=SITE)).ok
    (backup,) = tmp_path.glob("site.toml.*.bak")
    assert "nmae" in backup.read_text("utf-8")
    assert load_config(path).site.code == "XC-0101"


def test_a_file_of_defaults_is_a_new_site_and_shrinks_to_what_differs(
        make_model: Any, tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(dump_defaults(), "utf-8")  # as `bianmin config defaults > site.toml`
    model = make_model()
    assert model.existed and model.answers() == Answers(site=SiteAnswers(kind="village"))
    assert model.write(Answers(site=SITE)).ok
    assert set(tomllib.loads(path.read_text("utf-8"))) == {"site"}


def test_the_file_is_the_one_the_other_commands_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert SetupModel.for_command(None, data, environ={}).config_path == data / "site.toml"
    named = tmp_path / "etc" / "site.toml"
    model = SetupModel.for_command(None, data, environ={CONFIG_ENV: str(named)})
    assert model.config_path == named
    assert SetupModel.for_command(tmp_path / "x.toml", data, environ={
        CONFIG_ENV: str(named)}).config_path == tmp_path / "x.toml"
    assert model.write(Answers(site=SITE)).ok  # the folder is made
    assert load_config(named).site.code == "XC-0101"


def test_an_unwritable_place_is_said_plainly(make_model: Any, tmp_path: Path) -> None:
    outcome = make_model(Path("/proc/bianmin-setup/site.toml")).write(Answers(site=SITE))
    assert not outcome.ok
    assert "/proc/bianmin-setup/site.toml" in outcome.words and "sudo" in outcome.hint


def test_changed_toml_writes_every_kind_of_difference() -> None:
    data = SiteConfig().model_dump()
    data["categories"] = {}
    data["windows"] = {}
    data["printer_profiles"]["default"]["cut"] = False
    data["kiosk"]["language"] = "en"
    text = changed_toml(data)
    assert "[categories]\n" in text and "[windows]\n" in text
    assert "[printer_profiles.default]\ncut = false" in text
    assert "[kiosk]\nlanguage = \"en\"" in text
    assert SiteConfig.model_validate(tomllib.loads(text)).model_dump() == data


def test_ports_offered_per_role(make_model: Any) -> None:
    detected = [
        Detected("serial:///dev/ttyUSB0", None, "CH340 USB-serial bridge", "1A86:7523",
                 "unknown", "ok"),
        Detected("serial:///dev/ttyUSB1", "id_card_reader", "SAM ID card reader (GA 467)",
                 "0400:C35A", "usb-id", "ok"),
        Detected("file:///dev/usb/lp0", "ticket_printer", "USB printer", "0416:5011", "usb-id",
                 "error", "没有权限访问 / no permission to open /dev/usb/lp0", "hint"),
    ]
    model = make_model(discover=lambda: detected,
                       cameras=lambda: [("/dev/video0", "HD Camera 0AC8:3610")],
                       inputs=lambda: ["/dev/input/by-id/usb-Keypad-event-kbd"])
    ports = model.find_ports()

    def urls(role: str) -> list[str]:
        return [p.url for p in ports[role]]

    assert urls("id_card_reader") == ["serial:///dev/ttyUSB1", "serial:///dev/ttyUSB0",
                                      "sim://idcard?card=resident_elderly"]
    assert urls("receipt_printer") == ["file:///dev/usb/lp0", "serial:///dev/ttyUSB0",
                                       "sim://printer"]
    lp0 = ports["receipt_printer"][0]
    assert lp0.kind == "detected" and "no permission" in lp0.detail
    assert urls("document_camera") == ["file:///dev/video0", "sim://camera?script=a4"]
    rating = {p.url: p.drivers for p in ports["rating_terminal"]}
    assert rating["file:///dev/input/by-id/usb-Keypad-event-kbd"] == ("keypad-5key",)
    assert rating["serial:///dev/ttyUSB0"] == ("bianmin-rating-v1",)
    scanner = {p.url: p.drivers for p in ports["code_scanner"]}
    assert scanner["sim://scanner?mode=wedge&codes=BM-TEST-0001"] == ("keyboard-wedge",)
    assert scanner["sim://scanner?mode=serial&codes=BM-TEST-0001"] == ("serial-scanner",)
    assert urls("announcer") == ["audio://default", "sim://announcer"]
    assert set(model.simulators()) == set(ports)
    assert model.drivers("code_scanner") == ["keyboard-wedge", "serial-scanner"]

    model.write(Answers(site=SITE, devices={
        "window_sign": DeviceChoice("led-sign", "serial:///dev/ttyS4?baud=9600")}))
    current = make_model(discover=lambda: []).find_ports()["window_sign"][0]
    assert (current.url, current.kind) == ("serial:///dev/ttyS4?baud=9600", "current")
