"""Garbage in, no crash out: the simulator's interpreter and the status parser take any
bytes; the encoder turns any text into a stream the simulator reads without a stray
command."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.escpos_printer import EscPosProfile, Job, encode, parse_status
from drivers.sim.escpos_printer import EscPosSim, EscPosSimConfig

# Real command prefixes, so the fuzzer gets past the first byte into the length fields.
PREFIXES = [b"\x1b@", b"\x1c&", b"\x1c.", b"\x1b!", b"\x1ba", b"\x1bd", b"\x1bJ", b"\x1b*",
            b"\x1bD", b"\x1d!", b"\x1dV", b"\x1dVA", b"\x1dv0", b"\x1dv0\x00", b"\x1d(k",
            b"\x1d(k\x03\x001Q0", b"\x1d(k\x05\x001P0ab", b"\x1d(L", b"\x1d8L", b"\x1dk",
            b"\x1dkA", b"\x1d*", b"\x10\x04", b"\x10\x04\x01", b"\x10\x14", b"\x1c2",
            b"\x81\x30", b"\xfe\x9f", b"\n", b"\t"]

chunks = st.lists(st.one_of(st.binary(max_size=64), st.sampled_from(PREFIXES)), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks, st.sampled_from(["gb18030", "gbk"]), st.booleans(), st.booleans())
def test_interpreter_never_raises(parts: list[bytes], encoding: str, paper_out: bool,
                                  chinese: bool) -> None:
    sim = EscPosSim(EscPosSimConfig(encoding=encoding, paper_out=paper_out,
                                    chinese_default=chinese))
    for part in parts:
        reply = sim.feed(part)
        assert all(byte & 0x93 == 0x12 for byte in reply)  # only status answers go back
    sim.finish()
    for job in sim.jobs:
        assert job.image.width == 576


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=3000))
def test_interpreter_takes_a_stream_split_anywhere(data: bytes) -> None:
    whole = EscPosSim()
    whole.feed(data)
    whole.finish()
    split = EscPosSim()
    for i in range(0, len(data), 7):
        split.feed(data[i:i + 7])
    split.finish()
    assert [j.text for j in split.jobs] == [j.text for j in whole.jobs]


@given(st.integers(min_value=-5, max_value=300), st.integers(min_value=-5, max_value=300))
def test_parse_status_never_raises(n: int, byte: int) -> None:
    parsed = parse_status(n, byte)
    assert parsed["valid"] == (n in (1, 2, 3, 4) and 0 <= byte <= 255 and byte & 0x93 == 0x12)


def test_parse_status_every_byte() -> None:
    for n in range(0, 6):
        for byte in range(256):
            assert isinstance(parse_status(n, byte), dict)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120), st.sampled_from(["gb18030", "gbk"]), st.sampled_from([58, 80]),
       st.integers(min_value=1, max_value=2))
def test_any_text_encodes_to_a_clean_stream(text: str, encoding: str, width: int,
                                            size: int) -> None:
    profile = EscPosProfile.for_paper(width, encoding=encoding)
    data = encode(Job().text(text, size=size).cut(), profile).data
    sim = EscPosSim(EscPosSimConfig(width=width, encoding=encoding))
    sim.feed(data)
    assert sim.unknown_commands == 0 and sim.decode_errors == 0
    (paper,) = sim.jobs
    for line in paper.text:
        assert all(ch >= " " for ch in line)
