"""Finding items and bundles by code, name, pinyin initials and full pinyin, best first, on
the shipped sample catalogue."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from kiosk.domain import search


@pytest.fixture(scope="module")
def entries() -> list[dict[str, str]]:
    data = json.loads(resources.files("kiosk.data").joinpath("sample_catalogue.json")
                      .read_text("utf-8"))
    return [{"code": e["code"], "name": e["name"]} for e in data["bundles"] + data["items"]]


@pytest.mark.parametrize(("name", "letters", "whole"), [
    ("新生儿出生一件事", "xsecsyjs", "xinshengerchushengyijianshi"),
    ("重庆银行", "cqyh", "chongqingyinhang"),  # the phrase dictionary picks the reading
    ("A级 残疾人（换领）", "ajcjrhl", "ajicanjirenhuanling"),  # letters kept, brackets gone
    ("", "", ""),
])
def test_initials_and_full_pinyin(name: str, letters: str, whole: str) -> None:
    assert search.initials(name) == letters
    assert search.full_pinyin(name) == whole


def codes(found: list[dict[str, str]]) -> list[str]:
    return [e["code"] for e in found]


def test_a_code_prefix_finds_that_code_first(entries: list[dict[str, str]]) -> None:
    found = codes(search.rank(entries, "smp-yjs-00"))
    assert found[:6] == [f"SMP-YJS-00{n}" for n in range(1, 7)]
    assert codes(search.rank(entries, " SMP-YJS-001 "))[0] == "SMP-YJS-001"  # exact, any case


def test_initials_find_the_newborn_bundle_first(entries: list[dict[str, str]]) -> None:
    assert codes(search.rank(entries, "xsecs"))[0] == "SMP-YJS-001"


def test_a_name_fragment_beats_letters_and_a_prefix_beats_a_fragment(
        entries: list[dict[str, str]]) -> None:
    found = search.rank(entries, "残疾人证")
    assert [e["name"] for e in found[:3]] == ["残疾人证新办", "残疾人证换领", "残疾人证注销"]
    assert all("残疾人证" in e["name"] for e in found)
    # 残疾人 starts some names and sits inside others: the starts come first
    starts = [e["name"].startswith("残疾人") for e in search.rank(entries, "残疾人")]
    assert starts == sorted(starts, reverse=True) and True in starts and False in starts


def test_full_pinyin_prefix_and_initials_inside_a_name(entries: list[dict[str, str]]) -> None:
    assert codes(search.rank(entries, "xinsheng"))[0] == "SMP-YJS-001"
    # 养老保险 and 医疗保险 sit inside many names: found by the initials inside theirs
    inside = search.rank(entries, "ylbx")
    assert len(inside) > 5
    assert all("养老保险" in e["name"] or "医疗保险" in e["name"] for e in inside)


def test_the_stations_initials_are_used_when_sent() -> None:
    entry = {"code": "X-1", "name": "某事项", "initials": "zzz"}
    assert search.rank([entry], "zzz") == [entry]
    assert search.rank([entry], "msx") == []  # the sent initials win over computed ones


def test_nothing_for_an_empty_or_unknown_query_and_the_limit_holds(
        entries: list[dict[str, str]]) -> None:
    assert search.rank(entries, "  ") == []
    assert search.rank(entries, "qqqqq") == []
    assert len(search.rank(entries, "smp", limit=5)) == 5
