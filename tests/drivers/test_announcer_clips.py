"""The clip back-end with the shipped clips (devices/clips/cmn): every word a call needs is
there in the right format, calls join into valid non-silent WAVs, a site's recordings
replace clips (any rate and width, never clipping), and a missing clip falls back to
espeak-ng live or fails plainly."""

from __future__ import annotations

import io
import shutil
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from drivers.announcer_clips import CHIME, CLIP_RATE, CLIPS, ClipSpeaker
from drivers.announcer_espeak import (
    FULL_SCALE,
    PEAK_LIMIT,
    EspeakSpeaker,
    SpeechError,
    read_wav,
    wav_bytes,
)
from kiosk.domain.call_text import CALL_WORDS, call_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "devices" / "clips" / "cmn"
CALL = call_text("A001", "3").tokens
RMS_FLOOR = 0.02

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed")


def _tone_wav(freq: float, rate: int, *, width: int = 2, channels: int = 1,
              amplitude: float = 0.5, seconds: float = 0.4) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    x = amplitude * np.sin(2 * np.pi * freq * t)
    if width == 2:
        frames = np.round(x * 32767).astype("<i2")
    else:
        frames = np.round(x * (2**31 - 1)).astype("<i4")
    frames = np.repeat(frames, channels)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    return out.getvalue()


def _dominant_hz(pcm: np.ndarray, rate: int) -> float:
    x = pcm.astype(float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spectrum)])


# --------------------------------------------------------------------------- shipped clips


def test_every_call_word_and_letter_has_a_clip() -> None:
    assert set(CALL_WORDS) <= set(CLIPS)
    assert {chr(c) for c in range(ord("A"), ord("Z") + 1)} <= set(CLIPS)
    names = {p.stem for p in SHIPPED.glob("*.wav")}
    assert {*CLIPS.values(), CHIME} <= names
    assert ClipSpeaker(SHIPPED).problems() == []


def test_shipped_clips_are_16khz_mono_16bit_trimmed_and_small() -> None:
    total = 0
    for path in SHIPPED.glob("*.wav"):
        total += path.stat().st_size
        with wave.open(str(path)) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, CLIP_RATE)
            x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
        assert 0.1 < x.size / CLIP_RATE < 1.5, path.name
        assert np.sqrt(np.mean(x**2)) / FULL_SCALE > RMS_FLOOR, path.name
        if path.stem != CHIME:  # trimmed: sound within 40 ms of either end
            loud = np.nonzero(np.abs(x) > 0.01 * FULL_SCALE)[0]
            assert loud[0] < 0.04 * CLIP_RATE and x.size - loud[-1] < 0.04 * CLIP_RATE, path.name
    assert total < 1_500_000


@needs_espeak
def test_make_clips_reproduces_the_committed_clips(tmp_path: Path) -> None:
    """The shipped clips are exactly what packaging/make_clips.py makes (espeak-ng 1.51)."""
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import make_clips
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    assert make_clips.main(["--out", str(tmp_path)]) == 0
    made = sorted(p.name for p in tmp_path.glob("*.wav"))
    assert made == sorted(p.name for p in SHIPPED.glob("*.wav"))
    differ = [name for name in made
              if (tmp_path / name).read_bytes() != (SHIPPED / name).read_bytes()]
    assert not differ, f"re-run packaging/make_clips.py: {differ}"


# --------------------------------------------------------------------------- joining


def test_a_call_is_a_valid_non_silent_wav() -> None:
    speaker = ClipSpeaker(SHIPPED)
    speech = speaker.synthesize(CALL)
    with wave.open(io.BytesIO(speech.wav_bytes())) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, CLIP_RATE)
    assert 2.0 < speech.duration_s < 8.0
    assert speech.rms > RMS_FLOOR
    assert np.max(np.abs(speech.samples())) <= PEAK_LIMIT * FULL_SCALE
    assert speaker.spoken_live == []  # every word from a clip


def test_the_stream_gives_one_chunk_per_word_and_joins_with_gaps() -> None:
    stream = ClipSpeaker(SHIPPED, gap_ms=30).stream(CALL)
    chunks = list(stream)
    assert len(chunks) == len(CALL)
    gapped = sum(len(c) for c in chunks)
    overlapped = len(ClipSpeaker(SHIPPED, gap_ms=-20).synthesize(CALL).pcm)
    gaps = len(CALL) - 1
    assert gapped - overlapped == 2 * gaps * int(CLIP_RATE * 0.05)  # 30 ms gap vs 20 overlap


def test_pauses_are_silence_of_the_set_length() -> None:
    speaker = ClipSpeaker(SHIPPED, pause_ms=250, long_pause_ms=700)
    plain = len(speaker.synthesize(["请", "到"]).pcm)
    short = len(speaker.synthesize(["请", "，", "到"]).pcm)
    long = len(speaker.synthesize(["请", "。", "到"]).pcm)
    gap = 2 * int(CLIP_RATE * 0.03)
    assert short - plain == 2 * int(CLIP_RATE * 0.25) - gap
    assert long - plain == 2 * int(CLIP_RATE * 0.7) - gap


def test_a_token_without_a_clip_is_split_into_words_that_have_one(tmp_path: Path) -> None:
    shipped = tmp_path / "cmn"
    shutil.copytree(SHIPPED, shipped)
    (shipped / "hao_chuangkou.wav").unlink()
    speaker = ClipSpeaker(shipped, fallback=None)
    joined = speaker.synthesize(["号窗口"])
    assert joined.duration_s > 0.5 and speaker.spoken_live == []
    assert "hao_chuangkou" in speaker.problems()[0]


@needs_espeak
def test_a_missing_clip_falls_back_to_espeak_live() -> None:
    speaker = ClipSpeaker(SHIPPED, fallback=EspeakSpeaker())
    with_word = speaker.synthesize(["请", "业务"])
    assert speaker.spoken_live == ["业务"]
    assert with_word.duration_s > speaker.synthesize(["请"]).duration_s + 0.3
    assert with_word.rms > RMS_FLOOR and with_word.sample_rate == CLIP_RATE
    speaker.synthesize(["业务"])
    assert speaker.spoken_live == ["业务"]  # cached: espeak-ng ran once


def test_a_missing_clip_without_espeak_is_a_plain_error() -> None:
    speaker = ClipSpeaker(SHIPPED, fallback=EspeakSpeaker("/nonexistent/espeak-ng"))
    with pytest.raises(SpeechError) as caught:
        speaker.synthesize(["请", "业务"])
    assert "业务" in str(caught.value) and "espeak-ng not found" in str(caught.value)
    assert "install espeak-ng" in caught.value.hint.lower()
    with pytest.raises(SpeechError, match="no clip for '业务'"):
        ClipSpeaker(SHIPPED).synthesize(["业务"])


def test_nothing_to_say_is_an_error() -> None:
    with pytest.raises(SpeechError, match="nothing to speak"):
        ClipSpeaker(SHIPPED).synthesize(["，", "。"])


# --------------------------------------------------------------------------- site recordings


def test_a_site_recording_replaces_a_clip_at_any_rate_and_width(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "qing.wav").write_bytes(_tone_wav(1000, 44100, width=4, channels=2))
    (site / "到.wav").write_bytes(_tone_wav(500, 8000))
    speaker = ClipSpeaker(SHIPPED, site)
    qing = speaker.synthesize(["请"])
    assert qing.sample_rate == CLIP_RATE
    assert abs(_dominant_hz(qing.samples(), CLIP_RATE) - 1000) < 5
    assert abs(qing.duration_s - 0.4) < 0.05
    dao = speaker.synthesize(["到"])
    assert abs(_dominant_hz(dao.samples(), CLIP_RATE) - 500) < 5
    shipped = ClipSpeaker(SHIPPED).synthesize(["请"])
    assert abs(_dominant_hz(shipped.samples(), CLIP_RATE) - 1000) > 50  # the real word
    assert speaker.problems() == []


def test_a_full_scale_recording_never_clips(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    square = np.sign(np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)) * 32767
    (site / "hao.wav").write_bytes(wav_bytes(square.astype("<i2").tobytes(), 48000))
    speech = ClipSpeaker(SHIPPED, site).synthesize(CALL)
    assert np.max(np.abs(speech.samples())) <= PEAK_LIMIT * FULL_SCALE
    assert not np.any(np.abs(speech.samples()) >= FULL_SCALE)


def test_a_broken_site_recording_falls_back_to_the_shipped_clip(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "qing.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    speaker = ClipSpeaker(SHIPPED, site)
    assert speaker.synthesize(["请"]) == ClipSpeaker(SHIPPED).synthesize(["请"])
    problems = speaker.problems()
    assert len(problems) == 1 and "qing.wav" in problems[0]
    with pytest.raises(SpeechError, match=r"qing\.wav"):
        speaker.check()


def test_the_chime_comes_from_the_site_when_it_has_one(tmp_path: Path) -> None:
    shipped_chime = ClipSpeaker(SHIPPED).chime()
    assert shipped_chime is not None and shipped_chime.sample_rate == CLIP_RATE
    assert 0.5 < shipped_chime.duration_s < 1.5 and shipped_chime.rms > RMS_FLOOR
    site = tmp_path / "site"
    site.mkdir()
    (site / "chime.wav").write_bytes(_tone_wav(880, 22050))
    chime = ClipSpeaker(SHIPPED, site).chime()
    assert chime is not None and abs(_dominant_hz(chime.samples(), CLIP_RATE) - 880) < 5
    assert ClipSpeaker(tmp_path / "nowhere").chime() is None


def test_missing_folders_are_reported() -> None:
    problems = ClipSpeaker(Path("/nonexistent/clips")).problems()
    assert "does not exist" in problems[0]
    assert "does not exist" in ClipSpeaker(SHIPPED, Path("/nonexistent/site")).problems()[0]


def test_shipped_clips_read_back_with_read_wav() -> None:
    speech = read_wav((SHIPPED / "qing.wav").read_bytes())
    assert speech.sample_rate == CLIP_RATE and speech.rms > RMS_FLOOR
