"""The words of a hall call: tables of tickets, windows, the 幺 option and templates, plus
an exhaustive check of the cardinal numbers and a fuzzed spoken_form."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.call_text import (
    CALL_WORDS,
    DEFAULT_TEMPLATE,
    LONG_PAUSE,
    PAUSE,
    CallTextError,
    SpeechStyle,
    call_text,
    cardinal,
    composer,
    spoken_form,
    ticket_tokens,
    tokens_to_text,
    window_tokens,
)

YAO = SpeechStyle(one_as_yao=True)


@pytest.mark.parametrize(("ticket", "window", "caption", "spoken"), [
    ("A001", "3", "请A001号到3号窗口办理", "请 A 零 零 一 号 到 三 号窗口 办理"),
    ("B012", "12", "请B012号到12号窗口办理", "请 B 零 一 二 号 到 十 二 号窗口 办理"),
    ("C100", "20", "请C100号到20号窗口办理", "请 C 一 零 零 号 到 二 十 号窗口 办理"),
    ("a007", "1", "请A007号到1号窗口办理", "请 A 零 零 七 号 到 一 号窗口 办理"),
    ("D-015", "10", "请D-015号到10号窗口办理", "请 D 零 一 五 号 到 十 号窗口 办理"),
    ("AB3", "21", "请AB3号到21号窗口办理", "请 A B 三 号 到 二 十 一 号窗口 办理"),
    ("Ａ００２", "３", "请A002号到3号窗口办理", "请 A 零 零 二 号 到 三 号窗口 办理"),
])
def test_calls_as_halls_read_them(ticket: str, window: str, caption: str, spoken: str) -> None:
    call = call_text(ticket, window)
    assert call.caption == caption
    assert " ".join(call.tokens) == spoken


@pytest.mark.parametrize(("window", "spoken"), [
    ("3", "三"), ("10", "十"), ("12", "十二"), ("20", "二十"), ("21", "二十一"),
    ("100", "一百"), ("101", "一百零一"), ("110", "一百一十"), ("999", "九百九十九"),
    ("0", "零"), ("综合", "综合"), ("A3", "A三"),
])
def test_window_numbers_are_cardinals(window: str, spoken: str) -> None:
    assert "".join(window_tokens(window)) == spoken


@pytest.mark.parametrize(("ticket", "plain", "yao"), [
    ("A001", "A零零一", "A零零幺"),
    ("B111", "B一一一", "B幺幺幺"),
    ("C017", "C零一七", "C零幺七"),
    ("D200", "D二零零", "D二零零"),
])
def test_the_yao_option_changes_only_the_digit_one(ticket: str, plain: str, yao: str) -> None:
    assert "".join(ticket_tokens(ticket)) == plain
    assert "".join(ticket_tokens(ticket, YAO)) == yao


def test_yao_is_never_used_for_window_cardinals() -> None:
    assert call_text("A001", "11", style=YAO).tokens[-4:] == ("十", "一", "号窗口", "办理")


def test_ticket_cardinal_style() -> None:
    style = SpeechStyle(ticket_cardinal=True)
    assert ticket_tokens("A12", style) == ["A", "十", "二"]
    assert ticket_tokens("A012", style) == ["A", "零", "一", "二"]  # a leading zero: digits


@pytest.mark.parametrize(("template", "caption", "spoken"), [
    (DEFAULT_TEMPLATE, "请A001号到3号窗口办理", "请A零零一号到三号窗口办理"),
    ("请{ticket}号到{window}号窗口", "请A001号到3号窗口", "请A零零一号到三号窗口"),
    ("{ticket}号，请到{window}号窗口办理业务", "A001号，请到3号窗口办理业务",
     "A零零一号，请到三号窗口办理业务"),
    ("请{ticket}号稍候", "请A001号稍候", "请A零零一号稍候"),
    ("{ticket}（重呼）请到{window}号窗口", "A001（重呼）请到3号窗口",
     "A零零一重呼请到三号窗口"),
])
def test_templates(template: str, caption: str, spoken: str) -> None:
    call = call_text("A001", "3", template)
    assert call.caption == caption
    assert "".join(call.tokens) == spoken


@pytest.mark.parametrize(("template", "words"), [
    ("请到{window}号窗口", "lacks {ticket}"),
    ("请{ticket}号到{counter}号窗口", "not {counter}"),
    ("请{ticket!r}号", "not {ticket}"),
    ("请{ticket:>5}号", "not {ticket}"),
    ("请{ticket号", "malformed"),
])
def test_bad_templates_are_refused_plainly(template: str, words: str) -> None:
    with pytest.raises(CallTextError, match=words.replace("{", r"\{").replace("}", r"\}")):
        call_text("A001", "3", template)
    with pytest.raises(CallTextError):
        composer(template)


@pytest.mark.parametrize(("ticket", "window"), [("", "3"), ("A#1", "3"), ("A001", " ")])
def test_bad_tickets_and_windows(ticket: str, window: str) -> None:
    with pytest.raises(CallTextError):
        call_text(ticket, window)


def test_repeats_join_readings_with_a_long_pause() -> None:
    call = call_text("A001", "3", repeats=2)
    assert call.repeats == 2
    n = len(call.tokens)
    assert call.spoken_tokens == (*call.tokens, LONG_PAUSE, *call.tokens)
    assert len(call.spoken_tokens) == 2 * n + 1
    with pytest.raises(CallTextError):
        call_text("A001", "3", repeats=0)


def test_composer_makes_the_same_call() -> None:
    compose = composer("请{ticket}号到{window}号窗口", YAO)
    assert compose("A001", "3", 2) == call_text("A001", "3", "请{ticket}号到{window}号窗口",
                                                YAO, 2)


@pytest.mark.parametrize(("text", "spoken"), [
    ("请A001号到3号窗口办理", "请 A 零 零 一 号 到 三 号窗口 办理"),
    ("请稍候。", "请稍候"),
    ("3号窗口暂停服务", "三 号窗口 暂停服务"),
    ("电话 13800138000", "电话 一 三 八 零 零 一 三 八 零 零 零"),
    ("请 007 号", "请 零 零 七 号"),
    ("OK，好的", "O K ， 好的"),
    ("第1000号", "第 一 零 零 零 号"),
    ("，，请到。。", "请 到"),
    ("", ""),
])
def test_spoken_form_of_free_text(text: str, spoken: str) -> None:
    assert " ".join(spoken_form(text)) == spoken


def test_tokens_to_text_sets_letters_apart() -> None:
    assert tokens_to_text(["请", "A", "B", "零", "一"]) == "请 A B 零一"
    assert call_text("A001", "3").spoken_text == "请 A 零零一号到三号窗口办理"


_NUM = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _read_chinese_number(text: str) -> int:
    """An independent reader of the numerals cardinal() writes."""
    total, digit = 0, 0
    for c in text:
        if c in _NUM:
            digit = _NUM[c]
        elif c == "百":
            total, digit = total + digit * 100, 0
        elif c == "十":
            total, digit = total + (digit or 1) * 10, 0
        else:
            raise AssertionError(c)
    return total + digit


def test_every_cardinal_reads_back() -> None:
    seen = set()
    for n in range(1000):
        words = cardinal(n)
        assert _read_chinese_number(words) == n, (n, words)
        assert not words.startswith("一十"), words  # 10–19 are 十…, not 一十…
        assert "零零" not in words and (n == 0 or not words.endswith("零"))
        seen.add(words)
    assert len(seen) == 1000
    with pytest.raises(CallTextError):
        cardinal(1000)


_PIECES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["A001", "号", "窗口", "请稍候", "，", "。", " ", "12", "0", "Ｂ９",
                     "号窗口办理", "业务"]),
)


@given(st.lists(_PIECES, max_size=10).map("".join))
def test_spoken_form_never_fails_and_is_tidy(text: str) -> None:
    tokens = spoken_form(text)
    assert not tokens or (tokens[0] not in (PAUSE, LONG_PAUSE)
                          and tokens[-1] not in (PAUSE, LONG_PAUSE))
    for a, b in itertools.pairwise(tokens):
        assert not (a in (PAUSE, LONG_PAUSE) and b in (PAUSE, LONG_PAUSE))
    for token in tokens:
        assert token and not token.isspace()
        assert (token in CALL_WORDS or token in (PAUSE, LONG_PAUSE)
                or (len(token) == 1 and "A" <= token <= "Z")
                or not any(c.isascii() for c in token)), token


@given(st.from_regex(r"[A-Za-z]{1,2}[0-9]{1,4}", fullmatch=True),
       st.integers(1, 999), st.booleans())
def test_any_ticket_and_window_make_a_call(ticket: str, window: int, yao: bool) -> None:
    call = call_text(ticket, str(window), style=SpeechStyle(one_as_yao=yao))
    assert call.caption == f"请{ticket.upper()}号到{window}号窗口办理"
    digits = [t for t in call.tokens[1 : call.tokens.index("号")] if not t.isascii()]
    assert len(digits) == sum(c.isdigit() for c in ticket)
