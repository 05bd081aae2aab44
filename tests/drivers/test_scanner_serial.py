"""Serial-mode scanners: the line reader table-tested and fuzzed, then the driver against the
simulated scanner over a real pseudo-terminal (garbage, cut lines, unplugging)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanner_serial import LineReader, SerialScanner
from drivers.sim.code_scanner import CodeScannerSimConfig, SerialScannerSim
from drivers.transports import SerialTransport, TransportError


def lines(reader: LineReader, *chunks: bytes, t: float = 10.0, step: float = 0.01
          ) -> list[str]:
    out = []
    for chunk in chunks:
        out += [s.text for s in reader.feed(t, chunk)]
        t += step
    return out


@pytest.mark.parametrize(("terminator", "chunks", "expected"), [
    ("cr", [b"A001\r"], ["A001"]),
    ("cr", [b"A0", b"01\rB0", b"02\r"], ["A001", "B002"]),
    # a CR LF scanner read with cr or lf still gives clean codes
    ("cr", [b"A001\r\nB002\r\n"], ["A001", "B002"]),
    ("lf", [b"A001\r\nB002\r\n"], ["A001", "B002"]),
    ("crlf", [b"A001\r\nB002\r", b"\n"], ["A001", "B002"]),
    ("any", [b"A001\rB002\nC003\r\n"], ["A001", "B002", "C003"]),
    # empty lines are skipped
    ("cr", [b"\r\r\rA001\r"], ["A001"]),
    # UTF-8 and GBK Chinese (a scanner setting)
    ("cr", ["二维码".encode() + b"\r"], ["二维码"]),
    ("cr", ["二维码".encode("gbk") + b"\r"], ["二维码"]),
    # GS1 separators are kept
    ("cr", [b"]d2\x1d0109501101530003\r"], ["]d2\x1d0109501101530003"]),
    # garbage: control bytes, or bytes no encoding accepts
    ("cr", [b"\x00\x07\x1b[2J\rA001\r"], ["A001"]),
    ("cr", [b"\xff\xfe\xfd\x80\rA001\r"], ["A001"]),
])
def test_line_table(terminator: str, chunks: list[bytes], expected: list[str]) -> None:
    reader = LineReader(terminator=terminator)  # type: ignore[arg-type]
    assert lines(reader, *chunks) == expected


def test_crlf_keeps_a_lone_cr_inside_the_line_and_then_rejects_it() -> None:
    reader = LineReader(terminator="crlf")
    assert lines(reader, b"A001\rB002\r\n") == []  # "A001\rB002" has a control character
    assert reader.stats.garbage == 1


def test_a_partial_line_is_dropped_after_the_silence() -> None:
    reader = LineReader(terminator="cr", line_timeout_s=0.2)
    assert lines(reader, b"A0") == []
    assert reader.expire(10.1) == [] and reader.pending
    assert reader.expire(10.3) == [] and not reader.pending
    assert reader.stats.partial == 1
    assert lines(reader, b"01\rB002\r", t=11.0) == ["01", "B002"]


def test_without_terminator_the_silence_ends_the_code() -> None:
    reader = LineReader(terminator="none", line_timeout_s=0.05)
    assert lines(reader, b"A0", b"01") == []
    [scan] = reader.expire(10.2)
    assert scan.text == "A001" and scan.started_at == 10.0 and scan.ended_at == 10.01


def test_an_overlong_line_is_dropped_whole() -> None:
    reader = LineReader(terminator="cr", max_length=8)
    assert lines(reader, b"X" * 100, b"Y" * 100, b"Z\rA001\r") == ["A001"]
    assert reader.stats.too_long == 1
    reader = LineReader(terminator="cr", max_length=3)
    assert lines(reader, b"ABCD\rABC\r") == ["ABC"]


def test_bad_settings_are_refused() -> None:
    for options in ({"terminator": "etx"}, {"max_length": 0}, {"line_timeout_s": 0},
                    {"encodings": ("klingon",)}):
        with pytest.raises((ValueError, LookupError)):
            LineReader(**options)  # type: ignore[arg-type]


_pieces = st.one_of(st.binary(max_size=30), st.sampled_from([b"\r", b"\n", b"\r\n"]),
                    st.text(max_size=10).map(lambda s: s.encode("utf-8", "replace")))


@settings(max_examples=300)
@given(st.sampled_from(["cr", "lf", "crlf", "any", "none"]),
       st.lists(st.tuples(_pieces, st.floats(0, 0.5)), max_size=15))
def test_line_reader_digests_anything(terminator: str, chunks: list[tuple[bytes, float]]
                                      ) -> None:
    reader = LineReader(terminator=terminator, max_length=20)  # type: ignore[arg-type]
    t = 0.0
    for data, gap in chunks:
        t += gap
        for scan in reader.feed(t, data):
            assert 0 < len(scan.text) <= 20
            assert "\r" not in scan.text and "\n" not in scan.text
            assert scan.started_at <= scan.ended_at
    reader.expire(t + 1)
    assert not reader.pending
    # buffers stay bounded whatever arrived
    assert len(reader._buf) == 0


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")),
               min_size=1, max_size=40).filter(lambda s: s.strip("\r\n") == s))
def test_any_text_line_comes_back(text: str) -> None:
    reader = LineReader(terminator="cr")
    assert lines(reader, b"\xff\x00garbage\r", text.encode("utf-8") + b"\r") == [text]


# --------------------------------------------------------------------------- over a pty


@pytest.fixture
def sims() -> Iterator[list[SerialScannerSim]]:
    made: list[SerialScannerSim] = []
    yield made
    for sim in made:
        sim.close()


def _scanner(sims: list[SerialScannerSim], reader: LineReader | None = None, **options: object
             ) -> tuple[SerialScannerSim, SerialScanner]:
    sim = SerialScannerSim(CodeScannerSimConfig(**options))  # type: ignore[arg-type]
    sims.append(sim)
    return sim, SerialScanner(SerialTransport(sim.path, 9600), reader)


def test_scans_over_a_pty(sims: list[SerialScannerSim]) -> None:
    sim, scanner = _scanner(sims, LineReader(terminator="any"), terminator="crlf")
    try:
        sim.scan("A001")
        sim.scan("请到3号窗口")
        first = scanner.read_scan(2.0)
        second = scanner.read_scan(2.0)
        assert first is not None and second is not None
        assert (first.text, second.text) == ("A001", "请到3号窗口")
        assert first.source == f"serial:{sim.path}"
        assert scanner.read_scan(0.1) is None
    finally:
        scanner.close()


def test_garbage_and_cut_lines_over_a_pty(sims: list[SerialScannerSim]) -> None:
    sim, scanner = _scanner(sims, LineReader(line_timeout_s=0.1), garbage=1.0, seed=5)
    try:
        sim.send_raw(b"B0")  # half a code, then silence
        assert scanner.read_scan(0.3) is None
        sim.scan("A001")  # preceded by random bytes and a CR
        scan = scanner.read_scan(2.0)
        assert scan is not None and scan.text == "A001"
        assert scanner.reader.stats.partial == 1
    finally:
        scanner.close()


def test_a_code_cut_off_yields_nothing_within_the_timeout(sims: list[SerialScannerSim]) -> None:
    sim, scanner = _scanner(sims, LineReader(line_timeout_s=0.1), cut=1.0)
    try:
        sim.scan("A0012345")
        started = time.monotonic()
        assert scanner.read_scan(0.5) is None
        assert time.monotonic() - started < 0.8
        assert scanner.reader.stats.partial == 1
    finally:
        scanner.close()


def test_unplugging_fails_the_read(sims: list[SerialScannerSim]) -> None:
    sim, scanner = _scanner(sims)
    try:
        sim.unplug()
        with pytest.raises(TransportError):
            for _ in range(20):
                scanner.read_scan(0.05)
    finally:
        scanner.close()
