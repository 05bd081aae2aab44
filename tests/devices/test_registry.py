"""The registry: driver, port and options checked when the configuration loads; roles built
from the config run against the simulators."""

from __future__ import annotations

import pytest

from devices.discovery import serial_devices
from devices.registry import build_device, check_device, probers
from drivers.escpos_printer import EscPosProfile
from drivers.sim.escpos_printer import EscPosSim
from drivers.sim.sam_reader import SamReaderSim, SamSimConfig
from kiosk.config import ConfigError, parse_config


@pytest.mark.parametrize(
    ("role", "driver", "port", "options", "where", "words"),
    [
        ("id_card_reader", "escpos-generic", "sim://idcard", {}, ("driver",),
         "unknown driver 'escpos-generic' for id_card_reader (known: ga467-sam)"),
        ("ticket_printer", "escpos-generic", "sim://idcard", {}, ("port",),
         "the simulator of escpos-generic is sim://printer"),
        ("id_card_reader", "ga467-sam", "sim://idcard?cards=x", {}, ("port",),
         "unknown idcard simulator options: cards"),
        ("ticket_printer", "escpos-generic", "sim://printer?width=57", {}, ("port",), "58 or 80"),
        ("id_card_reader", "ga467-sam", "serial://ttyUSB0", {}, ("port",), "absolute path"),
        ("id_card_reader", "ga467-sam", "serial:///dev/ttyUSB0", {"finger": True},
         ("options", "finger"), "unknown option 'finger'"),
        ("id_card_reader", "ga467-sam", "serial:///dev/ttyUSB0", {"fingerprints": "yes"},
         ("options", "fingerprints"), "expected true or false"),
        ("receipt_printer", "escpos-generic", "tcp://10.0.0.5:9100", {"timeout_s": True},
         ("options", "timeout_s"), "expected a number"),
    ],
)
def test_bad_device_tables_are_refused_with_their_key(
    role: str, driver: str, port: str, options: dict, where: tuple, words: str
) -> None:
    problems = check_device(role, driver, port, options)
    assert [p[0] for p in problems] == [where]
    assert words in problems[0][1]


def test_good_device_tables_pass() -> None:
    assert check_device("id_card_reader", "ga467-sam", "usb://0400:C35A",
                        {"fingerprints": True, "timeout_s": 3}) == []
    assert check_device("ticket_printer", "escpos-generic", "sim://printer?paper_out=1", {}) == []


def test_the_config_file_reports_a_wrong_driver_with_its_line() -> None:
    text = ('[site]\nname = "x"\n\n[devices.id_card_reader]\ndriver = "sam"\n'
            'port = "sim://idcard"\n')
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "site.toml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.key) == (5, "devices.id_card_reader.driver")
    assert "unknown driver 'sam'" in problem.message


def test_built_reader_and_printer_work_against_their_simulators() -> None:
    reader = build_device("id_card_reader", "ga467-sam", "sim://idcard?card=resident_elderly",
                          {"poll_interval_s": 0.05})
    try:
        card = reader.device.read_once(5)
        assert card.name == "王秀英" and card.check_digit_ok
    finally:
        reader.close()
    printer = build_device("receipt_printer", "escpos-generic", "sim://printer?width=58", {},
                           printer_profile=EscPosProfile.for_paper(58))
    try:
        result = printer.device.print_test_page("测试站点")
        assert result.ok, result.message
        assert printer.simulator.sim.wait_for_jobs(1)
        assert "测试站点" in " ".join(printer.simulator.sim.jobs[0].text)
    finally:
        printer.close()


def test_discovery_probes_unknown_bridges_by_handshake() -> None:
    """A CH340 bridge says nothing about what is behind it: the SAM and ESC/POS handshakes
    tell a reader from a printer (both simulators on real pseudo-terminals)."""
    sam = SamReaderSim(SamSimConfig(baudrate=None))
    printer = EscPosSim()
    link = printer.serve_pty()

    class Port:
        def __init__(self, device: str):
            self.device, self.vid, self.pid, self.description = device, 0x1A86, 0x7523, "USB2.0"

    try:
        found = serial_devices([Port(sam.path), Port(link.path)], probers=probers())
        assert [(d.role, d.how) for d in found] == [("id_card_reader", "probe"),
                                                    ("ticket_printer", "probe")]
        # Probing printed nothing: a SAM frame sent to a printer would come out as junk.
        assert printer.status_queries >= 1
        printer.finish()
        assert printer.jobs == []
    finally:
        sam.unplug()
        link.close()
