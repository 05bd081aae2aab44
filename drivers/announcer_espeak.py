"""Mandarin speech from espeak-ng, live, as 16-bit mono PCM; and the PCM/WAV helpers both
speaking back-ends share (this one and ``drivers.announcer_clips``).

espeak-ng (https://github.com/espeak-ng/espeak-ng, ``docs/guide.md``; Debian 12 package
``espeak-ng`` 1.51) is run once per utterance as
``espeak-ng -v <voice> -s <words/min> -a <amplitude> -b 1 --stdout`` with the text on
standard input. ``--stdout`` writes a RIFF/WAVE stream (22 050 Hz, mono, 16-bit) whose
size fields are placeholders (0x7FFFF000), so the header is parsed here and the samples
are handed on as they arrive: playback can start before synthesis ends.

The default voice is ``cmn-latn-pinyin``, not ``cmn``: in espeak-ng 1.51 the ``cmn`` voice
("Latin as English") looks many characters up as pinyin with a tone number and then reads
that pinyin with its English rules, so 请 comes out as "qing three" and 号 as "hao four"
(``espeak-ng -v cmn -X 请`` shows ``Replace: 请 qing3`` then an English translation; see
espeak-ng issues #1028, #1370). ``cmn-latn-pinyin`` reads the same characters correctly and
says capital letters the way Mandarin speakers name them (A → "ei", B → "bi"), exactly as
``cmn`` does. Both are in Debian's ``espeak-ng-data``.

WAV files (site recordings, shipped clips) are read with the stdlib ``wave`` module; the
format is the Microsoft RIFF/WAVE PCM format (IBM/Microsoft "Multimedia Programming
Interface and Data Specifications 1.0", 1991, "WAVE Form"). Resampling and levels use
numpy (it comes with opencv-python-headless).
"""

from __future__ import annotations

import contextlib
import io
import os
import selectors
import struct
import subprocess
import time
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

SAMPLE_WIDTH = 2  # bytes: every back-end produces 16-bit signed little-endian mono PCM
FULL_SCALE = 32767
PEAK_LIMIT = 0.98  # never hand the speaker a sample above this fraction of full scale
DEFAULT_VOICE = "cmn-latn-pinyin"
ESPEAK_RATE = 22050  # what espeak-ng's own voices produce (MBROLA voices differ: read it)

INSTALL_HINT = ("安装 espeak-ng：sudo apt-get install espeak-ng / "
                "Install espeak-ng: sudo apt-get install espeak-ng")
VOICE_HINT = ("安装 espeak-ng-data 并检查 voice 设置（cmn-latn-pinyin） / Install espeak-ng-data "
              "and check the voice setting (cmn-latn-pinyin)")


class SpeechError(Exception):
    """Speech could not be made: the engine is missing, failed, timed out or gave garbage.

    ``str(error)`` is the plain message (``中文 / English``); ``hint`` says what to check;
    ``missing`` is true when something is not installed (rather than not working).
    """

    def __init__(self, message: str, hint: str = "", *, missing: bool = False):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.missing = missing


class WavError(SpeechError):
    """Bytes that are not a WAV file this program can read."""


# --------------------------------------------------------------------------- PCM helpers


@dataclass(frozen=True)
class Speech:
    """A finished utterance: 16-bit mono PCM at ``sample_rate``."""

    pcm: bytes
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / SAMPLE_WIDTH / self.sample_rate

    def samples(self) -> np.ndarray:
        """The samples as int16."""
        return np.frombuffer(self.pcm, dtype="<i2")

    def wav_bytes(self) -> bytes:
        return wav_bytes(self.pcm, self.sample_rate)

    @property
    def rms(self) -> float:
        """Root mean square level as a fraction of full scale (0 … 1)."""
        return rms(self.pcm)


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """16-bit mono PCM as a complete WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(sample_rate)
        w.writeframes(pcm)
    return out.getvalue()


def rms(pcm: bytes) -> float:
    """Root mean square of 16-bit PCM as a fraction of full scale; 0 for no samples."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(samples**2)) / FULL_SCALE)


def to_pcm(samples: np.ndarray) -> bytes:
    """Float samples (int16 scale) as 16-bit PCM, scaled down if any would pass
    :data:`PEAK_LIMIT`: a loud recording gets quieter, it never clips."""
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        return b""
    peak = float(np.max(np.abs(x)))
    limit = PEAK_LIMIT * FULL_SCALE
    if peak > limit:
        x = x * (limit / peak)
    return np.round(x).astype("<i2").tobytes()


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Change the sample rate of float samples.

    Downsampling first low-passes with a Hann-windowed sinc at 0.45 × the new rate (so a
    44.1 kHz recording does not alias into the 16 kHz result), then both directions
    interpolate linearly; enough for speech, whose energy sits below 4 kHz.
    """
    x = np.asarray(samples, dtype=np.float64)
    if src_rate == dst_rate or x.size == 0:
        return x.copy()
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, not {src_rate} → {dst_rate}")
    if dst_rate < src_rate:
        cutoff = 0.45 * dst_rate / src_rate  # cycles per input sample
        half = int(np.ceil(4 / cutoff))
        n = np.arange(-half, half + 1)
        taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hanning(2 * half + 1)
        taps /= taps.sum()
        x = np.convolve(x, taps, mode="same")
    n_out = max(1, round(x.size * dst_rate / src_rate))
    positions = np.arange(n_out) * (src_rate / dst_rate)
    return np.interp(positions, np.arange(x.size), x)


def trim_silence(samples: np.ndarray, sample_rate: int, *, threshold_db: float = -40.0,
                 pad_ms: float = 15.0) -> np.ndarray:
    """Cut leading and trailing silence: 10 ms frames whose RMS is more than
    ``threshold_db`` below the loudest frame are silence; ``pad_ms`` is kept either side."""
    x = np.asarray(samples, dtype=np.float64)
    frame = max(1, sample_rate // 100)
    n_frames = x.size // frame
    if n_frames == 0:
        return x
    energy = np.sqrt(np.mean(x[: n_frames * frame].reshape(n_frames, frame) ** 2, axis=1))
    loudest = float(energy.max())
    if loudest == 0:
        return x[:0]
    voiced = np.nonzero(energy >= loudest * 10 ** (threshold_db / 20))[0]
    pad = int(sample_rate * pad_ms / 1000)
    start = max(0, voiced[0] * frame - pad)
    end = min(x.size, (voiced[-1] + 1) * frame + pad)
    return x[start:end]


@dataclass(frozen=True)
class WavHeader:
    sample_rate: int
    channels: int
    sample_width: int  # bytes
    data_offset: int  # where the samples start
    data_size: int  # as the header says; a streaming writer puts a placeholder here


MAX_HEADER = 4096  # a WAV whose samples do not start within this is not what we expect


def parse_wav_header(data: bytes) -> WavHeader | None:
    """The header of a (possibly still growing) RIFF/WAVE PCM stream.

    :returns: the header, or None when ``data`` is a valid beginning but too short yet.
    :raises WavError: ``data`` is not the beginning of a PCM WAV stream.
    """
    if len(data) < 12:  # too short to tell: a valid beginning waits for more
        if not b"RIFF".startswith(data[:4]) or not b"WAVE".startswith(data[8:]):
            raise WavError("不是 WAV 数据 / not WAV data (no RIFF/WAVE header)")
        return None
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("不是 WAV 数据 / not WAV data (no RIFF/WAVE header)")
    offset = 12
    fmt: tuple[int, int, int, int] | None = None
    while True:
        if offset > MAX_HEADER:
            raise WavError("WAV 头部过长 / the WAV header is too long")
        if len(data) < offset + 8:
            return None
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        body = offset + 8
        if chunk_id == b"data":
            if fmt is None:
                raise WavError("WAV 缺少格式块 / the WAV has no fmt chunk before its data")
            tag, channels, rate, bits = fmt
            if tag not in (1, 0xFFFE) or bits not in (8, 16, 24, 32) or not 1 <= channels <= 8:
                raise WavError(f"不支持的 WAV 格式 / unsupported WAV format (format {tag}, "
                               f"{bits} bit, {channels} channels): save it as 16-bit PCM")
            if not 1000 <= rate <= 384000:
                raise WavError(f"WAV 采样率有误 / implausible WAV sample rate {rate}")
            return WavHeader(rate, channels, bits // 8, body, size)
        if not all(0x20 <= c < 0x7F for c in chunk_id):
            raise WavError("WAV 块名有误 / garbled WAV chunk name")
        if chunk_id == b"fmt ":
            if size < 16:
                raise WavError("WAV 格式块过短 / the WAV fmt chunk is too short")
            if len(data) < body + 16:
                return None
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body)
            fmt = (tag, channels, rate, bits)
        offset = body + size + (size & 1)  # chunks are padded to even length


def read_wav(data: bytes, name: str = "WAV") -> Speech:
    """A WAV file's samples as 16-bit mono (channels averaged; 8-, 24- and 32-bit PCM
    converted).

    :raises WavError: not a PCM WAV file (said with ``name``), or an empty one.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError, struct.error, ValueError, OverflowError, RuntimeError) as exc:
        # RuntimeError: the stdlib chunk reader on nested RIFF headers (found by hypothesis)
        raise WavError(f"{name} 不是可读的 PCM WAV 文件 / {name} is not a readable PCM WAV "
                       f"file ({exc})", "另存为 16 位单声道 PCM WAV / Save it as 16-bit mono "
                       "PCM WAV") from exc
    if channels < 1 or width not in (1, 2, 3, 4) or not 1000 <= rate <= 384000:
        raise WavError(f"{name}: 不支持的 WAV 格式 / unsupported WAV format "
                       f"({channels} ch, {8 * width} bit, {rate} Hz)")
    usable = len(frames) // (channels * width) * channels * width
    raw = np.frombuffer(frames[:usable], dtype=np.uint8)
    if width == 1:
        x = (raw.astype(np.float64) - 128) * 256
    elif width == 2:
        x = raw.view("<i2").astype(np.float64)
    elif width == 3:
        b = raw.reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v)).astype(np.float64) / 256
    else:
        x = raw.view("<i4").astype(np.float64) / 65536
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    if x.size == 0:
        raise WavError(f"{name} 没有声音数据 / {name} holds no samples")
    return Speech(to_pcm(x), rate)


# --------------------------------------------------------------------------- espeak-ng


def tokens_to_text(tokens: Sequence[str] | str) -> str:
    """Spoken tokens (``kiosk.domain.call_text``) as one string for espeak-ng: Chinese
    joined, Latin letters set apart by spaces so ``AB`` is two letters, not a word."""
    if isinstance(tokens, str):
        return tokens
    out = ""
    for token in tokens:
        if token.isascii():
            out += (" " if out and not out.endswith(" ") else "") + token + " "
        else:
            out += token
    return out.strip()


class SpeechStream:
    """16-bit mono PCM chunks at :attr:`sample_rate`, as the engine produces them.

    Iterate it once; :meth:`close` (or leaving a ``with`` block) stops the engine early.
    """

    def __init__(self, sample_rate: int, chunks: Iterator[bytes],
                 on_close: Callable[[], None] | None = None):
        self.sample_rate = sample_rate
        self._chunks = chunks
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        if self._on_close is not None:  # also when iteration never began
            self._on_close()

    def __enter__(self) -> SpeechStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_all(self) -> Speech:
        with self:
            return Speech(b"".join(self), self.sample_rate)


class EspeakSpeaker:
    """Speaks tokens or text through an espeak-ng child process.

    :param executable: the espeak-ng program (a name looked up on PATH, or a path).
    :param voice: the espeak-ng voice; see the module docstring for why not ``cmn``.
    :param rate: speed in words per minute (espeak ``-s``, 80–450); halls speak slowly.
    :param amplitude: espeak ``-a`` (0–200, 100 is espeak's default). Above about 120
        espeak itself may clip; loudness belongs to the announcer's volume.
    :param timeout_s: the longest one utterance may take to synthesize, in seconds.
    """

    name = "espeak"

    def __init__(self, executable: str = "espeak-ng", voice: str = DEFAULT_VOICE, *,
                 rate: int = 150, amplitude: int = 100, timeout_s: float = 10.0):
        if not 80 <= rate <= 450:
            raise ValueError(f"espeak-ng rate must be 80–450 words per minute, not {rate}")
        if not 0 <= amplitude <= 200:
            raise ValueError(f"espeak-ng amplitude must be 0–200, not {amplitude}")
        if not voice or voice.startswith("-"):
            raise ValueError(f"not an espeak-ng voice name: {voice!r}")
        self.executable = executable
        self.voice = voice
        self.rate = rate
        self.amplitude = amplitude
        self.timeout_s = timeout_s

    def check(self) -> None:
        """Speak one syllable and throw it away.

        :raises SpeechError: espeak-ng or the voice is missing, or it does not work.
        """
        self.synthesize("一")

    def synthesize(self, tokens: Sequence[str] | str) -> Speech:
        """The whole utterance. :raises SpeechError: as :meth:`stream`."""
        return self.stream(tokens).read_all()

    def stream(self, tokens: Sequence[str] | str) -> SpeechStream:
        """Start speaking; returns once the WAV header arrived (within ``timeout_s``).

        :param tokens: spoken tokens, or plain text.
        :raises SpeechError: espeak-ng is missing, the voice is missing, espeak-ng failed,
            printed something that is not a WAV stream, or took longer than ``timeout_s``.
            An error after the header is raised from the iteration.
        """
        text = tokens_to_text(tokens).replace("\n", " ")
        if not text.strip():
            raise SpeechError("没有要朗读的文字 / there is no text to speak")
        deadline = time.monotonic() + self.timeout_s
        command = [self.executable, "-v", self.voice, "-s", str(self.rate),
                   "-a", str(self.amplitude), "-b", "1", "--stdout"]
        try:
            # the program is the configured espeak-ng; the text goes in on stdin, not argv
            proc = subprocess.Popen(command, stdin=subprocess.PIPE,  # noqa: S603
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise SpeechError(f"找不到 espeak-ng（{self.executable}） / espeak-ng not found "
                              f"({self.executable})", INSTALL_HINT, missing=True) from exc
        except PermissionError as exc:
            raise SpeechError(f"espeak-ng 无法运行（{self.executable}） / cannot run espeak-ng "
                              f"({self.executable}): permission denied", INSTALL_HINT,
                              missing=True) from exc
        try:
            assert proc.stdin is not None
            proc.stdin.write(text.encode("utf-8") + b"\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass  # it exited at once; the exit status below says why
        reader = _PipeReader(proc, deadline, self.timeout_s)
        try:
            header, rest = reader.read_header()
        except BaseException:
            reader.kill()
            raise
        return SpeechStream(header.sample_rate, reader.chunks(rest), reader.kill)


def _espeak_failure(returncode: int, stderr: bytes) -> SpeechError:
    text = stderr.decode("utf-8", "replace").strip()
    first = text.splitlines()[0] if text else f"exit status {returncode}"
    if "voice does not exist" in text or "Failed to read voice" in text:
        return SpeechError(f"espeak-ng 没有所需的普通话语音 / espeak-ng lacks the Mandarin "
                           f"voice ({first})", VOICE_HINT, missing=True)
    return SpeechError(f"espeak-ng 出错 / espeak-ng failed: {first}", INSTALL_HINT)


class _PipeReader:
    """Reads a child's stdout until EOF against one deadline, draining stderr alongside so
    neither pipe can fill up and stall it."""

    CHUNK = 4096

    def __init__(self, proc: subprocess.Popen[bytes], deadline: float, timeout_s: float):
        self.proc = proc
        self.deadline = deadline
        self.timeout_s = timeout_s
        self.stderr = b""
        self._sel = selectors.DefaultSelector()
        assert proc.stdout is not None and proc.stderr is not None
        for pipe in (proc.stdout, proc.stderr):
            os.set_blocking(pipe.fileno(), False)
            self._sel.register(pipe, selectors.EVENT_READ)
        self._open = 2

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(1.0)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        with contextlib.suppress(Exception):
            self._sel.close()

    def _next(self) -> bytes | None:
        """The next stdout bytes, or None at EOF."""
        while self._open:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise SpeechError(f"espeak-ng 在 {self.timeout_s:g} 秒内没有完成 / espeak-ng "
                                  f"did not finish within {self.timeout_s:g} s",
                                  INSTALL_HINT)
            for key, _ in self._sel.select(min(left, 0.5)):
                pipe = key.fileobj
                try:
                    data = os.read(pipe.fileno(), self.CHUNK)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                if not data:
                    self._sel.unregister(pipe)
                    self._open -= 1
                    if pipe is self.proc.stdout:
                        return None
                    continue
                if pipe is self.proc.stderr:
                    self.stderr = (self.stderr + data)[-4096:]
                else:
                    return data
        return None

    def _finish(self) -> None:
        """At EOF: the exit status decides whether what came was the whole utterance."""
        try:
            code = self.proc.wait(max(0.1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise SpeechError(f"espeak-ng 在 {self.timeout_s:g} 秒内没有退出 / espeak-ng did "
                              f"not exit within {self.timeout_s:g} s", INSTALL_HINT) from None
        stderr = self.proc.stderr
        if stderr is not None and not stderr.closed:  # the rest of its message, if any
            with contextlib.suppress(OSError):
                os.set_blocking(stderr.fileno(), True)
                self.stderr = (self.stderr + stderr.read(4096))[-4096:]
        self.kill()  # closes the pipes; the process is gone already
        if code != 0:
            raise _espeak_failure(code, self.stderr)

    def read_header(self) -> tuple[WavHeader, bytes]:
        buf = b""
        while True:
            header = parse_wav_header(buf)
            if header is not None:
                break
            data = self._next()
            if data is None:
                self._finish()
                if not buf:
                    raise SpeechError("espeak-ng 没有输出声音 / espeak-ng produced no audio",
                                      VOICE_HINT)
                raise SpeechError("espeak-ng 的输出不完整 / espeak-ng's output ended inside "
                                  "the WAV header")
            buf += data
        if header.channels != 1 or header.sample_width != SAMPLE_WIDTH:
            self.kill()
            raise SpeechError(f"espeak-ng 输出格式意外 / unexpected espeak-ng output "
                              f"({header.channels} ch, {8 * header.sample_width} bit)")
        return header, buf[header.data_offset :]

    def chunks(self, first: bytes) -> Iterator[bytes]:
        carry = first
        try:
            while True:
                even = len(carry) // 2 * 2
                if even:
                    yield carry[:even]
                carry = carry[even:]
                data = self._next()
                if data is None:
                    break
                carry += data
            self._finish()  # a trailing odd byte is a cut-off sample: dropped
        finally:
            self.kill()  # idempotent; stops espeak-ng when the listener stopped early
