"""``bianmin doctor speak`` through click's CliRunner on the command object, and once as a
real child process. This machine has no sound card and no aplay/paplay, so playing (no
``--wav``) is tested only as the plain exit-1 error it gives here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.doctor_speak import speak

CALL = "请A001号到3号窗口办理"
SPOKEN = "请 A 零 零 一 号 到 三 号窗口 办理"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed")


def run(*args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(speak, list(args))
    assert "Traceback" not in result.output, result.output
    return result


@needs_espeak
@pytest.mark.parametrize(("backend", "rate"), [("clips", 16000), ("espeak", 22050)])
def test_speak_into_a_wav_prints_caption_spoken_form_and_latency(
        backend: str, rate: int, tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    result = run(CALL, "--wav", str(path), "--backend", backend)
    assert result.exit_code == 0, result.output
    assert f"字幕 Caption: {CALL}" in result.output
    assert f"读法 Spoken: {SPOKEN}" in result.output
    assert "延迟 Latency:" in result.output and " ms" in result.output
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, rate)
        assert 3.0 < w.getnframes() / rate < 7.0


@needs_espeak
def test_json_keys(tmp_path: Path) -> None:
    result = run(CALL, "--wav", str(tmp_path / "x.wav"), "--json", "--one-as-yao",
                 "--repeats", "2", "--chime")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"caption", "spoken", "tokens", "backend", "latency_ms",
                        "first_sample_ms", "duration_s", "sample_rate", "rms", "wav", "played"}
    assert out["spoken"] == SPOKEN.replace("一 号", "幺 号")
    assert out["tokens"][0] == "请" and out["backend"] == "clips"
    assert out["latency_ms"] >= out["first_sample_ms"] >= 0
    assert out["duration_s"] > 2 * 4.5 and out["rms"] > 0.02
    assert out["played"] is False and out["wav"].endswith("x.wav")


def test_missing_espeak_exits_1_plainly(tmp_path: Path) -> None:
    result = run("你好", "--backend", "espeak", "--espeak-path", "/nonexistent/espeak-ng",
                 "--wav", str(tmp_path / "x.wav"))
    assert result.exit_code == 1
    assert "espeak-ng not found" in result.output and "请检查 / Check:" in result.output
    assert not (tmp_path / "x.wav").exists()


def test_clips_with_a_missing_word_and_no_espeak_exit_1(tmp_path: Path) -> None:
    result = run("请办理业务", "--espeak-path", "/nonexistent/espeak-ng",
                 "--wav", str(tmp_path / "x.wav"))
    assert result.exit_code == 1 and "业务" in result.output


def test_playing_without_an_audio_device_exits_1_plainly() -> None:
    """This machine has no sound card: with no player installed the command says so, with
    aplay installed (alsa-utils, as CI has it) aplay's failure is reported plainly."""
    result = run(CALL)
    assert result.exit_code == 1
    assert ("no audio player found" in result.output and "--wav FILE" in result.output) or (
        "no usable audio device" in result.output and "aplay -l" in result.output)


@pytest.mark.parametrize("args", [[], ["！？"], [CALL, "--backend", "festival"],
                                  [CALL, "--volume", "101"],
                                  [CALL, "--clips-dir", "/nonexistent/dir", "--wav", "x.wav"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args).exit_code == 2


@needs_espeak
def test_as_a_child_process(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    result = subprocess.run(
        [sys.executable, "-c", "from kiosk.doctor_speak import speak; speak()", CALL,
         "--wav", str(path), "--json"], capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["caption"] == CALL and path.stat().st_size > 10000
    assert result.stderr == ""
