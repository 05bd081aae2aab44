"""espeak-ng live, run for real (Debian's espeak-ng and espeak-ng-data), and the PCM/WAV
helpers both back-ends share. Failures are provoked with real programs: a path that does
not exist, an unknown voice, and small shell scripts standing in for an espeak-ng that
hangs, prints garbage or stops mid-stream."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.announcer_espeak import (
    ESPEAK_RATE,
    FULL_SCALE,
    PEAK_LIMIT,
    EspeakSpeaker,
    Speech,
    SpeechError,
    WavError,
    parse_wav_header,
    read_wav,
    resample,
    rms,
    to_pcm,
    tokens_to_text,
    trim_silence,
    wav_bytes,
)

CALL = ["请", "A", "零", "零", "一", "号", "到", "三", "号窗口", "办理"]
RMS_FLOOR = 0.02  # speech at espeak's default amplitude measures ≈ 0.13 of full scale

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed")


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-espeak"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def _dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spectrum)])


# --------------------------------------------------------------------------- espeak-ng live


@needs_espeak
def test_a_call_is_a_valid_non_silent_wav() -> None:
    speech = EspeakSpeaker().synthesize(CALL)
    with wave.open(io.BytesIO(speech.wav_bytes())) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, ESPEAK_RATE)
        assert w.getnframes() == len(speech.pcm) // 2
    assert 2.0 < speech.duration_s < 8.0  # 13 syllables at 150 words/min: ≈ 4.6 s
    assert speech.rms > RMS_FLOOR
    assert np.max(np.abs(speech.samples())) < PEAK_LIMIT * FULL_SCALE


@needs_espeak
def test_rate_option_changes_the_speed() -> None:
    slow = EspeakSpeaker(rate=100).synthesize(CALL).duration_s
    fast = EspeakSpeaker(rate=250).synthesize(CALL).duration_s
    assert fast < slow * 0.7


@needs_espeak
def test_the_stream_starts_before_the_utterance_ends_and_can_be_stopped() -> None:
    speaker = EspeakSpeaker()
    stream = speaker.stream("请稍候。" * 40)  # ≈ 40 s of speech
    first = next(iter(stream))
    assert stream.sample_rate == ESPEAK_RATE and len(first) % 2 == 0 and first
    started = time.monotonic()
    stream.close()  # the listener gives up: espeak-ng is stopped, nothing hangs
    assert time.monotonic() - started < 2


@needs_espeak
def test_latin_letters_are_spoken_as_letters() -> None:
    """cmn-latn-pinyin says "A" as the letter ("ei"), not as pinyin "a" and not silently."""
    speaker = EspeakSpeaker()
    for letter in "ABQZ":
        assert speaker.synthesize([letter]).rms > RMS_FLOOR


def test_missing_espeak_is_a_plain_error() -> None:
    with pytest.raises(SpeechError) as caught:
        EspeakSpeaker("/nonexistent/espeak-ng").check()
    assert "espeak-ng not found (/nonexistent/espeak-ng)" in str(caught.value)
    assert "安装 espeak-ng" in caught.value.hint and "Install espeak-ng" in caught.value.hint
    assert caught.value.missing


@needs_espeak
def test_missing_voice_is_a_plain_error() -> None:
    with pytest.raises(SpeechError) as caught:
        EspeakSpeaker(voice="xx-nonexistent").synthesize("一")
    assert "Mandarin voice" in str(caught.value) and caught.value.missing
    assert "espeak-ng-data" in caught.value.hint


def test_an_espeak_that_hangs_times_out(tmp_path: Path) -> None:
    speaker = EspeakSpeaker(_script(tmp_path, "exec sleep 30"), timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(SpeechError, match=r"within 0\.5 s"):
        speaker.synthesize("一")
    assert time.monotonic() - started < 2.5


def test_an_espeak_that_hangs_mid_stream_times_out(tmp_path: Path) -> None:
    header = "printf 'RIFF\\044\\360\\377\\177WAVEfmt \\020\\0\\0\\0\\001\\0\\001\\0" \
             "\\042\\126\\0\\0\\104\\254\\0\\0\\002\\0\\020\\0data\\0\\360\\377\\177'"
    speaker = EspeakSpeaker(_script(tmp_path, f"{header}; printf '\\001\\002'; exec sleep 30"),
                            timeout_s=0.7)
    stream = speaker.stream("一")
    assert stream.sample_rate == 22050
    started = time.monotonic()
    with pytest.raises(SpeechError, match="did not finish"):
        list(stream)
    assert time.monotonic() - started < 2.5


def test_garbage_from_espeak_is_a_plain_error(tmp_path: Path) -> None:
    speaker = EspeakSpeaker(_script(tmp_path, "cat /dev/null; echo 'Segmentation fault'"))
    with pytest.raises(SpeechError, match="not WAV"):
        speaker.synthesize("一")


def test_an_espeak_that_dies_after_the_header_is_an_error(tmp_path: Path) -> None:
    header = "printf 'RIFF\\044\\360\\377\\177WAVEfmt \\020\\0\\0\\0\\001\\0\\001\\0" \
             "\\042\\126\\0\\0\\104\\254\\0\\0\\002\\0\\020\\0data\\0\\360\\377\\177'"
    speaker = EspeakSpeaker(_script(tmp_path, f"{header}; printf '\\001\\002\\003'; "
                                    "echo 'out of memory' >&2; exit 3"))
    with pytest.raises(SpeechError, match="out of memory"):
        speaker.synthesize("一")


def test_an_espeak_that_prints_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="no audio"):
        EspeakSpeaker(_script(tmp_path, "exit 0")).synthesize("一")


def test_bad_settings_are_refused() -> None:
    for kwargs in ({"rate": 10}, {"amplitude": 300}, {"voice": "-x"}):
        with pytest.raises(ValueError):
            EspeakSpeaker(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(SpeechError, match="no text"):
        EspeakSpeaker().synthesize("   ")


@needs_espeak
def test_soxi_agrees_on_the_format(tmp_path: Path) -> None:
    soxi = shutil.which("soxi")
    if soxi is None:
        pytest.skip("sox is not installed")
    path = tmp_path / "call.wav"
    path.write_bytes(EspeakSpeaker().synthesize(CALL).wav_bytes())
    out = subprocess.run([soxi, str(path)], capture_output=True, text=True, check=True).stdout
    assert "Channels       : 1" in out and "Sample Rate    : 22050" in out
    assert "16-bit Signed Integer PCM" in out


# --------------------------------------------------------------------------- helpers


def test_tokens_to_text() -> None:
    assert tokens_to_text(CALL) == "请 A 零零一号到三号窗口办理"
    assert tokens_to_text("原样 text") == "原样 text"


def test_wav_round_trip_and_conversions() -> None:
    rate = 16000
    tone = (0.5 * FULL_SCALE * np.sin(2 * np.pi * 440 * np.arange(rate) / rate))
    pcm = to_pcm(tone)
    assert read_wav(wav_bytes(pcm, rate)) == Speech(pcm, rate)
    # 24-bit stereo at 44.1 kHz, as a site's recorder might save it
    raw = np.round(tone * 256).astype(np.int32)
    frames = np.stack([raw, raw], axis=1).reshape(-1)
    b = np.stack([frames & 0xFF, (frames >> 8) & 0xFF, (frames >> 16) & 0xFF], axis=1)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(3)
        w.setframerate(44100)
        w.writeframes(b.astype(np.uint8).tobytes())
    speech = read_wav(out.getvalue(), "site.wav")
    assert speech.sample_rate == 44100
    assert np.max(np.abs(speech.samples().astype(int) - np.round(tone).astype(int))) <= 1
    # 8-bit unsigned
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes([128, 192, 64, 128]))
    assert read_wav(out.getvalue()).samples().tolist() == [0, 16384, -16384, 0]


def test_read_wav_refuses_what_it_cannot_read() -> None:
    with pytest.raises(WavError, match="not a readable PCM WAV"):
        read_wav(b"RIFF....WAVEjunk", "qing.wav")
    with pytest.raises(WavError, match="no samples"):
        read_wav(wav_bytes(b"", 16000), "empty.wav")


def test_resample_keeps_pitch_and_level_and_does_not_alias() -> None:
    src = 44100
    t = np.arange(src) / src
    tone = 10000 * np.sin(2 * np.pi * 1000 * t)
    out = resample(tone, src, 16000)
    assert out.size == 16000
    assert abs(_dominant_hz(out, 16000) - 1000) < 2
    assert abs(np.sqrt(np.mean(out**2)) / np.sqrt(np.mean(tone**2)) - 1) < 0.02
    # 12 kHz cannot exist at 16 kHz; without the low-pass it would fold down to 4 kHz
    high = resample(10000 * np.sin(2 * np.pi * 12000 * t), src, 16000)
    assert np.sqrt(np.mean(high**2)) < 0.01 * np.sqrt(np.mean(tone**2))
    up = resample(out, 16000, 22050)
    assert abs(_dominant_hz(up, 22050) - 1000) < 2


def test_to_pcm_never_clips() -> None:
    loud = np.array([0, 50000, -70000, 1000], dtype=float)
    samples = np.frombuffer(to_pcm(loud), dtype="<i2")
    assert np.max(np.abs(samples)) <= PEAK_LIMIT * FULL_SCALE + 1
    assert samples[2] < 0 < samples[1]  # scaled, not wrapped around


def test_trim_silence_cuts_to_the_sound() -> None:
    rate = 16000
    tone = 8000 * np.sin(2 * np.pi * 300 * np.arange(rate // 2) / rate)
    x = np.concatenate([np.zeros(rate), tone, np.zeros(rate) + 3])  # 3 = a little hiss
    cut = trim_silence(x, rate)
    assert rate // 2 <= cut.size <= rate // 2 + int(0.04 * rate)
    assert trim_silence(np.zeros(rate), rate).size == 0  # all silence: nothing left


def test_rms_of_a_sine() -> None:
    tone = to_pcm(0.5 * FULL_SCALE * np.sin(2 * np.pi * 100 * np.arange(16000) / 16000))
    assert abs(rms(tone) - 0.5 / np.sqrt(2)) < 0.001
    assert rms(b"") == 0.0


# --------------------------------------------------------------------------- fuzzing

_HEADER = wav_bytes(b"\x01\x00" * 8, 22050)
_pieces = st.one_of(
    st.binary(max_size=30),
    st.just(b"RIFF"), st.just(b"WAVE"), st.just(b"fmt "), st.just(b"data"),
    st.just(_HEADER[:20]), st.just(_HEADER),
    st.builds(lambda n: n.to_bytes(4, "little"), st.integers(0, 2**32 - 1)),
)
_streams = st.lists(_pieces, max_size=10).map(b"".join)


@settings(max_examples=400)
@given(_streams)
def test_parse_wav_header_raises_only_wav_error(data: bytes) -> None:
    try:
        header = parse_wav_header(data)
    except WavError:
        return
    if header is not None:
        assert header.data_offset <= len(data) + 8 and header.sample_rate >= 1000


@settings(max_examples=300)
@given(_streams)
def test_read_wav_raises_only_wav_error(data: bytes) -> None:
    try:
        speech = read_wav(data)
    except WavError:
        return
    assert len(speech.pcm) % 2 == 0 and speech.pcm


@given(st.binary(max_size=64))
def test_a_valid_header_is_found_in_any_split(tail: bytes) -> None:
    data = _HEADER + tail
    for cut in range(44):  # the canonical header is 44 bytes
        assert parse_wav_header(data[:cut]) is None  # a valid beginning: wait for more
    header = parse_wav_header(data)
    assert header is not None and header.data_offset == 44 and header.sample_rate == 22050


@needs_espeak
def test_closing_an_unread_stream_stops_espeak() -> None:
    stream = EspeakSpeaker().stream("请稍候。" * 200)  # more than a pipe holds
    stream.close()
    reader_proc = stream._on_close.__self__.proc  # type: ignore[union-attr]
    assert reader_proc.poll() is not None  # the child is gone, not blocked on a full pipe
