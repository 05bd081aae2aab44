"""A simulated hall speaker: an audio output that records what it was given to play.

It takes the place of the sound card behind ``devices.announcer.Announcer`` (the same
``check / begin / write / end`` calls as ``devices.announcer.AlsaSink``), so the whole
announcer (queue, chime, volume, repeats, both speaking back-ends) runs unchanged. Each
announcement is kept in :attr:`AnnouncerSim.played` with its samples and timestamps and,
with ``out``, written as ``<out>/<nnnn>-<id>.wav`` plus one JSON line in
``<out>/played.jsonl``. With ``pace`` the simulated speaker takes real time to play (as a
sound card does), so a test can see that announcements never overlap.

Behaviour is configuration (:class:`AnnouncerSimConfig`, also from
``sim://announcer?out=/tmp/calls&backend=clips&pace=1&device=absent`` via
:meth:`AnnouncerSimConfig.from_url_options`). There are no bytes on a wire to speak for a
loudspeaker, so this simulator has no pseudo-terminal; its "protocol" is the PCM it is fed.
"""

from __future__ import annotations

import json
import threading
import time
import wave
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

BACKENDS = ("clips", "espeak")


class SimAudioError(OSError):
    """The simulated speaker is "unplugged" (``device=absent``)."""

    hint = "检查音箱连接和音量 / Check the speaker's cable and volume"
    missing = True


@dataclass
class AnnouncerSimConfig:
    """How the simulated speaker behaves; URL options use the same names."""

    out: Path | None = None
    """Folder for one WAV per announcement and ``played.jsonl``; None: memory only."""
    backend: str = "clips"
    """Which speaking back-end the announcer should use with it: ``clips`` or ``espeak``."""
    pace: float = 0.0
    """Playing speed: 1 takes an announcement's duration in real time, 0.1 a tenth of it,
    0 no time at all."""
    device: str = "present"
    """``present``, or ``absent``: every attempt to play fails as with no sound card."""

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, "
                             f"not {self.backend!r}")
        if not 0.0 <= self.pace <= 10.0:
            raise ValueError(f"pace is a factor from 0 to 10, not {self.pace}")
        if self.device not in ("present", "absent"):
            raise ValueError(f"device must be present or absent, not {self.device!r}")
        if self.out is not None:
            self.out = Path(self.out)

    @classmethod
    def from_url_options(cls, options: Mapping[str, str]) -> AnnouncerSimConfig:
        """Build from ``sim://announcer?out=/tmp/x&backend=espeak`` options. Unknown options
        are errors."""
        names = {f.name for f in fields(cls)}
        if unknown := set(options) - names:
            raise ValueError(f"unknown announcer simulator options: "
                             f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}")
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            if key == "out":
                kwargs[key] = Path(value) if value else None
            elif key == "pace":
                try:
                    kwargs[key] = float(value)
                except ValueError:
                    raise ValueError(f"pace must be a number, not {value!r}") from None
            else:
                kwargs[key] = value
        return cls(**kwargs)


@dataclass
class PlayedAnnouncement:
    """One announcement as the simulated speaker received it."""

    id: str
    caption: str
    sample_rate: int
    pcm: bytearray = field(default_factory=bytearray)
    started: float = 0.0
    """time.monotonic() when playing began."""
    first_sample: float | None = None
    """time.monotonic() when the first samples arrived."""
    finished: float = 0.0
    """time.monotonic() when playing ended (later than ``started`` by the duration × pace)."""
    wall_started: float = 0.0
    """time.time() when playing began."""
    path: Path | None = None

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


class AnnouncerSim:
    """The simulated speaker (a sink for ``devices.announcer.Announcer``)."""

    def __init__(self, config: AnnouncerSimConfig | None = None):
        self.config = config or AnnouncerSimConfig()
        self.played: list[PlayedAnnouncement] = []
        self._current: PlayedAnnouncement | None = None
        self._lock = threading.Lock()
        self._played_until = 0.0  # monotonic time the simulated speaker is busy until
        if self.config.out is not None:
            self.config.out.mkdir(parents=True, exist_ok=True)

    @property
    def backend(self) -> str:
        return self.config.backend

    def _fail_if_absent(self) -> None:
        if self.config.device == "absent":
            raise SimAudioError("模拟：没有音频设备 / simulated: no audio device")

    def check(self) -> None:
        self._fail_if_absent()

    def begin(self, announcement_id: str, caption: str, sample_rate: int) -> None:
        self._fail_if_absent()
        now = time.monotonic()
        self._current = PlayedAnnouncement(announcement_id, caption, sample_rate,
                                           started=now, wall_started=time.time())
        self._played_until = now

    def write(self, pcm: bytes) -> None:
        current = self._current
        if current is None:
            raise RuntimeError("write() before begin()")
        if current.first_sample is None:
            current.first_sample = time.monotonic()
        current.pcm += pcm
        if self.config.pace > 0:
            # A sound card accepts samples as fast as it plays them (plus a small buffer).
            self._played_until += len(pcm) / 2 / current.sample_rate * self.config.pace
            ahead = self._played_until - time.monotonic()
            if ahead > 0.05:
                time.sleep(ahead - 0.05)

    def end(self) -> None:
        current, self._current = self._current, None
        if current is None:
            return
        wait = self._played_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # the last buffer drains before the speaker is free
        current.finished = time.monotonic()
        if self.config.out is not None:
            current.path = self._save(current)
        with self._lock:
            self.played.append(current)

    def _save(self, played: PlayedAnnouncement) -> Path:
        out = self.config.out
        assert out is not None
        with self._lock:
            n = len(self.played) + 1
        path = out / f"{n:04d}-{played.id}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(played.sample_rate)
            w.writeframes(bytes(played.pcm))
        record = {"id": played.id, "caption": played.caption, "file": path.name,
                  "sample_rate": played.sample_rate, "duration_s": round(played.duration_s, 3),
                  "started": played.wall_started,
                  "finished": played.wall_started + played.finished - played.started}
        with (out / "played.jsonl").open("a", encoding="utf-8") as log:
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path

    def close(self) -> None:
        """Nothing to release; here so the registry can close every simulator alike."""
