"""The Announcer role with both back-ends into the simulated speaker (drivers.sim.announcer)
and the memory and WAV-file sinks: calls never overlap and keep their order, repeats and
time-of-day volume are honoured, failures are plain and the worker survives them.

This machine has no sound card and neither aplay nor paplay: :class:`AlsaSink` is tested
only on its "absent" path (a plain error, no crash); playing through a real device is
checked by hand with ``bianmin doctor speak``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from devices.announcer import (
    ANNOUNCER_OPTIONS,
    CANCELLED,
    DONE,
    FAILED,
    SHIPPED_CLIPS,
    AlsaSink,
    Announcement,
    Announcer,
    AudioOutputError,
    MemorySink,
    ScheduleEntry,
    WavFileSink,
    build_announcer,
    make_speaker,
    measure_latency,
    option_problems,
    parse_schedule,
    settings_at,
    sink_for_port,
)
from devices.health import DeviceState
from drivers.announcer_clips import ClipSpeaker
from drivers.announcer_espeak import FULL_SCALE, PEAK_LIMIT, EspeakSpeaker, rms
from drivers.sim.announcer import AnnouncerSim, AnnouncerSimConfig
from kiosk.domain.call_text import call_text, composer

BACKENDS = ["clips", "espeak-ng"]
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed")


class Clock:
    """Local wall-clock time the test sets."""

    def __init__(self, hour: int, minute: int = 0):
        self.now = dt.datetime(2026, 11, 24, hour, minute)

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, hour: int, minute: int = 0) -> None:
        self.now = self.now.replace(hour=hour, minute=minute)


def _announcer(backend: str, sink: object, **kwargs: object) -> Announcer:
    options = {"espeak_path": "espeak-ng"} | kwargs.pop("options", {})  # type: ignore[operator]
    announcer = build_announcer(backend, sink, options, compose=composer())  # type: ignore[arg-type]
    for key, value in kwargs.items():
        setattr(announcer, key, value)
    return announcer


@pytest.fixture
def stopper() -> Iterator[list[Announcer]]:
    made: list[Announcer] = []
    yield made
    for announcer in made:
        announcer.stop()


# --------------------------------------------------------------------------- the queue


@needs_espeak
@pytest.mark.parametrize("backend", BACKENDS)
def test_calls_play_in_order_and_never_overlap(backend: str, stopper: list[Announcer]) -> None:
    sim = AnnouncerSim(AnnouncerSimConfig(pace=0.03))  # the speaker takes 3 % of real time
    announcer = _announcer(backend, sim, options={"repeats": 1})
    stopper.append(announcer)
    calls = [("A001", "3"), ("B012", "12"), ("C100", "20"), ("A002", "1")]
    started = time.monotonic()
    made = [announcer.announce(ticket, window) for ticket, window in calls]
    assert time.monotonic() - started < 0.2  # announce() returns at once, even when busy
    assert [a.caption for a in made] == [f"请{t}号到{w}号窗口办理" for t, w in calls]
    assert len({a.id for a in made}) == len(made)
    assert all(a.wait(30) for a in made)
    assert [a.state for a in made] == [DONE] * len(made)
    played = sim.played
    assert [p.id for p in played] == [a.id for a in made]  # order kept
    for before, after in itertools.pairwise(played):
        assert after.started >= before.finished  # a new call never cuts one off
    assert all(p.finished - p.started >= 0.03 * p.duration_s * 0.9 for p in played)


@needs_espeak
def test_a_call_made_while_another_plays_waits_its_turn(stopper: list[Announcer]) -> None:
    sim = AnnouncerSim(AnnouncerSimConfig(pace=0.1))
    announcer = _announcer("clips", sim, options={"repeats": 1})
    stopper.append(announcer)
    first = announcer.announce("A001", "3")
    while first.state != "playing":
        time.sleep(0.005)
    second = announcer.announce("A002", "4")
    assert announcer.pending == 1 and second.state == "queued"
    assert second.wait(10) and first.ok
    assert second.started_at is not None and first.finished_at is not None
    assert second.started_at >= first.finished_at
    assert sim.played[1].started >= sim.played[0].finished


@needs_espeak
@pytest.mark.parametrize("backend", BACKENDS)
def test_each_call_is_one_valid_wav_with_chime_and_speech(backend: str, tmp_path: Path,
                                                          stopper: list[Announcer]) -> None:
    sink = WavFileSink(tmp_path / "calls")
    announcer = _announcer(backend, sink, options={"repeats": 1, "volume": 100})
    stopper.append(announcer)
    a = announcer.announce("A001", "3")
    assert a.wait(20) and a.ok, a.error
    (path,) = sink.paths
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert rate == (16000 if backend == "clips" else 22050) == a.sample_rate
    chime = announcer.chime
    assert chime is not None
    head = x[: int(chime.duration_s * rate)].astype(float)
    assert np.sqrt(np.mean(head**2)) / FULL_SCALE > 0.05  # the chime comes first
    assert 3.0 < x.size / rate < 9.0 and abs(a.duration_s - x.size / rate) < 0.01
    assert rms(x.tobytes()) > 0.02
    assert np.max(np.abs(x)) <= PEAK_LIMIT * FULL_SCALE


@needs_espeak
@pytest.mark.parametrize("backend", BACKENDS)
def test_repeats_and_volume_follow_the_time_of_day(backend: str,
                                                   stopper: list[Announcer]) -> None:
    sink = MemorySink()
    clock = Clock(9)
    schedule = "08:00-12:00=100x1; 12:00-14:00=50x3; 22:00-07:00=0x1"
    announcer = _announcer(backend, sink, options={"schedule": schedule, "chime": False},
                           _clock=clock)
    stopper.append(announcer)
    morning = announcer.announce("A001", "3")
    clock.set(12, 30)
    lunch = announcer.announce("A001", "3")
    clock.set(23, 0)
    night = announcer.announce("A001", "3")
    clock.set(17, 0)  # outside the table: the defaults (80, 2)
    evening = announcer.announce("A001", "3")
    assert all(a.wait(20) for a in (morning, lunch, night, evening))
    assert [(a.volume, a.repeats) for a in (morning, lunch, night, evening)] == [
        (100, 1), (50, 3), (0, 1), (80, 2)]
    assert night.ok and len(sink.played) == 3  # volume 0: caption only, nothing played
    one, three, two = (p.speech() for p in sink.played)
    gap = announcer.repeat_gap_ms / 1000
    assert abs(three.duration_s - (3 * one.duration_s + 2 * gap)) < 0.01
    assert abs(two.duration_s - (2 * one.duration_s + gap)) < 0.01
    # RMS scales with volume; silence between the readings is left out of the comparison
    speech_rms = rms(bytes(sink.played[1].pcm[: len(sink.played[0].pcm)]))
    assert speech_rms / one.rms == pytest.approx(0.5, abs=0.01)
    assert rms(bytes(sink.played[2].pcm[: len(sink.played[0].pcm)])) / one.rms == \
        pytest.approx(0.8, abs=0.01)


@needs_espeak
def test_callbacks_latency_and_health(stopper: list[Announcer]) -> None:
    sink = MemorySink()
    announcer = _announcer("clips", sink, options={"repeats": 1})
    stopper.append(announcer)
    events: list[tuple[str, str]] = []
    announcer.on_started(lambda a: events.append(("started", a.id)))
    announcer.on_finished(lambda a: events.append(("finished", a.id)))
    announcer.on_started(lambda a: 1 / 0)  # a broken listener does not stop the announcer
    a = announcer.announce("A001", "3")
    b = announcer.announce("A002", "3")
    assert b.wait(20) and a.ok and b.ok
    assert events == [("started", a.id), ("finished", a.id), ("started", b.id),
                      ("finished", b.id)]
    assert a.latency_ms is not None and a.speech_latency_ms is not None
    assert 0 <= a.latency_ms <= a.speech_latency_ms < 2000
    assert b.latency_ms is not None and b.latency_ms >= 0
    assert announcer.health().state is DeviceState.OK


@needs_espeak
@pytest.mark.parametrize("backend", ["clips", "espeak"])
def test_latency_is_measured_for_both_back_ends(backend: str) -> None:
    speaker = make_speaker(backend, {})
    report = measure_latency(speaker, call_text("A001", "3").tokens, runs=3)
    print(report.line())  # shown with pytest -s; the numbers are in docs/devices/announcer.md
    assert len(report.speech_ms) == 3 and 0 <= report.p50_ms < 1000
    assert 3.0 < report.duration_s < 7.0 and report.rms > 0.05


def test_stop_lets_the_current_call_finish_and_cancels_the_rest() -> None:
    sim = AnnouncerSim(AnnouncerSimConfig(pace=0.1))
    announcer = _announcer("clips", sim, options={"repeats": 1})
    made = [announcer.announce(f"A00{i}", "3") for i in range(1, 4)]
    while made[0].state != "playing":
        time.sleep(0.005)
    announcer.stop()
    assert made[0].state == DONE and made[0].wait(0)
    assert [a.state for a in made[1:]] == [CANCELLED, CANCELLED]
    assert len(sim.played) == 1
    again = announcer.announce("A004", "3")  # it starts again when needed
    assert again.wait(20) and again.ok
    announcer.stop()


# --------------------------------------------------------------------------- failures


def test_espeak_missing_fails_the_call_plainly_and_the_worker_lives(
        stopper: list[Announcer]) -> None:
    sink = MemorySink()
    announcer = _announcer("espeak-ng", sink, options={"espeak_path": "/nonexistent/espeak-ng"})
    stopper.append(announcer)
    a = announcer.announce("A001", "3")
    assert a.wait(10) and a.state == FAILED
    assert "espeak-ng not found" in a.error and "安装 espeak-ng" in a.hint
    assert sink.played == []  # no chime without a call
    health = announcer.health()
    assert health.state is DeviceState.MISSING and "espeak-ng" in health.message
    announcer.speaker = make_speaker("clips", {"espeak_fallback": False})
    b = announcer.announce("A002", "3")
    assert b.wait(10) and b.ok
    assert announcer.health().state is DeviceState.OK


def test_health_before_any_call_checks_now() -> None:
    announcer = Announcer(EspeakSpeaker("/nonexistent/espeak-ng"), MemorySink())
    assert announcer.health().state is DeviceState.MISSING
    absent = Announcer(ClipSpeaker(SHIPPED_CLIPS),
                       AnnouncerSim(AnnouncerSimConfig(device="absent")))
    health = absent.health()
    assert health.state is DeviceState.MISSING and "no audio device" in health.message


def test_no_audio_device_fails_the_call_plainly(stopper: list[Announcer]) -> None:
    sim = AnnouncerSim(AnnouncerSimConfig(device="absent"))
    announcer = _announcer("clips", sim)
    stopper.append(announcer)
    a = announcer.announce("A001", "3")
    assert a.wait(10) and a.state == FAILED and "no audio device" in a.error
    assert announcer.health().state is DeviceState.MISSING


def test_alsa_sink_without_a_player_or_sound_card_is_a_plain_error() -> None:
    """No audio device here: only the absent path can be tested (see module docstring)."""
    with pytest.raises(AudioOutputError) as caught:
        sink = AlsaSink(player="/nonexistent/aplay")
        sink.check()
    assert "no audio player found" in str(caught.value) and "alsa-utils" in caught.value.hint
    with pytest.raises(AudioOutputError):
        AlsaSink(player="/nonexistent/aplay").begin("x", "x", 16000)
    if shutil.which("aplay") is None and shutil.which("paplay") is None:
        with pytest.raises(AudioOutputError):
            AlsaSink().check()


def test_an_announcer_on_an_absent_alsa_sink_reports_missing(stopper: list[Announcer]) -> None:
    announcer = _announcer("clips", AlsaSink(player="/nonexistent/aplay"))
    stopper.append(announcer)
    a = announcer.announce("A001", "3")
    assert a.wait(10) and a.state == FAILED
    assert "no audio player found" in a.error
    assert announcer.health().state is DeviceState.MISSING


# --------------------------------------------------------------------------- schedule


@pytest.mark.parametrize(("at", "expected"), [
    ("07:59", (80, 2)), ("08:00", (100, 1)), ("11:59", (100, 1)), ("12:00", (50, 3)),
    ("22:30", (20, 1)), ("00:00", (20, 1)), ("06:59", (20, 1)), ("07:00", (80, 2)),
])
def test_schedule_lookup(at: str, expected: tuple[int, int]) -> None:
    schedule = parse_schedule([("08:00", "12:00", 100, 1), ("12:00", "14:00", 50, 3),
                               ("22:00", "07:00", 20, 1)])
    assert settings_at(dt.time.fromisoformat(at), schedule, 80, 2) == expected


def test_schedule_string_form_and_errors() -> None:
    assert parse_schedule("07:00-12:00=80x2, 12:00-24:00=40×1") == (
        ScheduleEntry(dt.time(7), dt.time(12), 80, 2),
        ScheduleEntry(dt.time(12), dt.time(0), 40, 1))
    assert parse_schedule("") == ()
    assert ScheduleEntry(dt.time(9), dt.time(9), 10, 1).covers(dt.time(3))
    for bad in ("07:00-12:00=80", "7-12=80x2", "07:00-25:00=80x2", "07:00-12:00=120x2",
                "07:00-12:00=80x0"):
        with pytest.raises(ValueError):
            parse_schedule(bad)
    with pytest.raises(ValueError):
        parse_schedule([("07:00", "12:00", 80)])


# --------------------------------------------------------------------------- configuration


def test_option_problems_are_plain() -> None:
    assert option_problems("clips", {"volume": 80, "schedule": "08:00-12:00=90x1"}) == []
    problems = dict(option_problems("espeakk", {"volum": 3, "volume": 120, "rate": "fast",
                                                "chime": 1, "schedule": "soon"}))
    assert "unknown announcer driver" in problems["driver"]
    assert "unknown option" in problems["volum"]
    assert "0–100" in problems["volume"] and "expected int" in problems["rate"]
    assert "expected bool" in problems["chime"] and "07:00-12:00=80x2" in problems["schedule"]
    with pytest.raises(ValueError, match="volume"):
        build_announcer("clips", MemorySink(), {"volume": 101})
    assert set(ANNOUNCER_OPTIONS) >= {"voice", "rate", "clips_dir", "schedule", "template"}


def test_sink_for_port(tmp_path: Path) -> None:
    sink = sink_for_port("audio://plughw:1,0", {"player": "paplay"})
    assert isinstance(sink, AlsaSink) and sink.device == "plughw:1,0" and sink.player == "paplay"
    default = sink_for_port("audio://default")
    assert isinstance(default, AlsaSink) and default.device is None
    files = sink_for_port(f"file://{tmp_path}/calls")
    assert isinstance(files, WavFileSink) and files.folder == tmp_path / "calls"
    for bad in ("/dev/snd", "tcp://1.2.3.4:9", "file://relative"):
        with pytest.raises(ValueError):
            sink_for_port(bad)


def test_announce_needs_a_composer_and_a_readable_ticket() -> None:
    announcer = Announcer(ClipSpeaker(SHIPPED_CLIPS), MemorySink())
    with pytest.raises(RuntimeError, match="compose"):
        announcer.announce("A001", "3")
    announcer.compose = composer()
    with pytest.raises(ValueError):
        announcer.announce("A#1", "3")
    announcer.stop()


# --------------------------------------------------------------------------- the simulator


def test_sim_config_from_url_options(tmp_path: Path) -> None:
    config = AnnouncerSimConfig.from_url_options({"out": str(tmp_path), "backend": "espeak",
                                                  "pace": "0.5", "device": "absent"})
    assert config == AnnouncerSimConfig(tmp_path, "espeak", 0.5, "absent")
    assert AnnouncerSimConfig.from_url_options({}) == AnnouncerSimConfig()
    for bad in ({"colour": "red"}, {"backend": "mbrola"}, {"pace": "fast"}, {"pace": "-1"},
                {"device": "maybe"}):
        with pytest.raises(ValueError):
            AnnouncerSimConfig.from_url_options(bad)


def test_sim_writes_wavs_and_a_log(tmp_path: Path, stopper: list[Announcer]) -> None:
    sim = AnnouncerSim(AnnouncerSimConfig.from_url_options({"out": str(tmp_path / "out")}))
    announcer = _announcer(sim.backend, sim, options={"repeats": 1})
    stopper.append(announcer)
    a = announcer.announce("A001", "3")
    b = announcer.say("请稍候", ["请稍候"], chime=False)
    assert a.wait(10) and b.wait(10) and a.ok and b.ok
    lines = [json.loads(line) for line in
             (tmp_path / "out" / "played.jsonl").read_text().splitlines()]
    assert [r["caption"] for r in lines] == ["请A001号到3号窗口办理", "请稍候"]
    assert lines[1]["started"] >= lines[0]["finished"]
    for record in lines:
        with wave.open(str(tmp_path / "out" / record["file"])) as w:
            assert w.getframerate() == record["sample_rate"] == 16000
            assert abs(w.getnframes() / 16000 - record["duration_s"]) < 0.002


def test_memory_sink_keeps_what_it_was_given() -> None:
    sink = MemorySink()
    sink.begin("x", "caption", 8000)
    sink.write(b"\x01\x00\x02\x00")
    sink.end()
    (played,) = sink.played
    assert played.speech().samples().tolist() == [1, 2] and played.finished >= played.started
    wav = WavFileSink(Path("/proc/forbidden/calls"))
    with pytest.raises(AudioOutputError, match="cannot write"):
        wav.check()


def test_concurrent_announce_calls_all_play_once(stopper: list[Announcer]) -> None:
    sink = MemorySink()
    announcer = _announcer("clips", sink, options={"repeats": 1, "chime": False})
    stopper.append(announcer)
    made: list[Announcement] = []
    lock = threading.Lock()

    def caller(n: int) -> None:
        for i in range(5):
            a = announcer.announce(f"A{n}{i:02d}", str(n))
            with lock:
                made.append(a)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert announcer.drain(30)
    assert sorted(p.id for p in sink.played) == sorted(a.id for a in made)
    assert len(sink.played) == 20 and all(a.ok for a in made)
