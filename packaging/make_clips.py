"""Make the shipped announcer clips (devices/clips/cmn/*.wav) with espeak-ng.

    .venv/bin/python packaging/make_clips.py [--out DIR] [--espeak PATH] [--voice V] [--rate N]

One clip per word of ``drivers.announcer_clips.CLIPS`` (请, 号, 到, 窗口, 办理, 号窗口,
请稍候, 零…九, 十, 百, 幺, A–Z), spoken by espeak-ng (voice ``cmn-latn-pinyin``, see
``drivers/announcer_espeak.py`` for why), resampled to 16 kHz, trimmed of silence with a
10 ms-frame energy threshold (−40 dB below the loudest frame, 15 ms kept either side) and
scaled to the common peak ``CLIP_PEAK``; plus ``chime.wav``, a two-note "叮咚" (E5 then C5,
with two overtones and an exponential decay) computed here, not spoken. Output: 16-bit
mono PCM WAV. The output is deterministic for one espeak-ng version (1.51 for the
committed clips), so re-running it changes nothing.

sox is not needed; ``soxi devices/clips/cmn/qing.wav`` is a handy check of the format.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drivers.announcer_clips import CHIME, CLIP_PEAK, CLIP_RATE, CLIPS  # noqa: E402
from drivers.announcer_espeak import (  # noqa: E402
    DEFAULT_VOICE,
    FULL_SCALE,
    EspeakSpeaker,
    SpeechError,
    resample,
    to_pcm,
    trim_silence,
    wav_bytes,
)

CHIME_PEAK = 0.5  # softer than the voice: a chime announces, it should not startle


def chime(rate: int = CLIP_RATE) -> np.ndarray:
    """叮咚: E5 (659.3 Hz) then C5 (523.3 Hz), 0.35 s apart, each ringing out over 0.6 s."""
    t = np.arange(int(rate * 0.6)) / rate
    out = np.zeros(int(rate * 0.95))

    def note(freq: float) -> np.ndarray:
        tone = (np.sin(2 * np.pi * freq * t) + 0.35 * np.sin(2 * np.pi * 2 * freq * t)
                + 0.12 * np.sin(2 * np.pi * 3 * freq * t))
        attack = np.minimum(1.0, t / 0.008)  # 8 ms attack: no click
        return tone * attack * np.exp(-t / 0.18)

    start = int(rate * 0.35)
    out[: t.size] += note(659.3)
    out[start : start + t.size] += note(523.3)
    out *= CHIME_PEAK * FULL_SCALE / np.max(np.abs(out))
    return out


def make_clip(speaker: EspeakSpeaker, token: str) -> np.ndarray:
    speech = speaker.synthesize([token])
    x = resample(speech.samples().astype(np.float64), speech.sample_rate, CLIP_RATE)
    x = trim_silence(x, CLIP_RATE)
    return x * (CLIP_PEAK * FULL_SCALE / np.max(np.abs(x)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "devices" / "clips" / "cmn")
    parser.add_argument("--espeak", default="espeak-ng", help="the espeak-ng program")
    parser.add_argument("--voice", default=DEFAULT_VOICE)
    parser.add_argument("--rate", type=int, default=150, help="words per minute")
    args = parser.parse_args(argv)
    speaker = EspeakSpeaker(args.espeak, args.voice, rate=args.rate)
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    try:
        clips = {stem: make_clip(speaker, token) for token, stem in CLIPS.items()}
    except SpeechError as exc:
        print(f"{exc}\n请检查 / Check: {exc.hint}", file=sys.stderr)
        return 1
    clips[CHIME] = chime()
    for stem, x in clips.items():
        data = wav_bytes(to_pcm(x), CLIP_RATE)
        (args.out / f"{stem}.wav").write_bytes(data)
        total += len(data)
        print(f"{stem + '.wav':<20} {x.size / CLIP_RATE:5.2f} s  {len(data):6d} bytes")
    print(f"{len(clips)} clips, {total} bytes in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
