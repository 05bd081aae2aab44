"""``bianmin doctor speak``: say a text through the hall announcer, or into a WAV file, and
show how it was read and how fast speech started (docs/devices/announcer.md).

The text goes through the same path as a hall call: ``kiosk.domain.call_text.spoken_form``
(numbers and letters as halls read them), a speaking back-end (clips or espeak-ng live),
the announcer's queue and an audio sink. Exit status: 0 spoken, 1 the speech engine or the
audio output failed, 2 a usage error.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from devices.announcer import (
    Announcer,
    AudioOutputError,
    MemorySink,
    Sink,
    build_announcer,
    sink_for_port,
)
from drivers.announcer_espeak import DEFAULT_VOICE, SpeechError, rms, wav_bytes

from .domain.call_text import CallTextError, SpeechStyle, spoken_form

EXIT_DEVICE = 1
EXIT_USAGE = 2
HINT_WAV = "或用 --wav FILE 保存为声音文件 / Or save it as a sound file with --wav FILE"


def _fail(message: str, hint: str = "", code: int = EXIT_DEVICE) -> NoReturn:
    click.echo(message, err=True)
    if hint:
        click.echo(f"请检查 / Check: {hint}", err=True)
    sys.exit(code)


@click.command("speak")
@click.argument("text")
@click.option("--wav", "wav_path", type=click.Path(dir_okay=False, path_type=Path),
              help="写入 WAV 文件而不播放 / Write a WAV file instead of playing it.")
@click.option("--backend", type=click.Choice(["clips", "espeak"]), default="clips",
              show_default=True,
              help="语音片段或 espeak-ng 实时合成 / Shipped clips, or espeak-ng live.")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / Print JSON on stdout.")
@click.option("--espeak-path", default="espeak-ng", show_default=True,
              help="espeak-ng 程序 / The espeak-ng program.")
@click.option("--voice", default=DEFAULT_VOICE, show_default=True,
              help="espeak-ng 语音 / The espeak-ng voice.")
@click.option("--clips-dir", type=click.Path(file_okay=False, path_type=Path),
              help="站点录音目录 / The site's folder of replacement recordings.")
@click.option("--one-as-yao", is_flag=True,
              help="号码中的 1 读作“幺” / Read the digit 1 of numbers as 幺 (yāo).")
@click.option("--repeats", type=click.IntRange(1, 9), default=1, show_default=True,
              help="朗读次数 / How many times to say it.")
@click.option("--volume", type=click.IntRange(0, 100), default=100, show_default=True,
              help="音量 0–100 / Volume 0–100.")
@click.option("--chime/--no-chime", default=False, show_default=True,
              help="先播放提示音 / Play the chime first.")
@click.option("--player", default="auto", show_default=True,
              help="播放程序 aplay、paplay 或 auto / The player: aplay, paplay or auto.")
@click.option("--audio-device", default="",
              help="声卡设备，如 plughw:1,0 / The audio device, e.g. plughw:1,0.")
def speak(text: str, wav_path: Path | None, backend: str, as_json: bool, espeak_path: str,
          voice: str, clips_dir: Path | None, one_as_yao: bool, repeats: int, volume: int,
          chime: bool, player: str, audio_device: str) -> None:
    """朗读一段文字，显示读法和延迟 / Speak TEXT and show how it was read and how fast
    speech started, e.g. bianmin doctor speak "请A001号到3号窗口办理"."""
    try:
        tokens = spoken_form(text, SpeechStyle(one_as_yao=one_as_yao))
    except CallTextError as exc:
        _fail(f"无法朗读这段文字 / Cannot read this text: {exc}", code=EXIT_USAGE)
    if not tokens:
        _fail("没有可朗读的文字 / There is nothing to read in this text", code=EXIT_USAGE)
    if clips_dir is not None and not clips_dir.is_dir():
        _fail(f"目录不存在 / No such folder: {clips_dir}", code=EXIT_USAGE)
    options: dict[str, Any] = {"espeak_path": espeak_path, "voice": voice, "chime": chime,
                               "volume": volume, "repeats": repeats}
    if clips_dir is not None:
        options["clips_dir"] = str(clips_dir)
    sink: Sink
    if wav_path is not None:
        sink = MemorySink()
    else:
        sink = sink_for_port("audio://default", {"player": player, "audio_device": audio_device})
        try:
            sink.check()
        except AudioOutputError as exc:
            _fail(f"无法播放 / Cannot play: {exc}", f"{exc.hint}; {HINT_WAV}")
    driver = "clips" if backend == "clips" else "espeak-ng"
    try:
        announcer: Announcer = build_announcer(driver, sink, options)
    except (ValueError, SpeechError) as exc:
        _fail(f"设置有误 / Bad setting: {exc}", code=EXIT_USAGE)
    role_log = logging.getLogger("devices.announcer")
    level = role_log.level
    role_log.setLevel(logging.ERROR)  # a failure is printed below, plainly, once
    try:
        announcement = announcer.say(text, tokens, repeats=repeats, volume=volume, chime=chime)
        finished = announcement.wait(120)
    finally:
        announcer.stop()
        role_log.setLevel(level)
    if not finished:
        _fail("朗读超时 / Speaking did not finish within 120 s", HINT_WAV)
    if not announcement.ok:
        _fail(f"朗读失败 / Speaking failed: {announcement.error}", announcement.hint)
    loudness = 0.0
    if wav_path is not None:
        assert isinstance(sink, MemorySink)
        played = sink.played[-1]
        loudness = rms(bytes(played.pcm))
        try:
            wav_path.write_bytes(wav_bytes(bytes(played.pcm), played.sample_rate))
        except OSError as exc:
            _fail(f"无法写入 / Cannot write {wav_path}: {exc.strerror}",
                  "检查目录和权限 / Check the folder and its permissions")
    result = {
        "caption": announcement.caption,
        "spoken": " ".join(tokens),
        "tokens": list(tokens),
        "backend": backend,
        "latency_ms": _ms(announcement.speech_latency_ms),
        "first_sample_ms": _ms(announcement.latency_ms),
        "duration_s": round(announcement.duration_s, 3),
        "sample_rate": announcement.sample_rate,
        "rms": round(loudness, 4) if wav_path is not None else None,
        "wav": str(wav_path) if wav_path is not None else None,
        "played": wav_path is None,
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"字幕 Caption: {result['caption']}")
    click.echo(f"读法 Spoken: {result['spoken']}")
    click.echo(f"后端 Backend: {backend}")
    click.echo(f"延迟 Latency: {result['latency_ms']} ms (到第一个语音样本 / to the first "
               f"speech sample)")
    click.echo(f"时长 Duration: {result['duration_s']} s, {result['sample_rate']} Hz")
    if wav_path is not None:
        click.echo(f"已保存 / Saved: {wav_path} (RMS {result['rms']})")
    else:
        click.echo("已播放 / Played")


def _ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None
