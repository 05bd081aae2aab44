"""Mandarin calls joined from recorded clips: one WAV per word (请, 号, 到, 窗口, 办理,
号窗口, 请稍候, the digits 零…九, 十, 百, 幺, the letters A–Z) and the chime.

This is how hall callers without a speech engine work: JackQChen/QueueSystem plays
SAPI speech, Novo SGA panels chain pre-recorded MP3s (../shared/research/queue.md §2). The
shipped clips are made with espeak-ng by ``packaging/make_clips.py`` (16 kHz, mono, 16-bit,
silence trimmed); a site can replace any clip with a recording of a real voice by putting a
WAV of the same name (``qing.wav``, or the word itself: ``请.wav``) in its clip folder, and
can add words (``业务.wav``). Recordings at another rate or width are converted; every clip
is trimmed of silence and brought to the same peak level, so a loud recording never clips.

A token without a clip is split into words that have clips (号窗口 → 号 + 窗口) or else
spoken by espeak-ng live (:class:`drivers.announcer_espeak.EspeakSpeaker`) and cached; with
no espeak-ng the utterance fails with a plain message naming the word. All words are looked
up before the first sample is produced, so a missing word never cuts a call in half.

Tokens are those of ``kiosk.domain.call_text`` (words, digits, capital letters, the pauses
``，`` and ``。``).
"""

from __future__ import annotations

import logging
import string
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .announcer_espeak import (
    FULL_SCALE,
    EspeakSpeaker,
    Speech,
    SpeechError,
    SpeechStream,
    WavError,
    read_wav,
    resample,
    to_pcm,
    trim_silence,
)

log = logging.getLogger(__name__)

CLIP_RATE = 16000  # Hz: the shipped clips' rate and the back-end's output rate
CLIP_PEAK = 0.7  # every word clip is scaled to this peak (≈ −3 dBFS), so words match in level
PAUSE = "，"
LONG_PAUSE = "。"

WORD_CLIPS: dict[str, str] = {
    "请": "qing", "号": "hao", "到": "dao", "窗口": "chuangkou", "办理": "banli",
    "号窗口": "hao_chuangkou", "请稍候": "qing_shaohou",
    "零": "ling", "一": "yi", "幺": "yao", "二": "er", "三": "san", "四": "si", "五": "wu",
    "六": "liu", "七": "qi", "八": "ba", "九": "jiu", "十": "shi", "百": "bai",
}
LETTER_CLIPS: dict[str, str] = {c: f"letter_{c.lower()}" for c in string.ascii_uppercase}
CLIPS: dict[str, str] = {**WORD_CLIPS, **LETTER_CLIPS}
"""Token → clip file stem (``<stem>.wav``)."""
CHIME = "chime"
"""The stem of the chime played before a call (``chime.wav``)."""

CLIPS_HINT = ("重新安装 bianmin 或运行 packaging/make_clips.py / Reinstall bianmin or run "
              "packaging/make_clips.py")


class ClipSpeaker:
    """Speaks tokens by joining clips.

    :param shipped_dir: the folder of the shipped clips (``devices/clips/cmn``).
    :param site_dir: the site's folder of replacement recordings, or None.
    :param fallback: speaks tokens that have no clip; None: such tokens are an error.
    :param sample_rate: the output rate; clips at other rates are resampled. Unit: Hz.
    :param gap_ms: between two words: silence (> 0) or a crossfade of that many ms (< 0).
    :param pause_ms: the short pause ``，``; ``long_pause_ms`` the long one ``。``. Unit: ms.
    :param fade_ms: fade in and out at each clip's edges, against clicks. Unit: ms.
    """

    name = "clips"

    def __init__(self, shipped_dir: Path, site_dir: Path | None = None, *,
                 fallback: EspeakSpeaker | None = None, sample_rate: int = CLIP_RATE,
                 gap_ms: float = 30.0, pause_ms: float = 250.0, long_pause_ms: float = 700.0,
                 fade_ms: float = 5.0):
        self.shipped_dir = Path(shipped_dir)
        self.site_dir = Path(site_dir) if site_dir is not None else None
        self.fallback = fallback
        self.sample_rate = sample_rate
        self.gap_ms = gap_ms
        self.pause_ms = pause_ms
        self.long_pause_ms = long_pause_ms
        self.fade_ms = fade_ms
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.spoken_live: list[str] = []
        """Tokens that had no clip and were spoken by espeak-ng (first time each)."""

    # -- clips

    def _paths(self, token: str) -> list[Path]:
        """Where a token's clip may be, best first: the site's recordings, then ours."""
        stem = CLIPS.get(token)
        out: list[Path] = []
        if self.site_dir is not None:
            if stem:
                out.append(self.site_dir / f"{stem}.wav")
            if _safe_name(token):
                out.append(self.site_dir / f"{token}.wav")
        if stem:
            out.append(self.shipped_dir / f"{stem}.wav")
        return out

    def _load(self, path: Path) -> np.ndarray:
        speech = read_wav(path.read_bytes(), path.name)
        x = speech.samples().astype(np.float64)
        if speech.sample_rate != self.sample_rate:
            x = resample(x, speech.sample_rate, self.sample_rate)
        return x

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        x = trim_silence(x, self.sample_rate)
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        if peak > 0:
            x = x * (CLIP_PEAK * FULL_SCALE / peak)
        return _fade(x, int(self.sample_rate * self.fade_ms / 1000))

    def clip(self, token: str) -> np.ndarray | None:
        """The prepared samples (float, int16 scale) of the token's clip, or None when
        neither the site nor the shipped folder has a usable one."""
        with self._lock:
            if token in self._cache:
                return self._cache[token]
        for path in self._paths(token):
            if not path.is_file():
                continue
            try:
                x = self._prepare(self._load(path))
            except (OSError, WavError) as exc:
                # A broken recording costs the site's voice for this word, not the call.
                log.warning("clip %s unusable: %s", path.name, exc)
                continue
            if x.size == 0:
                log.warning("clip %s is silent", path.name)
                continue
            with self._lock:
                self._cache[token] = x
            return x
        return None

    def chime(self) -> Speech | None:
        """The chime (site's, else shipped) at :attr:`sample_rate`, at its own level."""
        for folder in (self.site_dir, self.shipped_dir):
            if folder is None or not (folder / f"{CHIME}.wav").is_file():
                continue
            try:
                x = self._load(folder / f"{CHIME}.wav")
            except (OSError, WavError) as exc:
                log.warning("chime in %s unusable: %s", folder, exc)
                continue
            return Speech(to_pcm(x), self.sample_rate)
        return None

    def problems(self) -> list[str]:
        """What is wrong with the clip folders, in plain words (empty: nothing)."""
        out = []
        if not self.shipped_dir.is_dir():
            return [f"语音片段目录不存在 / the clip folder {self.shipped_dir} does not exist"]
        missing = [stem for stem in [*CLIPS.values(), CHIME]
                   if not (self.shipped_dir / f"{stem}.wav").is_file()]
        if missing:
            out.append(f"缺少语音片段 / missing clips: {', '.join(missing)}")
        if self.site_dir is not None:
            if not self.site_dir.is_dir():
                out.append(f"站点录音目录不存在 / the site recordings folder {self.site_dir} "
                           "does not exist")
            else:
                for path in sorted(self.site_dir.glob("*.wav")):
                    try:
                        read_wav(path.read_bytes(), path.name)
                    except (OSError, WavError) as exc:
                        out.append(str(exc))
        return out

    def check(self) -> None:
        """:raises SpeechError: a clip folder has a problem (:meth:`problems`)."""
        problems = self.problems()
        if problems:
            raise SpeechError("; ".join(problems), CLIPS_HINT)

    # -- speaking

    def _split(self, token: str) -> list[np.ndarray] | None:
        """A token made wholly of words with clips (号窗口 → 号, 窗口), longest first."""
        words = sorted(CLIPS, key=len, reverse=True)
        out: list[np.ndarray] = []
        i = 0
        while i < len(token):
            for word in words:
                if word != token and token.startswith(word, i):
                    clip = self.clip(word)
                    if clip is not None:
                        out.append(clip)
                        i += len(word)
                        break
            else:
                return None
        return out or None

    def _live(self, token: str) -> np.ndarray:
        if self.fallback is None:
            raise SpeechError(f"缺少“{token}”的语音片段 / no clip for {token!r}", CLIPS_HINT)
        try:
            speech = self.fallback.synthesize([token])
        except SpeechError as exc:
            raise SpeechError(f"缺少“{token}”的语音片段，espeak-ng 也无法朗读 / no clip for "
                              f"{token!r}, and espeak-ng cannot speak it: {exc}",
                              exc.hint) from exc
        x = speech.samples().astype(np.float64)
        x = self._prepare(resample(x, speech.sample_rate, self.sample_rate))
        with self._lock:
            self._cache[token] = x
            self.spoken_live.append(token)
        return x

    def _units(self, tokens: Sequence[str]) -> list[np.ndarray | int]:
        """Each token as clip samples, or a pause as a sample count."""
        units: list[np.ndarray | int] = []
        for token in tokens:
            if token in (PAUSE, LONG_PAUSE):
                ms = self.pause_ms if token == PAUSE else self.long_pause_ms
                units.append(int(self.sample_rate * ms / 1000))
                continue
            if not token.strip():
                continue
            clip = self.clip(token)
            if clip is not None:
                units.append(clip)
                continue
            parts = self._split(token)
            units.extend(parts if parts is not None else [self._live(token)])
        if not any(isinstance(u, np.ndarray) for u in units):
            raise SpeechError("没有要朗读的文字 / there is nothing to speak")
        return units

    def stream(self, tokens: Sequence[str] | str) -> SpeechStream:
        """The utterance as PCM chunks (one per word), after every word was found.

        :param tokens: spoken tokens; a plain string is taken as one token.
        :raises SpeechError: a word has no clip and cannot be spoken live.
        """
        units = self._units([tokens] if isinstance(tokens, str) else list(tokens))
        return SpeechStream(self.sample_rate, self._join(units))

    def synthesize(self, tokens: Sequence[str] | str) -> Speech:
        return self.stream(tokens).read_all()

    def _join(self, units: list[np.ndarray | int]) -> Iterator[bytes]:
        gap = int(self.sample_rate * abs(self.gap_ms) / 1000)
        overlap = gap if self.gap_ms < 0 else 0
        held = np.zeros(0)  # the previous clip's tail, kept back to crossfade with the next
        after_clip = False
        for unit in units:
            if isinstance(unit, int):
                yield to_pcm(np.concatenate([held, np.zeros(unit)]))
                held, after_clip = np.zeros(0), False
                continue
            clip = unit
            if after_clip and overlap:
                n = min(held.size, clip.size)
                ramp = np.linspace(0.0, 1.0, n, endpoint=False)
                mixed = held[held.size - n :] * (1 - ramp) + clip[:n] * ramp
                head = np.concatenate([held[: held.size - n], mixed])
                clip = clip[n:]
            elif after_clip:
                head = np.concatenate([held, np.zeros(gap)])
            else:
                head = held
            keep = min(overlap, clip.size)
            held = clip[clip.size - keep :]
            chunk = np.concatenate([head, clip[: clip.size - keep]])
            if chunk.size:
                yield to_pcm(chunk)
            after_clip = True
        if held.size:
            yield to_pcm(held)


def _fade(x: np.ndarray, n: int) -> np.ndarray:
    n = min(n, x.size // 2)
    if n <= 0:
        return x
    x = x.copy()
    ramp = np.linspace(0.0, 1.0, n, endpoint=False)
    x[:n] *= ramp
    x[x.size - n :] *= ramp[::-1]
    return x


def _safe_name(token: str) -> bool:
    """A token usable as a file name (no path separators, no dot files)."""
    return bool(token) and not any(c in token for c in "/\\\0") and not token.startswith(".")
