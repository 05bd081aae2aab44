"""The announcer role: hall calls spoken in Mandarin, one after another, never cut off.

Calls are queued and spoken by one worker thread, in order; a new call waits until the one
playing has finished (Novo SGA's panel cut the current call off, novosga#78 and
panel-app#3, ../shared/research/queue.md §2). Each call is: the chime, the call, and the
call again ``repeats`` times, at a volume and repeat count that depend on the time of day
(quiet at lunch, louder at the morning rush). The caption for the display is returned at
once by :meth:`Announcer.announce`.

Speech comes from a back-end (``drivers.announcer_clips.ClipSpeaker``: shipped clips,
replaceable by a site's recordings; or ``drivers.announcer_espeak.EspeakSpeaker``: espeak-ng
live) and goes to a sink: :class:`AlsaSink` (``aplay``/``paplay``), :class:`WavFileSink`
(one WAV per call), :class:`MemorySink`, or the simulator ``drivers.sim.announcer``.

The words of a call come from ``kiosk.domain.call_text``; this layer may not import it
(DESIGN.md §3), so the application hands in ``compose(ticket, window, repeats)``
(``kiosk.domain.call_text.composer``). Speech is produced before the chime sounds, so a
failure never leaves a chime without a call. Failures never escape the worker thread: the
announcement records the error and :meth:`Announcer.health` reports it in plain words.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from drivers.announcer_clips import ClipSpeaker
from drivers.announcer_espeak import (
    DEFAULT_VOICE,
    FULL_SCALE,
    PEAK_LIMIT,
    EspeakSpeaker,
    Speech,
    SpeechError,
    SpeechStream,
    resample,
    wav_bytes,
)

from .health import DeviceState, Health

log = logging.getLogger(__name__)

SHIPPED_CLIPS = Path(__file__).resolve().parent / "clips" / "cmn"
"""The clips made by packaging/make_clips.py (package data ``devices/clips/cmn/*.wav``)."""

HINT_AUDIO = ("检查音箱连接、声卡和音量，运行 aplay -l / Check the speaker's cable, the sound "
              "card and the volume; run aplay -l")
HINT_PLAYER = "安装 alsa-utils（aplay） / Install alsa-utils (aplay)"


class Speaker(Protocol):
    """A speaking back-end (ClipSpeaker, EspeakSpeaker)."""

    name: str

    def check(self) -> None: ...

    def stream(self, tokens: Sequence[str] | str) -> SpeechStream: ...


class Sink(Protocol):
    """Where announcements are played. ``begin`` … ``write``* … ``end`` per announcement;
    ``end`` returns when the announcement has been played. Errors are plain exceptions
    (ideally with ``hint`` and ``missing`` attributes, as :class:`AudioOutputError`)."""

    def check(self) -> None: ...

    def begin(self, announcement_id: str, caption: str, sample_rate: int) -> None: ...

    def write(self, pcm: bytes) -> None: ...

    def end(self) -> None: ...


class AudioOutputError(Exception):
    """Sound cannot be played: no player program, no sound card, the player failed."""

    def __init__(self, message: str, hint: str = HINT_AUDIO, *, missing: bool = True):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.missing = missing


# --------------------------------------------------------------------------- sinks


@dataclass
class Played:
    """One announcement as a sink received it; times are time.monotonic()."""

    id: str
    caption: str
    sample_rate: int
    pcm: bytearray = field(default_factory=bytearray)
    started: float = 0.0
    finished: float = 0.0

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate

    def speech(self) -> Speech:
        return Speech(bytes(self.pcm), self.sample_rate)


class MemorySink:
    """Keeps every announcement in :attr:`played` (for tests and measurements)."""

    def __init__(self) -> None:
        self.played: list[Played] = []
        self._current: Played | None = None

    def check(self) -> None:
        return None

    def begin(self, announcement_id: str, caption: str, sample_rate: int) -> None:
        self._current = Played(announcement_id, caption, sample_rate, started=time.monotonic())

    def write(self, pcm: bytes) -> None:
        assert self._current is not None, "write() before begin()"
        self._current.pcm += pcm

    def end(self) -> None:
        current, self._current = self._current, None
        if current is not None:
            current.finished = time.monotonic()
            self.played.append(current)


class WavFileSink(MemorySink):
    """Writes each announcement as one WAV, ``<folder>/<nnnn>-<id>.wav``."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)
        self.paths: list[Path] = []

    def check(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AudioOutputError(f"无法写入 {self.folder} / cannot write to {self.folder}: "
                                   f"{exc.strerror}", "检查目录和权限 / Check the folder and "
                                   "its permissions") from exc

    def end(self) -> None:
        current = self._current
        super().end()
        if current is None:
            return
        self.check()
        path = self.folder / f"{len(self.paths) + 1:04d}-{current.id}.wav"
        tmp = path.with_suffix(".part")
        tmp.write_bytes(wav_bytes(bytes(current.pcm), current.sample_rate))
        tmp.replace(path)  # a reader never sees half a file
        self.paths.append(path)


class AlsaSink:
    """Plays through ``aplay`` (ALSA) or ``paplay`` (PulseAudio/PipeWire) as a child
    process fed raw PCM on its standard input.

    :param player: ``auto`` (aplay, else paplay), ``aplay``, ``paplay``, or a program path.
    :param device: ALSA PCM (``aplay -D``, e.g. ``plughw:1,0``) or PulseAudio sink name;
        None: the system default.
    """

    def __init__(self, player: str = "auto", device: str | None = None):
        self.player = player
        self.device = device or None
        self._proc: subprocess.Popen[bytes] | None = None
        self._written = 0
        self._rate = 16000

    def _program(self) -> tuple[str, str]:
        """(path, kind) of the player, kind being "aplay" or "paplay"."""
        candidates = ["aplay", "paplay"] if self.player == "auto" else [self.player]
        for name in candidates:
            path = shutil.which(name)
            if path:
                return path, "paplay" if Path(name).name.startswith("paplay") else "aplay"
        wanted = "aplay / paplay" if self.player == "auto" else self.player
        raise AudioOutputError(f"没有找到播放程序 {wanted} / no audio player found ({wanted})",
                               HINT_PLAYER)

    def check(self) -> None:
        _, kind = self._program()
        cards = Path("/proc/asound/cards")
        if kind == "aplay" and self.device is None and cards.is_file():
            with contextlib.suppress(OSError):
                if "no soundcards" in cards.read_text():
                    raise AudioOutputError("没有声卡 / no sound card found")

    def begin(self, announcement_id: str, caption: str, sample_rate: int) -> None:
        path, kind = self._program()
        if kind == "aplay":
            command = [path, "-q", "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", str(sample_rate)]
            command += ["-D", self.device] if self.device else []
        else:
            command = [path, "--raw", "--format=s16le", "--channels=1", f"--rate={sample_rate}"]
            command += [f"--device={self.device}"] if self.device else []
        try:
            # the program is aplay or paplay from PATH, or the one the site configured
            self._proc = subprocess.Popen(command, stdin=subprocess.PIPE,  # noqa: S603
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise AudioOutputError(f"无法启动 {path} / cannot start {path}: {exc.strerror}",
                                   HINT_PLAYER) from exc
        self._written, self._rate = 0, sample_rate

    def write(self, pcm: bytes) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None, "write() before begin()"
        try:
            proc.stdin.write(pcm)
            self._written += len(pcm)
        except (BrokenPipeError, ValueError):
            raise self._failure() from None

    def end(self) -> None:
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(BrokenPipeError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            # It plays what it was given to the end: wait that long, plus a margin.
            proc.wait(self._written / 2 / self._rate + 5.0)
        except subprocess.TimeoutExpired:
            self._proc = None
            proc.kill()
            proc.wait()
            raise AudioOutputError("播放程序无响应 / the audio player hung") from None
        if proc.returncode:
            raise self._failure()
        self._proc = None

    def _failure(self) -> AudioOutputError:
        proc, self._proc = self._proc, None
        detail = ""
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(2.0)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                lines = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
                detail = lines[0] if lines else ""
        return AudioOutputError(f"无法播放：没有可用的音频设备 / cannot play: no usable audio "
                                f"device ({detail or 'player failed'})")


# --------------------------------------------------------------------------- time of day


@dataclass(frozen=True)
class ScheduleEntry:
    """From ``start`` (inclusive) to ``end`` (exclusive) local time, calls play at
    ``volume`` (0–100; 0 = caption only) ``repeats`` times. ``end`` before ``start`` runs
    past midnight; ``start == end`` is the whole day."""

    start: dt.time
    end: dt.time
    volume: int
    repeats: int

    def __post_init__(self) -> None:
        if not 0 <= self.volume <= 100:
            raise ValueError(f"volume must be 0–100, not {self.volume}")
        if not 1 <= self.repeats <= 9:
            raise ValueError(f"repeats must be 1–9, not {self.repeats}")

    def covers(self, at: dt.time) -> bool:
        at = at.replace(tzinfo=None)
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


def _hhmm(text: str) -> dt.time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not match or int(match[1]) > 24 or int(match[2]) > 59:
        raise ValueError(f"时间格式应为 HH:MM / a time is written HH:MM, not {text!r}")
    hour, minute = int(match[1]), int(match[2])
    return dt.time(0, 0) if hour == 24 and minute == 0 else dt.time(hour, minute)


def parse_schedule(spec: str | Iterable[Sequence[Any]]) -> tuple[ScheduleEntry, ...]:
    """The time-of-day table, from ``[("07:00", "12:00", 80, 2), ...]`` or from the config
    string ``"07:00-12:00=80x2; 12:00-14:00=40x1"`` (volume x repeats). The first entry
    that covers a time wins.

    :raises ValueError: plainly, naming the bad entry.
    """
    rows: list[Sequence[Any]] = []
    if isinstance(spec, str):
        for item in (p.strip() for p in re.split(r"[;,\n]", spec)):
            if not item:
                continue
            match = re.fullmatch(r"(\S+)\s*-\s*(\S+)\s*=\s*(\d+)\s*[x×*]\s*(\d+)", item)
            if not match:
                raise ValueError(f"时段格式应为 07:00-12:00=80x2 / a schedule entry is written "
                                 f"07:00-12:00=80x2, not {item!r}")
            rows.append((match[1], match[2], int(match[3]), int(match[4])))
    else:
        rows = list(spec)
    out = []
    for row in rows:
        if len(row) != 4:
            raise ValueError(f"时段应有四项 / a schedule entry has 4 parts "
                             f"(from, to, volume, repeats), not {row!r}")
        start, end, volume, repeats = row
        out.append(ScheduleEntry(_hhmm(str(start)), _hhmm(str(end)), int(volume), int(repeats)))
    return tuple(out)


def settings_at(at: dt.time, schedule: Sequence[ScheduleEntry], volume: int,
                repeats: int) -> tuple[int, int]:
    """(volume, repeats) at a time of day: the first covering entry, else the defaults."""
    for entry in schedule:
        if entry.covers(at):
            return entry.volume, entry.repeats
    return volume, repeats


# --------------------------------------------------------------------------- announcements

QUEUED, PLAYING, DONE, FAILED, CANCELLED = "queued", "playing", "done", "failed", "cancelled"


@dataclass(eq=False)
class Announcement:
    """One call. ``caption`` and ``id`` are there at once; the rest fills in as it plays.
    Times are time.monotonic() seconds."""

    id: str
    caption: str
    tokens: tuple[str, ...]
    repeats: int
    volume: int
    chime: bool
    queued_at: float
    state: str = QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    latency_ms: float | None = None
    """From :meth:`Announcer.announce` to the first sample handed to the sink (the chime's,
    if any), including any wait behind earlier calls."""
    speech_latency_ms: float | None = None
    """From :meth:`Announcer.announce` to the first sample of speech handed to the sink."""
    duration_s: float = 0.0
    """Audio handed to the sink, chime and repeats included. Unit: s."""
    sample_rate: int | None = None
    backend: str = ""
    error: str = ""
    hint: str = ""
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def ok(self) -> bool:
        return self.state == DONE

    def wait(self, timeout: float | None = None) -> bool:
        """Block until it has played, failed or been cancelled; False on timeout."""
        return self._done.wait(timeout)


AnnouncementCallback = Callable[[Announcement], None]
HealthCallback = Callable[[Health], None]
Composer = Callable[[str, str, int], Any]
"""``compose(ticket, window, repeats)`` returning an object with ``caption`` and ``tokens``
(``kiosk.domain.call_text.CallText``)."""


class _Gain:
    """Volume as a linear gain (volume/100), lowered for the rest of an announcement if a
    sample would pass PEAK_LIMIT: a too-loud source gets quieter, it is never clipped."""

    def __init__(self, volume: int):
        self.gain = volume / 100

    def apply(self, pcm: bytes) -> bytes:
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if x.size == 0:
            return b""
        peak = float(np.max(np.abs(x)))
        limit = PEAK_LIMIT * FULL_SCALE
        if peak * self.gain > limit:
            self.gain = limit / peak
        return np.round(x * self.gain).astype("<i2").tobytes()


class Announcer:
    """The hall's voice: a queue of calls spoken one at a time by a worker thread.

    :param speaker: the speaking back-end (ClipSpeaker or EspeakSpeaker).
    :param sink: where sound goes (AlsaSink, WavFileSink, MemorySink, AnnouncerSim).
    :param compose: ``compose(ticket, window, repeats)`` → the call's caption and tokens;
        needed by :meth:`announce` only (``kiosk.domain.call_text.composer(...)``).
    :param chime: played before each call (at any rate: it is resampled), or None.
    :param schedule: time-of-day volume and repeats (:func:`parse_schedule`).
    :param volume: outside the schedule, 0–100 (linear: 50 is half the amplitude).
    :param repeats: outside the schedule, how many times a call is spoken (1–9).
    :param repeat_gap_ms: silence between two readings of a call. Unit: ms.
    :param chime_gap_ms: silence between the chime and the call. Unit: ms.
    :param clock: local wall-clock time, for the schedule (injected for tests).
    """

    def __init__(self, speaker: Speaker, sink: Sink, *, compose: Composer | None = None,
                 chime: Speech | None = None, schedule: Sequence[ScheduleEntry] = (),
                 volume: int = 80, repeats: int = 2, repeat_gap_ms: float = 800.0,
                 chime_gap_ms: float = 200.0,
                 clock: Callable[[], dt.datetime] = dt.datetime.now):
        ScheduleEntry(dt.time(0), dt.time(0), volume, repeats)  # checks the ranges
        self.speaker = speaker
        self.sink = sink
        self.compose = compose
        self.chime = chime
        self.schedule = tuple(schedule)
        self.volume = volume
        self.repeats = repeats
        self.repeat_gap_ms = repeat_gap_ms
        self.chime_gap_ms = chime_gap_ms
        self._clock = clock
        self._cond = threading.Condition()
        self._queue: deque[Announcement] = deque()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._health: Health | None = None
        self._started_cbs: list[AnnouncementCallback] = []
        self._finished_cbs: list[AnnouncementCallback] = []
        self._health_cbs: list[HealthCallback] = []
        self._chimes: dict[int, bytes] = {}
        self._seq = itertools.count(1)
        self._busy = False

    # -- subscriptions and state

    def on_started(self, callback: AnnouncementCallback) -> None:
        """``callback(announcement)`` when its first sample goes to the sink (worker thread)."""
        self._started_cbs.append(callback)

    def on_finished(self, callback: AnnouncementCallback) -> None:
        """``callback(announcement)`` when it has played, failed or been cancelled."""
        self._finished_cbs.append(callback)

    def on_health_changed(self, callback: HealthCallback) -> None:
        self._health_cbs.append(callback)

    def health(self) -> Health:
        """The state as of the last call (or of a check made now if nothing played yet):
        MISSING when espeak-ng, the voice or the audio output is absent; ERROR when they
        are there but failed (a clip folder problem, a player error)."""
        with self._cond:
            known = self._health
        return known if known is not None else self.check_now()

    def check_now(self) -> Health:
        """Check the back-end and the sink now (speaks one syllable with espeak-ng)."""
        try:
            self.speaker.check()
            self.sink.check()
        except Exception as exc:
            health = _health_of(exc)
        else:
            health = Health(DeviceState.OK)
        self._set_health(health)
        return health

    @property
    def pending(self) -> int:
        """Calls waiting, not counting the one playing."""
        with self._cond:
            return len(self._queue)

    # -- calls

    def announce(self, ticket: str, window: str) -> Announcement:
        """Queue a call and return at once with its caption for the display.

        :raises ValueError: a ticket or window the composer cannot read (CallTextError).
        :raises RuntimeError: no ``compose`` was given.
        """
        if self.compose is None:
            raise RuntimeError("Announcer needs compose= (kiosk.domain.call_text.composer) "
                               "to turn a ticket and window into words")
        volume, repeats = self._settings()
        words = self.compose(ticket, window, repeats)
        return self._enqueue(words.caption, tuple(words.tokens), repeats, volume, True)

    def say(self, caption: str, tokens: Sequence[str], *, repeats: int | None = None,
            volume: int | None = None, chime: bool = True) -> Announcement:
        """Queue any words (a notice, ``bianmin doctor speak``): ``tokens`` as made by
        ``kiosk.domain.call_text.spoken_form``. Repeats and volume default to the schedule."""
        default_volume, default_repeats = self._settings()
        return self._enqueue(caption, tuple(tokens),
                             default_repeats if repeats is None else repeats,
                             default_volume if volume is None else volume, chime)

    def _settings(self) -> tuple[int, int]:
        return settings_at(self._clock().time(), self.schedule, self.volume, self.repeats)

    def _enqueue(self, caption: str, tokens: tuple[str, ...], repeats: int, volume: int,
                 chime: bool) -> Announcement:
        ScheduleEntry(dt.time(0), dt.time(0), volume, repeats)  # checks the ranges
        announcement = Announcement(f"{next(self._seq):04d}-{uuid.uuid4().hex[:8]}", caption,
                                    tokens, repeats, volume, chime, time.monotonic(),
                                    backend=getattr(self.speaker, "name", ""))
        with self._cond:
            self._queue.append(announcement)
            self._cond.notify_all()
        self.start()
        return announcement

    # -- lifecycle

    def start(self) -> None:
        """Start the worker (announce() does this itself)."""
        with self._cond:
            self._stopping = False
            if self._thread is not None and self._thread.is_alive():
                return  # one worker only, even if a stop() gave up waiting for it
            self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Let the call playing finish, cancel those waiting, stop the worker."""
        with self._cond:
            self._stopping = True
            cancelled = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
            thread = self._thread
        for announcement in cancelled:
            announcement.state = CANCELLED
            announcement.error = "已取消 / cancelled (the announcer stopped)"
            self._finish(announcement)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def drain(self, timeout_s: float = 60.0) -> bool:
        """Wait until every queued call has played; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
        return True

    # -- worker

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                announcement = self._queue.popleft()
                self._busy = True
            try:
                self._play(announcement)
            except Exception as exc:  # never let the thread die
                log.exception("announcer failed")
                self._fail(announcement, f"播报程序出错 / announcer software error: "
                           f"{type(exc).__name__}", "")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _chime_at(self, rate: int) -> bytes:
        if self.chime is None:
            return b""
        if rate not in self._chimes:
            x = self.chime.samples().astype(np.float64)
            x = resample(x, self.chime.sample_rate, rate)
            self._chimes[rate] = np.round(np.clip(x, -FULL_SCALE, FULL_SCALE)).astype(
                "<i2").tobytes()
        return self._chimes[rate]

    def _play(self, a: Announcement) -> None:
        a.state, a.started_at = PLAYING, time.monotonic()
        if a.volume == 0:  # quiet hours: caption only
            a.state, a.finished_at = DONE, time.monotonic()
            self._emit(self._started_cbs, a)
            self._finish(a)
            return
        try:
            stream = self.speaker.stream(a.tokens)
        except Exception as exc:
            self._fail(a, *_words_of(exc), exc)
            return
        rate = a.sample_rate = stream.sample_rate
        gain = _Gain(a.volume)
        sent = 0

        def put(pcm: bytes, *, speech: bool) -> None:
            nonlocal sent
            if not pcm:
                return
            now = time.monotonic()
            if a.latency_ms is None:
                a.latency_ms = (now - a.queued_at) * 1000
                self._emit(self._started_cbs, a)
            if speech and a.speech_latency_ms is None:
                a.speech_latency_ms = (now - a.queued_at) * 1000
            self.sink.write(gain.apply(pcm))
            sent += len(pcm)

        try:
            with stream:
                self.sink.begin(a.id, a.caption, rate)
                try:
                    if a.chime and self.chime is not None:
                        put(self._chime_at(rate), speech=False)
                        put(_silence(rate, self.chime_gap_ms), speech=False)
                    spoken = bytearray()
                    for chunk in stream:
                        spoken += chunk
                        put(chunk, speech=True)
                    for _ in range(a.repeats - 1):
                        put(_silence(rate, self.repeat_gap_ms), speech=False)
                        for i in range(0, len(spoken), rate):  # half-second writes
                            put(bytes(spoken[i : i + rate]), speech=True)
                finally:
                    a.duration_s = sent / 2 / rate
                    self.sink.end()  # what was written is played to its end, never cut
        except Exception as exc:
            self._fail(a, *_words_of(exc), exc)
            return
        a.state, a.finished_at = DONE, time.monotonic()
        self._set_health(Health(DeviceState.OK))
        self._finish(a)

    def _fail(self, a: Announcement, message: str, hint: str,
              exc: BaseException | None = None) -> None:
        a.state, a.finished_at, a.error, a.hint = FAILED, time.monotonic(), message, hint
        log.warning("announcement %s failed: %s", a.id, message)
        self._set_health(_health_of(exc) if exc is not None
                         else Health(DeviceState.ERROR, message, hint))
        self._finish(a)

    def _finish(self, a: Announcement) -> None:
        a._done.set()
        self._emit(self._finished_cbs, a)

    def _set_health(self, health: Health) -> None:
        with self._cond:
            old = self._health
            if old is not None and (old.state, old.message, old.hint) == (
                    health.state, health.message, health.hint):
                return
            self._health = health
        self._emit(self._health_cbs, health)

    @staticmethod
    def _emit(callbacks: list, *args: object) -> None:
        for callback in list(callbacks):
            try:
                callback(*args)
            except Exception:
                log.exception("announcer callback %r failed", callback)


def _silence(rate: int, ms: float) -> bytes:
    return bytes(2 * int(rate * ms / 1000))


def _words_of(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, SpeechError | AudioOutputError):
        return exc.message, exc.hint
    hint = getattr(exc, "hint", HINT_AUDIO)
    return f"无法播放 / cannot play: {exc}", str(hint)


def _health_of(exc: BaseException) -> Health:
    message, hint = _words_of(exc)
    missing = getattr(exc, "missing", not isinstance(exc, SpeechError))
    return Health(DeviceState.MISSING if missing else DeviceState.ERROR, message, hint)


# --------------------------------------------------------------------------- building

DRIVER_SLUGS = ("clips", "espeak-ng")
ANNOUNCER_OPTIONS: dict[str, type] = {
    "espeak_path": str, "voice": str, "rate": int, "amplitude": int, "timeout_s": float,
    "clips_dir": str, "espeak_fallback": bool, "gap_ms": int,
    "volume": int, "repeats": int, "schedule": str, "chime": bool, "repeat_gap_ms": int,
    "template": str, "one_as_yao": bool, "ticket_cardinal": bool,
    "player": str, "audio_device": str,
}
"""What ``[devices.announcer]`` may set (name → type); see docs/devices/announcer.md.
``template``, ``one_as_yao`` and ``ticket_cardinal`` are read by the application for
``compose`` (kiosk.domain.call_text.composer); ``player`` and ``audio_device`` by
:func:`sink_for_port`."""


def make_speaker(driver: str, options: Mapping[str, Any],
                 shipped_dir: Path = SHIPPED_CLIPS) -> ClipSpeaker | EspeakSpeaker:
    """The speaking back-end for ``driver`` (``clips`` or ``espeak-ng``; ``espeak`` too)."""
    espeak = EspeakSpeaker(str(options.get("espeak_path", "espeak-ng")),
                           str(options.get("voice", DEFAULT_VOICE)),
                           rate=int(options.get("rate", 150)),
                           amplitude=int(options.get("amplitude", 100)),
                           timeout_s=float(options.get("timeout_s", 10.0)))
    if driver in ("espeak-ng", "espeak"):
        return espeak
    if driver != "clips":
        raise ValueError(f"unknown announcer driver {driver!r} (known: clips, espeak-ng)")
    site = options.get("clips_dir")
    return ClipSpeaker(shipped_dir, Path(str(site)) if site else None,
                       fallback=espeak if options.get("espeak_fallback", True) else None,
                       gap_ms=float(options.get("gap_ms", 30)))


def build_announcer(driver: str, sink: Sink, options: Mapping[str, Any], *,
                    compose: Composer | None = None,
                    shipped_dir: Path = SHIPPED_CLIPS) -> Announcer:
    """The announcer a ``[devices.announcer]`` table describes, playing into ``sink``.

    :raises ValueError: an unknown driver or option, or a value out of range (plainly).
    """
    problems = option_problems(driver, options)
    if problems:
        raise ValueError("; ".join(f"{key}: {message}" for key, message in problems))
    speaker = make_speaker(driver, options, shipped_dir)
    chime = None
    if options.get("chime", True):
        site = options.get("clips_dir")
        chimes = ClipSpeaker(shipped_dir, Path(str(site)) if site else None)
        chime = chimes.chime()
    return Announcer(speaker, sink, compose=compose, chime=chime,
                     schedule=parse_schedule(str(options.get("schedule", ""))),
                     volume=int(options.get("volume", 80)),
                     repeats=int(options.get("repeats", 2)),
                     repeat_gap_ms=float(options.get("repeat_gap_ms", 800)))


def option_problems(driver: str, options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(option, plain message) for everything wrong, without touching any device."""
    problems: list[tuple[str, str]] = []
    if driver not in DRIVER_SLUGS:
        problems.append(("driver", f"unknown announcer driver {driver!r} "
                         f"(known: {', '.join(DRIVER_SLUGS)})"))
    for key, value in options.items():
        wanted = ANNOUNCER_OPTIONS.get(key)
        if wanted is None:
            known = ", ".join(sorted(ANNOUNCER_OPTIONS))
            problems.append((key, f"unknown option (known: {known})"))
        elif isinstance(value, bool) != (wanted is bool) or not isinstance(
                value, int | float if wanted is float else wanted):
            problems.append((key, f"expected {wanted.__name__}, got {value!r}"))
    ranges = {"volume": (0, 100), "repeats": (1, 9), "rate": (80, 450), "amplitude": (0, 200),
              "timeout_s": (0.5, 120), "repeat_gap_ms": (0, 10000), "gap_ms": (-200, 1000)}
    for key, (low, high) in ranges.items():
        value = options.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and not (
                low <= value <= high):
            problems.append((key, f"must be {low}–{high}, not {value}"))
    if isinstance(options.get("schedule"), str):
        try:
            parse_schedule(options["schedule"])
        except ValueError as exc:
            problems.append(("schedule", str(exc)))
    return problems


def sink_for_port(port: str, options: Mapping[str, Any] | None = None) -> Sink:
    """The sink a port names: ``audio://default`` or ``audio://plughw:1,0`` (ALSA device,
    or PulseAudio sink with ``player = "paplay"``) → :class:`AlsaSink`;
    ``file:///var/lib/bianmin/calls`` → :class:`WavFileSink` (one WAV per call).
    ``sim://announcer`` is the simulator (drivers.sim.announcer.AnnouncerSim), which the
    registry starts itself."""
    options = options or {}
    scheme, sep, target = port.partition("://")
    if not sep:
        raise ValueError(f"{port!r} is not an audio URL; use audio://default")
    if scheme == "audio":
        device = target if target not in ("", "default") else None
        device = str(options.get("audio_device") or "") or device
        return AlsaSink(str(options.get("player", "auto")), device)
    if scheme == "file":
        if not target.startswith("/"):
            raise ValueError(f"{port!r}: give an absolute folder, e.g. file:///var/lib/calls")
        return WavFileSink(Path(target))
    raise ValueError(f"{port!r}: an announcer plays to audio://DEVICE, file:///FOLDER or "
                     "sim://announcer")


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class LatencyReport:
    backend: str
    runs: int
    first_sample_ms: tuple[float, ...]
    speech_ms: tuple[float, ...]
    duration_s: float
    rms: float
    sample_rate: int

    @property
    def p50_ms(self) -> float:
        return float(np.median(self.speech_ms))

    @property
    def max_ms(self) -> float:
        return max(self.speech_ms)

    def line(self) -> str:
        return (f"{self.backend}: speech latency p50 {self.p50_ms:.1f} ms, max "
                f"{self.max_ms:.1f} ms over {self.runs} runs (first sample incl. chime p50 "
                f"{float(np.median(self.first_sample_ms)):.1f} ms); {self.duration_s:.2f} s of "
                f"speech at {self.sample_rate} Hz, RMS {self.rms:.3f} of full scale")


def measure_latency(speaker: Speaker, tokens: Sequence[str], *, runs: int = 5,
                    chime: Speech | None = None) -> LatencyReport:
    """Time from announce to the first sample handed to a sink, over ``runs`` calls made
    one at a time (the queue idle each time), with one reading at volume 100.

    :raises SpeechError: the back-end cannot speak ``tokens``.
    """
    sink = MemorySink()
    announcer = Announcer(speaker, sink, chime=chime, repeats=1, volume=100)
    results = []
    try:
        for _ in range(runs):
            a = announcer.say("".join(tokens), tokens, chime=chime is not None)
            a.wait(60)
            if not a.ok:
                raise SpeechError(a.error, a.hint)
            results.append(a)
    finally:
        announcer.stop()
    played = sink.played[-1]
    speech = played.speech()
    if chime is not None:  # level and duration of the speech alone
        skip = len(announcer._chime_at(played.sample_rate)) + len(
            _silence(played.sample_rate, announcer.chime_gap_ms))
        speech = Speech(speech.pcm[skip:], speech.sample_rate)
    return LatencyReport(getattr(speaker, "name", "?"), runs,
                         tuple(a.latency_ms or 0.0 for a in results),
                         tuple(a.speech_latency_ms or 0.0 for a in results),
                         speech.duration_s, speech.rms, played.sample_rate)
