"""The words of a hall call: the caption the display shows and the tokens the voice speaks.

How halls call: ``请A001号到3号窗口办理`` (JackQChen/QueueSystem ``CallClient/frmMain.cs``,
Chinese vendor practice; ../shared/research/queue.md §2 and §4). The ticket's digits are
read one by one (``A001`` → ``A 零 零 一``, or ``A 零 零 幺`` where the hall says 幺 for 1,
as on the telephone), the window as a cardinal number (``12号窗口`` → ``十二号窗口``), the
ticket's letters as letters (the voice says ``A`` as the letter, "ei", never as pinyin "a").

Pure: no I/O, no clock. A token is a string: one Chinese word (``窗口``), one digit or
number word (``零`` ... ``十``, ``百``, ``幺``), one Latin capital letter (``A``), a run of other
Chinese characters (``业务``), or a pause (:data:`PAUSE` short, :data:`LONG_PAUSE` long).
The speaking back-ends (``drivers.announcer_clips``, ``drivers.announcer_espeak``) turn the
tokens into sound; the clip back-end has one clip per word of :data:`CALL_WORDS`.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_TEMPLATE = "请{ticket}号到{window}号窗口办理"
PAUSE = "，"
LONG_PAUSE = "。"
PAUSES = (PAUSE, LONG_PAUSE)

DIGITS = "零一二三四五六七八九"
YAO = "幺"

CALL_WORDS: tuple[str, ...] = (
    "请稍候", "号窗口", "窗口", "办理", "请", "号", "到",
    *DIGITS, YAO, "十", "百",
)
"""The words a call is made of, longest first within each family; the shipped clips cover
every one of them. Literal template text is cut into these words (longest match first);
other Chinese text becomes runs the clip back-end speaks through espeak-ng."""

_WORDS_BY_LENGTH = sorted(CALL_WORDS, key=len, reverse=True)
_SHORT_PAUSE_CHARS = set("，,、；;：:·-—…~～")
_LONG_PAUSE_CHARS = set("。.!！?？\n")
_PLACEHOLDERS = {"ticket", "window"}
MAX_CARDINAL = 999
"""Bare numbers up to this are read as cardinals (``12`` → 十二); longer ones, and ones with
a leading zero, digit by digit (as a phone or case number is read)."""


class CallTextError(ValueError):
    """A template or ticket that cannot make a call, said plainly (中文 / English)."""


@dataclass(frozen=True)
class SpeechStyle:
    """How numbers are read aloud."""

    one_as_yao: bool = False
    """Read the digit 1 of a ticket number as 幺 (yāo) instead of 一 (yī): ``A001`` →
    ``A零零幺``. Halls do this where 一 and 七 are confused over a loud speaker."""
    ticket_cardinal: bool = False
    """Read a ticket's number as a cardinal (``A12`` → ``A十二``) instead of digit by digit
    (``A一二``). Digit by digit is the common practice for fixed-width numbers (A001)."""


@dataclass(frozen=True)
class CallText:
    """One call: what the display shows and what the voice says."""

    caption: str
    """The text for the display and for hearing-impaired citizens: ``请A001号到3号窗口办理``."""
    tokens: tuple[str, ...]
    """The spoken form, one reading: ``请 A 零 零 一 号 到 三 号窗口 办理``."""
    repeats: int = 1
    """How many times the call is spoken (≥ 1)."""

    @property
    def spoken_tokens(self) -> tuple[str, ...]:
        """All readings, separated by :data:`LONG_PAUSE`."""
        out: list[str] = []
        for i in range(self.repeats):
            if i:
                out.append(LONG_PAUSE)
            out.extend(self.tokens)
        return tuple(out)

    @property
    def spoken_text(self) -> str:
        """One reading as one string, letters set apart by spaces (what espeak-ng reads)."""
        return tokens_to_text(self.tokens)


def cardinal(n: int) -> str:
    """``n`` (0 … 999) in Chinese numerals as a quantity is read: 12 → 十二, 20 → 二十,
    101 → 一百零一, 110 → 一百一十.

    :raises CallTextError: outside 0 … :data:`MAX_CARDINAL`.
    """
    if not 0 <= n <= MAX_CARDINAL:
        raise CallTextError(f"数字超出范围 / {n} is outside 0–{MAX_CARDINAL}")
    if n < 10:
        return DIGITS[n]
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += DIGITS[hundreds] + "百"
        if rest == 0:
            return out
        if tens == 0:
            return out + "零" + DIGITS[ones]
        out += DIGITS[tens] + "十"  # 110 is 一百一十: after 百 the ten keeps its 一
    else:
        out += ("" if tens == 1 else DIGITS[tens]) + "十"  # 12 is 十二, not 一十二
    return out + (DIGITS[ones] if ones else "")


def digit_by_digit(digits: str, style: SpeechStyle = SpeechStyle()) -> list[str]:
    """``"001"`` → ``["零", "零", "一"]`` (or ``幺`` for 1 with ``one_as_yao``)."""
    out = []
    for d in digits:
        if not d.isdigit() or not d.isascii():
            raise CallTextError(f"不是数字 / {d!r} is not a digit")
        out.append(YAO if d == "1" and style.one_as_yao else DIGITS[int(d)])
    return out


def _number_tokens(digits: str) -> list[str]:
    return list(cardinal(int(digits)))


def ticket_tokens(ticket: str, style: SpeechStyle = SpeechStyle()) -> list[str]:
    """A ticket number as spoken: letters as letters, digits one by one (or as a cardinal
    with ``ticket_cardinal``). ``"A001"`` → ``["A", "零", "零", "一"]``. Separators such as
    ``-`` and spaces are not spoken; lowercase letters are read as capitals.

    :raises CallTextError: the ticket has nothing to read, or characters that are not
        letters, digits or separators.
    """
    text = unicodedata.normalize("NFKC", ticket).strip()  # full-width Ａ００１ is A001
    if not text:
        raise CallTextError("票号为空 / the ticket number is empty")
    out: list[str] = []
    for letters, digits, _sep, other in re.findall(r"([A-Za-z]+)|(\d+)|([\s\-_/.])|(.)", text,
                                                  flags=re.ASCII):
        if other:
            raise CallTextError(f"票号只能含字母和数字 / a ticket number holds letters and "
                                f"digits only, not {other!r}")
        if letters:
            out.extend(letters.upper())
        elif digits:
            if style.ticket_cardinal and not digits.startswith("0") and int(digits) <= MAX_CARDINAL:
                out.extend(_number_tokens(digits))
            else:
                out.extend(digit_by_digit(digits, style))
    if not out:
        raise CallTextError("票号为空 / the ticket number is empty")
    return out


def window_tokens(window: str, style: SpeechStyle = SpeechStyle()) -> list[str]:
    """A window number as spoken: a cardinal (``"12"`` → ``["十", "二"]``); a name such as
    ``"综合"`` or ``"A3"`` is read as :func:`spoken_form` reads it."""
    text = unicodedata.normalize("NFKC", window).strip()
    if not text:
        raise CallTextError("窗口号为空 / the window number is empty")
    if text.isascii() and text.isdigit() and int(text) <= MAX_CARDINAL:
        return _number_tokens(text)
    return list(spoken_form(text, style))


def _check_template(template: str) -> list[tuple[str, str | None]]:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise CallTextError(f"叫号模板有误 / the call template is malformed: {exc}") from exc
    names = set()
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in _PLACEHOLDERS or spec or conversion:
            raise CallTextError(f"叫号模板只能用 {{ticket}} 和 {{window}} / the call template "
                                f"may use {{ticket}} and {{window}} only, not {{{field}}}")
        names.add(field)
    if "ticket" not in names:
        raise CallTextError("叫号模板缺少 {ticket} / the call template lacks {ticket}")
    return [(literal, field) for literal, field, _, _ in parts]


def call_text(ticket: str, window: str, template: str = DEFAULT_TEMPLATE,
              style: SpeechStyle = SpeechStyle(), repeats: int = 1) -> CallText:
    """The caption and the spoken tokens of one call.

    >>> call_text("A001", "3").tokens
    ('请', 'A', '零', '零', '一', '号', '到', '三', '号窗口', '办理')

    :param template: the call's words with ``{ticket}`` (required) and ``{window}``.
    :param repeats: how many times it is spoken (1 … 9).
    :raises CallTextError: a bad template, ticket, window or repeat count.
    """
    if not 1 <= repeats <= 9:
        raise CallTextError(f"重复次数须为 1–9 / repeats must be 1–9, not {repeats}")
    parts = _check_template(template)
    caption_ticket = unicodedata.normalize("NFKC", ticket).strip().upper()
    caption_window = unicodedata.normalize("NFKC", window).strip()
    caption = template.format(ticket=caption_ticket, window=caption_window)
    tokens: list[str] = []
    for literal, field in parts:
        tokens.extend(spoken_form(literal, style))
        if field == "ticket":
            tokens.extend(ticket_tokens(ticket, style))
        elif field == "window":
            tokens.extend(window_tokens(window, style))
    return CallText(caption, _tidy(tokens), repeats)


def composer(template: str = DEFAULT_TEMPLATE, style: SpeechStyle = SpeechStyle()
             ) -> Callable[[str, str, int], CallText]:
    """``compose(ticket, window, repeats) -> CallText`` for ``devices.announcer.Announcer``,
    with the template checked now rather than at the first call.

    :raises CallTextError: a bad template.
    """
    _check_template(template)

    def compose(ticket: str, window: str, repeats: int = 1) -> CallText:
        return call_text(ticket, window, template, style, repeats)

    return compose


def spoken_form(text: str, style: SpeechStyle = SpeechStyle()) -> tuple[str, ...]:
    """Free text (a caption, a notice) as spoken tokens.

    - a Latin run followed by digits (``A001``, ``b12``) is a ticket: :func:`ticket_tokens`;
    - a bare number up to :data:`MAX_CARDINAL` without a leading zero is a cardinal
      (``3号窗口`` → 三号窗口, ``12`` → 十二); other digit runs are read digit by digit;
    - other Latin letters are read as capitals one by one;
    - Chinese text is cut into :data:`CALL_WORDS` (longest first), other characters kept as
      runs; punctuation becomes a pause; spaces and other symbols are not spoken.
    """
    tokens: list[str] = []
    pattern = r"([A-Za-z]+\d+)|(\d+)|([A-Za-z]+)|(\s+)|(.)"
    run = ""
    text = unicodedata.normalize("NFKC", text)  # full-width digits and letters read alike
    for ticket, digits, letters, _space, other in re.findall(pattern, text, flags=re.ASCII):
        if other and _is_han(other):
            run += other
            continue
        if run:
            tokens.extend(_words(run))
            run = ""
        if ticket:
            tokens.extend(ticket_tokens(ticket, style))
        elif digits:
            if digits.startswith("0") or int(digits) > MAX_CARDINAL:
                tokens.extend(digit_by_digit(digits, style))
            else:
                tokens.extend(_number_tokens(digits))
        elif letters:
            tokens.extend(letters.upper())
        elif other in _LONG_PAUSE_CHARS:
            tokens.append(LONG_PAUSE)
        elif other in _SHORT_PAUSE_CHARS:
            tokens.append(PAUSE)
        # spaces and other symbols are not spoken
    if run:
        tokens.extend(_words(run))
    return _tidy(tokens)


def tokens_to_text(tokens: tuple[str, ...] | list[str]) -> str:
    """Tokens as one string for a text-to-speech engine: Chinese joined, Latin letters set
    apart by spaces so ``AB`` is read as two letters, not as a word."""
    out = ""
    for token in tokens:
        if token.isascii():
            out += (" " if out and not out.endswith(" ") else "") + token + " "
        else:
            out += token
    return out.strip()


def _is_han(char: str) -> bool:
    code = ord(char)
    return (0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3FFFF
            or char == "〇")


def _words(run: str) -> list[str]:
    """Cut Chinese text into :data:`CALL_WORDS`, longest first; characters between known
    words stay together as one run."""
    out: list[str] = []
    unknown = ""
    i = 0
    while i < len(run):
        word = next((w for w in _WORDS_BY_LENGTH if run.startswith(w, i)), None)
        if word is None:
            unknown += run[i]
            i += 1
            continue
        if unknown:
            out.append(unknown)
            unknown = ""
        out.append(word)
        i += len(word)
    if unknown:
        out.append(unknown)
    return out


def _tidy(tokens: list[str]) -> tuple[str, ...]:
    """No pause at either end, and never two in a row (the longer one wins)."""
    out: list[str] = []
    for token in tokens:
        if token in PAUSES:
            if not out:
                continue
            if out[-1] in PAUSES:
                if token == LONG_PAUSE:
                    out[-1] = LONG_PAUSE
                continue
        out.append(token)
    while out and out[-1] in PAUSES:
        out.pop()
    return tuple(out)
