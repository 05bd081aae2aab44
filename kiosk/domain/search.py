"""Finding an item or a bundle (一件事) by what a clerk types: its code, part of its name, the
pinyin initials of its name (拼音首字母, "xsecs" for 新生儿出生) or the start of its full pinyin
("xinsheng").

Pinyin comes from pypinyin (its phrase dictionary picks the reading in context: 银行 yin hang,
重庆 chong qing), tones dropped, lower case, as the Hanyu Pinyin scheme (GB/T 16159-2012)
writes the letters; a character outside CJK keeps itself when it is a letter or a digit and
is dropped otherwise (brackets, 、, spaces), so "A级" gives "aj". Pure: no I/O, no Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from pypinyin import Style, lazy_pinyin

E = TypeVar("E", bound=Mapping[str, Any])

# Kinds of match, best first: a clerk who types a code means that code; a name fragment is
# more telling than letters that many names share.
CODE_EXACT, CODE_PREFIX, NAME_PREFIX, NAME_PART, INITIALS_PREFIX, PINYIN_PREFIX, \
    INITIALS_PART, CODE_PART = range(8)


def _keep(segment: str) -> str:
    return "".join(ch for ch in segment.lower() if ch.isascii() and ch.isalnum())


@lru_cache(maxsize=4096)
def initials(name: str) -> str:
    """The pinyin initials of ``name``, lower case: 新生儿出生一件事 → ``xsecsyjs``."""
    return "".join(_keep(part) for part in lazy_pinyin(name, style=Style.FIRST_LETTER))


@lru_cache(maxsize=4096)
def full_pinyin(name: str) -> str:
    """The whole pinyin of ``name`` without tones or spaces: 出生 → ``chusheng``."""
    return "".join(_keep(part) for part in lazy_pinyin(name))


def _normal(text: str) -> str:
    return "".join(text.split()).lower()


def match(entry: Mapping[str, Any], query: str) -> tuple[int, int] | None:
    """How well ``entry`` (a mapping with ``code`` and ``name``, and ``initials`` when the
    station sent them) matches the normalised ``query``: ``(kind, where)``, smaller is
    better, or None."""
    code = str(entry.get("code", "")).lower()
    name = str(entry.get("name", ""))
    folded = _normal(name)
    if code == query:
        return CODE_EXACT, 0
    if code.startswith(query):
        return CODE_PREFIX, 0
    where = folded.find(query)
    if where == 0:
        return NAME_PREFIX, 0
    if where > 0:
        return NAME_PART, where
    if not query.isascii():
        return None
    letters = str(entry.get("initials") or initials(name))
    if letters.startswith(query):
        return INITIALS_PREFIX, 0
    if full_pinyin(name).startswith(query):
        return PINYIN_PREFIX, 0
    where = letters.find(query)
    if where > 0:
        return INITIALS_PART, where
    where = code.find(query)
    if where > 0:
        return CODE_PART, where
    return None


def rank(entries: Iterable[E], query: str, limit: int = 20) -> list[E]:
    """The entries matching ``query``, best first, at most ``limit``.

    Order: exact code, code prefix, name prefix, name substring, initials prefix, full pinyin
    prefix, initials substring, code substring; within a kind the earlier match, then (codes)
    the code or (names) the shorter name, then the order given. An empty query matches nothing.
    """
    query = _normal(query)
    if not query:
        return []
    scored = []
    for n, entry in enumerate(entries):
        found = match(entry, query)
        if found is not None:
            kind, where = found
            # codes that share a prefix read best in code order (…-001, …-002)
            by_code = str(entry.get("code", "")) if kind in (CODE_PREFIX, CODE_PART) else ""
            scored.append(((kind, where, by_code, len(str(entry.get("name", ""))), n), entry))
    scored.sort(key=lambda s: s[0])
    return [entry for _, entry in scored[:limit]]
