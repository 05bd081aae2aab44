"""SamReader over a real SerialTransport on the simulator's pseudo-terminal: the driver's own
serial code against a peer that speaks the reader's bytes (house style, step 4)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from drivers import sam_ga467 as sam
from drivers.sam_ga467 import SamReader, SamStatusError, decode_response
from drivers.sim.sam_reader import SamReaderSim, SamSimConfig, load_card, sample_cards
from drivers.transports import SerialTransport, TransportError, TransportTimeout, read_exact

MakeSim = Callable[..., tuple[SamReaderSim, SamReader]]


@pytest.fixture
def make_sim() -> Iterator[MakeSim]:
    opened: list[tuple[SamReaderSim, SerialTransport]] = []

    def make(timeout_s: float = 1.0, **options: object) -> tuple[SamReaderSim, SamReader]:
        options.setdefault("baudrate", None)  # unpaced unless timing is the point
        sim = SamReaderSim(SamSimConfig(**options))  # type: ignore[arg-type]
        transport = SerialTransport(sim.path)
        opened.append((sim, transport))
        return sim, SamReader(transport, timeout_s=timeout_s)

    yield make
    for sim, transport in opened:
        transport.close()
        sim.unplug()


@pytest.mark.parametrize("card", sample_cards())
def test_each_sample_card_reads(make_sim: MakeSim, card: str) -> None:
    sim, reader = make_sim(card=card)
    assert reader.find_card()
    assert reader.select_card()
    result = reader.read_card()
    expected_text, expected_photo = load_card(card)
    assert result.card.raw_text == expected_text
    assert result.card.photo_wlt == expected_photo
    assert result.card.id_number and result.fingerprints is None
    assert sim.received == ["find", "select", "read"]


def test_no_card(make_sim: MakeSim) -> None:
    _, reader = make_sim()
    assert reader.find_card() is False
    assert reader.select_card() is False
    assert reader.read_card_flow() is None


def test_sam_status_and_id(make_sim: MakeSim) -> None:
    _, reader = make_sim(sam_id="06.02-20200101-0000000042-4294967295")
    assert reader.sam_status()
    reader.reset()
    assert reader.sam_id() == "06.02-20200101-0000000042-4294967295"


def test_place_and_remove_at_runtime(make_sim: MakeSim) -> None:
    sim, reader = make_sim()
    assert reader.read_card_flow() is None
    sim.place("foreign_2023")
    result = reader.read_card_flow()
    assert result is not None and result.card.card_type == "foreign_2023"
    sim.remove()
    assert reader.find_card() is False


@pytest.mark.parametrize(("mode", "found_again"), [("present", True), ("absent", False)])
def test_find_after_a_completed_read(make_sim: MakeSim, mode: str, found_again: bool) -> None:
    sim, reader = make_sim(card="resident_young", find_after_read=mode)
    assert reader.read_card_flow() is not None
    assert reader.find_card() is found_again
    sim.remove()
    sim.place("resident_young")
    assert reader.find_card() is True


ERROR_CODES = sorted(set(sam.SW3_TABLE) - {0x90, 0x9F})


@pytest.mark.parametrize("code", ERROR_CODES)
def test_each_injected_read_error_gives_its_plain_message(make_sim: MakeSim, code: int) -> None:
    _, reader = make_sim(card="resident_elderly", errors={"read": code})
    with pytest.raises(SamStatusError) as caught:
        reader.read_card_flow()
    assert caught.value.sw3 == code
    assert caught.value.message == sam.SW3_TABLE[code].message
    assert caught.value.hint == sam.SW3_TABLE[code].hint


def test_no_card_statuses_on_find_are_not_errors_but_others_are(make_sim: MakeSim) -> None:
    sim, reader = make_sim(card="resident_elderly", errors={"find": 0x81})
    assert reader.find_card() is False
    sim.set_error("find", 0x60)
    with pytest.raises(SamStatusError, match="self-test"):
        reader.find_card()
    sim.set_error("find", None)
    assert reader.find_card() is True


def test_garbage_before_replies_is_survived(make_sim: MakeSim) -> None:
    sim, reader = make_sim(card="hmt_permit", garbage=0.7, seed=7)
    for _ in range(15):
        result = reader.read_card_flow()
        assert result is not None and result.card.pass_number == "H12345678"
        sim.place("hmt_permit")  # lift and place again
    assert sim.garbage_bytes > 20


def test_a_stall_gives_a_timeout_in_time(make_sim: MakeSim) -> None:
    _, reader = make_sim(card="resident_elderly", stall=frozenset({"find"}), timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(TransportTimeout, match="find card"):
        reader.find_card()
    assert time.monotonic() - started < 0.5 + 0.5


def test_unplug_mid_read_is_a_transport_error(make_sim: MakeSim) -> None:
    _, reader = make_sim(card="resident_elderly", unplug_during="read", timeout_s=2.0)
    assert reader.find_card() and reader.select_card()
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        reader.read_card()
    assert not isinstance(caught.value, TransportTimeout)
    assert time.monotonic() - started < 1.0


def test_unplug_between_commands(make_sim: MakeSim) -> None:
    sim, reader = make_sim(card="resident_elderly")
    assert reader.find_card()
    sim.unplug()
    with pytest.raises(TransportError):
        reader.find_card()


def test_bad_checksum_is_answered_with_sw3_10(make_sim: MakeSim) -> None:
    _, reader = make_sim()
    frame = bytearray(sam.encode_command(*sam.FIND_CARD))
    frame[-1] ^= 0x01
    reader.transport.write(bytes(frame))
    response, _ = decode_response(read_exact(reader.transport, 11, 1.0))
    assert response is not None and response.sw3 == 0x10


def test_fingerprints(make_sim: MakeSim) -> None:
    sim, reader = make_sim(card="resident_elderly", fingerprints=2)
    result = reader.read_card_flow(fingerprints=True)
    assert result is not None and result.fingerprints is not None
    assert len(result.fingerprints) == 1024 and sim.received[-1] == "read_fingerprints"
    sim.config.fingerprints = 0
    sim.place("resident_elderly")
    result = reader.read_card_flow(fingerprints=True)
    assert result is not None and result.fingerprints == b""


def test_full_read_takes_real_serial_time_at_115200(make_sim: MakeSim) -> None:
    _, reader = make_sim(card="resident_elderly", baudrate=115200)
    assert reader.find_card() and reader.select_card()
    started = time.monotonic()
    reader.read_card()
    elapsed = time.monotonic() - started
    assert 1295 * 10 / 115200 <= elapsed < 1.0  # 0.112 s of line time
    assert elapsed >= 0.11


def test_probe_over_the_link(make_sim: MakeSim) -> None:
    _, reader = make_sim()
    assert SamReader.probe(reader.transport)
    _, stalled = make_sim(stall=frozenset({"all"}))
    started = time.monotonic()
    assert not SamReader.probe(stalled.transport)
    assert time.monotonic() - started < 1.5


def test_config_from_url_options() -> None:
    config = SamSimConfig.from_url_options({
        "card": "resident_elderly", "garbage": "0.1", "baud": "0", "errors": "read:41,find:60",
        "stall": "select", "find_after_read": "absent", "fingerprints": "1", "seed": "3",
    })
    assert config.card == "resident_elderly" and config.garbage == 0.1
    assert config.baudrate is None and config.errors == {"read": 0x41, "find": 0x60}
    assert config.stall == frozenset({"select"}) and config.find_after_read == "absent"
    assert config.fingerprints == 1 and config.seed == 3
    with pytest.raises(ValueError, match="unknown idcard simulator options: colour"):
        SamSimConfig.from_url_options({"colour": "red"})
    with pytest.raises(ValueError, match="unknown command"):
        SamSimConfig.from_url_options({"errors": "jump:41"})
    with pytest.raises(ValueError, match="find_after_read"):
        SamSimConfig.from_url_options({"find_after_read": "sometimes"})
