"""The sample service catalogue (事项清单) and the catalogue domain model."""

from __future__ import annotations

import ast
import copy
import importlib.resources
import inspect
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from kiosk.domain import catalogue as catalogue_module
from kiosk.domain.catalogue import (
    CATEGORIES,
    FORMS,
    LEVELS,
    MIAN_TIJIAO,
    Catalogue,
    CatalogueError,
    parse_catalogue,
)

SIX_BUNDLES = (
    "新生儿出生一件事",
    "退休一件事",
    "残疾人服务一件事",
    "公民身后一件事",
    "灵活就业一件事",
    "军人退役一件事",
)


def sample_data() -> dict[str, Any]:
    text = importlib.resources.files("kiosk.data").joinpath("sample_catalogue.json")
    return json.loads(text.read_text("utf-8"))


@pytest.fixture(scope="module")
def sample() -> Catalogue:
    return parse_catalogue(sample_data())


# --- the sample ----------------------------------------------------------------------------


def test_sample_parses_and_says_it_is_sample(sample: Catalogue) -> None:
    assert sample.sample is True
    assert "示例数据" in sample.notice and "not an official" in sample.notice
    assert sample.version == "sample-2026.11"


def test_sample_items_keep_file_order(sample: Catalogue) -> None:
    assert list(sample.items) == [item["code"] for item in sample_data()["items"]]


def test_sample_has_enough_items(sample: Catalogue) -> None:
    assert len(sample.items) >= 38


def test_every_category_has_at_least_three_items(sample: Catalogue) -> None:
    counts = Counter(item.category for item in sample.items.values())
    thin = {category: counts[category] for category in CATEGORIES if counts[category] < 3}
    assert thin == {}


def test_both_levels_present_about_a_third_village(sample: Catalogue) -> None:
    counts = Counter(item.level for item in sample.items.values())
    assert set(counts) == set(LEVELS)
    assert 0.25 <= counts["村可代办"] / len(sample.items) <= 0.45


def test_sample_codes_are_sample_codes_one_abbreviation_per_category(sample: Catalogue) -> None:
    abbreviations: dict[str, set[str]] = {}
    for code, item in sample.items.items():
        match = re.fullmatch(r"SMP-([A-Z]+)-(\d{3})", code)
        assert match, code
        abbreviations.setdefault(item.category, set()).add(match.group(1))
    assert all(len(found) == 1 for found in abbreviations.values()), abbreviations
    assert len({next(iter(found)) for found in abbreviations.values()}) == len(CATEGORIES)
    for code in sample.bundles:
        assert re.fullmatch(r"SMP-YJS-\d{3}", code), code


def test_sample_items_are_plausible(sample: Catalogue) -> None:
    for item in sample.items.values():
        assert 1 <= len(item.conditions) <= 4, item.code
        assert item.materials, item.code
        assert item.name_en, item.code
        assert (item.legal_days == 0) == (item.promised_days == 0), item.code


def test_sample_material_dictionary_is_all_used(sample: Catalogue) -> None:
    assert all(re.fullmatch(r"M\d{3}", code) for code in sample.materials)
    used = {line.material.code for item in sample.items.values() for line in item.materials}
    assert set(sample.materials) - used == set()


def test_sample_uses_rongque_and_both_ways_of_mian_tijiao(sample: Catalogue) -> None:
    lines = [line for item in sample.items.values() for line in item.materials]
    assert any(line.rongque for line in lines)
    assert {line.mian_tijiao for line in lines} == set(MIAN_TIJIAO)
    waived = {line.material.name for line in lines if line.mian_tijiao == "e_licence"}
    assert {"居民身份证", "居民户口簿", "结婚证", "残疾人证"} <= waived


def test_the_six_named_bundles_exist(sample: Catalogue) -> None:
    names = {bundle.name for bundle in sample.bundles.values()}
    assert set(SIX_BUNDLES) <= names
    for bundle in sample.bundles.values():
        assert 2 <= len(bundle.item_codes) <= 5, bundle.code


def test_no_merged_list_repeats_a_material(sample: Catalogue) -> None:
    for code in sample.bundles:
        merged = sample.bundle_materials(code)
        codes = [line.material.code for line in merged]
        names = [line.material.name for line in merged]
        assert len(codes) == len(set(codes)), code
        assert len(names) == len(set(names)), code


def test_merged_list_covers_every_material_of_the_bundle(sample: Catalogue) -> None:
    for code in sample.bundles:
        wanted = {line.material.code for it in sample.bundle_items(code) for line in it.materials}
        assert {line.material.code for line in sample.bundle_materials(code)} == wanted, code


def test_merging_matters_in_the_sample(sample: Catalogue) -> None:
    shrunk = [
        code
        for code in sample.bundles
        if len(sample.bundle_materials(code))
        < sum(len(item.materials) for item in sample.bundle_items(code))
    ]
    assert len(shrunk) == len(sample.bundles)


def test_sample_bundle_levels(sample: Catalogue) -> None:
    for code in sample.bundles:
        village = all(item.level == "村可代办" for item in sample.bundle_items(code))
        assert sample.bundle_level(code) == ("村可代办" if village else "乡镇可办")


# --- a small hand-made catalogue -----------------------------------------------------------


def line(material: str = "M001", **changes: Any) -> dict[str, Any]:
    out = {
        "material": material,
        "form": "原件",
        "count": 1,
        "required": True,
        "rongque": False,
        "mian_tijiao": "none",
        "note": "",
    }
    out.update(changes)
    return out


def item(code: str, lines: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    out = {
        "code": code,
        "name": f"事项{code}",
        "name_en": f"Item {code}",
        "department": "县民政局",
        "category": "社会救助",
        "level": "乡镇可办",
        "frequency": "高频",
        "conditions": ["申请人为本县户籍居民。"],
        "materials": lines,
        "legal_days": 20,
        "promised_days": 10,
        "fees": {"amount_yuan": 0, "basis": "不收费"},
        "window_category": "A",
    }
    out.update(changes)
    return out


def mini(*items: dict[str, Any]) -> dict[str, Any]:
    """A valid catalogue: the given items (default three), one bundle of the first two."""
    if not items:
        items = (
            item("SMP-T-001", [line("M001"), line("M002")]),
            item("SMP-T-002", [line("M002"), line("M003")]),
            item("SMP-T-003", [line("M003")]),
        )
    return {
        "sample": True,
        "notice": "示例数据。",
        "version": "test-1",
        "materials": {
            "M001": {"name": "居民身份证", "name_en": "ID card"},
            "M002": {"name": "居民户口簿", "name_en": "Hukou"},
            "M003": {"name": "照片", "name_en": "Photo"},
        },
        "items": list(items),
        "window_categories": {"A": "综合受理", "B": "社保医保"},
        "bundles": [
            {
                "code": "SMP-YJS-001",
                "name": "测试一件事",
                "name_en": "Test bundle",
                "category": "个人全生命周期",
                "life_event": "出生",
                "items": [items[0]["code"], items[1]["code"]],
                "promised_days": 5,
            }
        ],
    }


def merged_m001(*lines: dict[str, Any]) -> Any:
    """Merge M001 across one item per line; return the merged M001 entry."""
    items = [item(f"SMP-T-{i:03d}", [ln]) for i, ln in enumerate(lines, 1)]
    data = mini(*items)
    data["bundles"][0]["items"] = [it["code"] for it in items]
    c = parse_catalogue(data)
    (only,) = c.bundle_materials("SMP-YJS-001")
    assert only.material.code == "M001"
    return only


def test_mini_catalogue_is_valid() -> None:
    c = parse_catalogue(mini())
    assert list(c.items) == ["SMP-T-001", "SMP-T-002", "SMP-T-003"]
    assert c.bundles["SMP-YJS-001"].item_codes == ("SMP-T-001", "SMP-T-002")


def test_merged_list_is_in_first_appearance_order_without_duplicates() -> None:
    c = parse_catalogue(mini())
    codes = [m.material.code for m in c.bundle_materials("SMP-YJS-001")]
    assert codes == ["M001", "M002", "M003"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [((False, False), False), ((False, True), True), ((True, False), True)],
)
def test_merge_required_if_any(values: tuple[bool, ...], expected: bool) -> None:
    assert merged_m001(*(line(required=v) for v in values)).required is expected


@pytest.mark.parametrize(("values", "expected"), [((1, 3, 2), 3), ((2, 1), 2), ((1, 1), 1)])
def test_merge_count_is_max(values: tuple[int, ...], expected: int) -> None:
    assert merged_m001(*(line(count=v) for v in values)).count == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [((True, True), True), ((True, False), False), ((False, True), False)],
)
def test_merge_rongque_only_if_all(values: tuple[bool, ...], expected: bool) -> None:
    assert merged_m001(*(line(rongque=v) for v in values)).rongque is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("e_licence", "e_licence"), "e_licence"),
        (("shared_data", "shared_data", "shared_data"), "shared_data"),
        (("e_licence", "shared_data"), "none"),
        (("shared_data", "none"), "none"),
    ],
)
def test_merge_mian_tijiao_only_if_all_agree(values: tuple[str, ...], expected: str) -> None:
    assert merged_m001(*(line(mian_tijiao=v) for v in values)).mian_tijiao == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("原件", "原件"), "原件"),
        (("复印件", "复印件"), "复印件"),
        (("原件", "复印件"), "原件和复印件"),
        (("复印件", "原件"), "原件和复印件"),
        (("原件和复印件", "原件"), "原件和复印件"),
        (("原件和复印件", "电子证照"), "原件和复印件"),
        (("电子证照", "原件"), "原件"),
        (("复印件", "电子证照"), "复印件"),
        (("电子证照", "电子证照"), "电子证照"),
    ],
)
def test_merge_form_is_union_of_paper(values: tuple[str, ...], expected: str) -> None:
    assert merged_m001(*(line(form=v) for v in values)).form == expected


def test_merge_notes_joined_without_repeats() -> None:
    notes = ("父母双方", "", "父母双方", "监护人本人")
    assert merged_m001(*(line(note=n) for n in notes)).note == "父母双方；监护人本人"


def test_material_in_one_item_only_is_unchanged() -> None:
    c = parse_catalogue(mini())
    by_code = {m.material.code: m for m in c.bundle_materials("SMP-YJS-001")}
    assert by_code["M001"] == c.items["SMP-T-001"].materials[0]


def test_bundle_level_village_only_if_every_item_is() -> None:
    data = mini()
    data["items"][0]["level"] = "村可代办"
    assert parse_catalogue(data).bundle_level("SMP-YJS-001") == "乡镇可办"
    data["items"][1]["level"] = "村可代办"
    assert parse_catalogue(data).bundle_level("SMP-YJS-001") == "村可代办"


def test_unknown_bundle_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="SMP-YJS-404"):
        parse_catalogue(mini()).bundle_materials("SMP-YJS-404")


# --- listing and round trip ----------------------------------------------------------------

LISTING_KEYS = {"version", "sample", "notice", "items", "bundles"}
ITEM_KEYS = {
    "code",
    "name",
    "name_en",
    "category",
    "level",
    "department",
    "frequency",
    "legal_days",
    "promised_days",
    "window_category",
    "materials",
}
BUNDLE_KEYS = {
    "code",
    "name",
    "name_en",
    "category",
    "life_event",
    "level",
    "item_codes",
    "promised_days",
    "materials",
}
MATERIAL_KEYS = {"code", "name", "form", "count", "required", "rongque", "mian_tijiao"}


def test_listing_keys_are_the_json_contract(sample: Catalogue) -> None:
    listing = sample.listing()
    assert set(listing) == LISTING_KEYS
    assert len(listing["items"]) == len(sample.items)
    assert len(listing["bundles"]) == len(sample.bundles)
    for row in listing["items"]:
        assert set(row) == ITEM_KEYS
        assert all(set(m) == MATERIAL_KEYS for m in row["materials"])
    for row in listing["bundles"]:
        assert set(row) == BUNDLE_KEYS
        assert all(set(m) == MATERIAL_KEYS for m in row["materials"])
    assert json.loads(json.dumps(listing, ensure_ascii=False)) == listing


def test_listing_values(sample: Catalogue) -> None:
    listing = sample.listing()
    assert listing["sample"] is True and listing["version"] == sample.version
    first = listing["items"][0]
    assert first["code"] == next(iter(sample.items))
    assert first["materials"][0]["name"] == "居民身份证"
    for row in listing["bundles"]:
        merged = sample.bundle_materials(row["code"])
        assert [m["code"] for m in row["materials"]] == [m.material.code for m in merged]
        assert [m["form"] for m in row["materials"]] == [m.form for m in merged]
        assert row["level"] == sample.bundle_level(row["code"])
        assert row["item_codes"] == list(sample.bundles[row["code"]].item_codes)


def test_round_trip_of_the_sample(sample: Catalogue) -> None:
    assert parse_catalogue(sample.to_data()) == sample
    assert sample.to_data() == sample_data()
    assert parse_catalogue(json.loads(json.dumps(sample.to_data()))) == sample
    # whole yuan stay whole numbers in the file, as the clerk wrote them: 0, not 0.0
    assert '"amount_yuan": 0,' in json.dumps(sample.to_data())


def test_round_trip_with_a_fee() -> None:
    data = mini()
    data["items"][0]["fees"] = {"amount_yuan": 2.5, "basis": "按省物价部门规定收取工本费"}
    c = parse_catalogue(data)
    assert c.items["SMP-T-001"].fees.amount_yuan == 2.5
    assert parse_catalogue(c.to_data()) == c
    assert c.to_data() == data


# --- problems ------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def put(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]
        data[last] = value

    return mutate


def drop(path: tuple[Any, ...]) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]
        del data[last]

    return mutate


def second_bundle(**changes: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["bundles"].append({**copy.deepcopy(data["bundles"][0]), **changes})

    return mutate


FORMS_TEXT = ", ".join(FORMS)
PROBLEMS: list[tuple[str, Mutation, str]] = [
    ("unknown top key", put(("colour",), "red"), "catalogue: unknown key 'colour'"),
    (
        "unknown item key",
        put(("items", 0, "fee"), 0),
        "items[0] (SMP-T-001): unknown key 'fee' (did you mean 'fees'?)",
    ),
    (
        "unknown material line key",
        put(("items", 1, "materials", 0, "copies"), 2),
        "items[1] (SMP-T-002).materials[0]: unknown key 'copies'",
    ),
    ("missing key", drop(("items", 0, "fees")), "items[0] (SMP-T-001): missing key 'fees'"),
    ("missing top key", drop(("version",)), "catalogue: missing key 'version'"),
    (
        "missing material key",
        drop(("materials", "M002", "name_en")),
        "materials.M002: missing key 'name_en'",
    ),
    (
        "bool as count",
        put(("items", 0, "materials", 0, "count"), True),
        "items[0] (SMP-T-001).materials[0].count: must be a whole number, got true",
    ),
    (
        "bool as days",
        put(("items", 1, "legal_days"), False),
        "items[1] (SMP-T-002).legal_days: must be a whole number, got false",
    ),
    (
        "bool as bundle days",
        put(("bundles", 0, "promised_days"), True),
        "bundles[0] (SMP-YJS-001).promised_days: must be a whole number, got true",
    ),
    (
        "text as days",
        put(("items", 0, "promised_days"), "10"),
        "items[0] (SMP-T-001).promised_days: must be a whole number, got '10'",
    ),
    (
        "int as bool",
        put(("items", 0, "materials", 1, "required"), 1),
        "items[0] (SMP-T-001).materials[1].required: must be true or false, got 1",
    ),
    ("int as sample", put(("sample",), 1), "sample: must be true or false, got 1"),
    (
        "bool as fee",
        put(("items", 0, "fees", "amount_yuan"), False),
        "items[0] (SMP-T-001).fees.amount_yuan: must be a number of yuan, got false",
    ),
    (
        "bad form",
        put(("items", 0, "materials", 1, "form"), "xx"),
        f"items[0] (SMP-T-001).materials[1].form: 'xx' is not one of {FORMS_TEXT}",
    ),
    (
        "bad category",
        put(("items", 0, "category"), "社保"),
        "items[0] (SMP-T-001).category: '社保' is not one of 社会保障, 社会救助,",
    ),
    (
        "bad level",
        put(("items", 2, "level"), "县级"),
        "items[2] (SMP-T-003).level: '县级' is not one of 乡镇可办, 村可代办",
    ),
    (
        "bad frequency",
        put(("items", 2, "frequency"), "中频"),
        "items[2] (SMP-T-003).frequency: '中频' is not one of 高频, 低频, 阶段性, 转报",
    ),
    (
        "bad mian_tijiao",
        put(("items", 1, "materials", 1, "mian_tijiao"), "shared"),
        "items[1] (SMP-T-002).materials[1].mian_tijiao: 'shared' is not one of none, "
        "shared_data, e_licence",
    ),
    (
        "duplicate item code",
        put(("items", 2, "code"), "SMP-T-001"),
        "items[2] (SMP-T-001).code: 'SMP-T-001' is already used by items[0]",
    ),
    (
        "duplicate bundle code",
        second_bundle(),
        "bundles[1] (SMP-YJS-001).code: 'SMP-YJS-001' is already used by bundles[0]",
    ),
    (
        "bundle code is an item code",
        second_bundle(code="SMP-T-003"),
        "bundles[1] (SMP-T-003).code: 'SMP-T-003' is already used by an item",
    ),
    (
        "duplicate material name",
        put(("materials", "M003", "name"), "居民身份证"),
        "materials.M003.name: '居民身份证' is already used by M001",
    ),
    (
        "dangling material",
        put(("items", 0, "materials", 0, "material"), "M999"),
        "items[0] (SMP-T-001).materials[0].material: 'M999' is not in the materials dictionary",
    ),
    (
        "material twice in an item",
        put(("items", 0, "materials", 1, "material"), "M001"),
        "items[0] (SMP-T-001).materials[1].material: 'M001' is already listed at materials[0]",
    ),
    (
        "dangling bundle item",
        put(("bundles", 0, "items", 1), "SMP-T-404"),
        "bundles[0] (SMP-YJS-001).items[1]: 'SMP-T-404' is not the code of any item",
    ),
    (
        "bundle item twice",
        put(("bundles", 0, "items", 1), "SMP-T-001"),
        "bundles[0] (SMP-YJS-001).items[1]: 'SMP-T-001' is listed twice",
    ),
    (
        "one-item bundle",
        put(("bundles", 0, "items"), ["SMP-T-001"]),
        "bundles[0] (SMP-YJS-001).items: a bundle must list at least 2 items, got 1",
    ),
    (
        "promised more than legal",
        put(("items", 0, "promised_days"), 30),
        "items[0] (SMP-T-001).promised_days: 30 is more than legal_days 20",
    ),
    (
        "negative days",
        put(("items", 0, "legal_days"), -1),
        "items[0] (SMP-T-001).legal_days: must be 0 or more, got -1",
    ),
    (
        "count zero",
        put(("items", 2, "materials", 0, "count"), 0),
        "items[2] (SMP-T-003).materials[0].count: must be 1 or more, got 0",
    ),
    (
        "negative fee",
        put(("items", 0, "fees", "amount_yuan"), -5),
        "items[0] (SMP-T-001).fees.amount_yuan: must be 0 or more, got -5",
    ),
    (
        "unknown window category",
        put(("items", 0, "window_category"), "Z"),
        "items[0] (SMP-T-001).window_category: 'Z' is not one of A, B (see window_categories)",
    ),
    (
        "window key not a letter",
        put(("window_categories", "AA"), "综合"),
        "window_categories.AA: key 'AA' must be a single capital letter",
    ),
    ("empty item name", put(("items", 0, "name"), " "), "items[0] (SMP-T-001).name: must not be"),
    (
        "empty bundle name",
        put(("bundles", 0, "name"), ""),
        "bundles[0] (SMP-YJS-001).name: must not be empty",
    ),
    (
        "empty material name",
        put(("materials", "M001", "name"), ""),
        "materials.M001.name: must not be empty",
    ),
    (
        "no conditions",
        put(("items", 0, "conditions"), []),
        "items[0] (SMP-T-001).conditions: must list at least one condition",
    ),
    (
        "condition not text",
        put(("items", 0, "conditions"), ["本县户籍。", 3]),
        "items[0] (SMP-T-001).conditions[1]: must be text in quotes, got 3",
    ),
    (
        "code not text",
        put(("items", 2, "code"), 5),
        "items[2].code: must be text in quotes, got 5",
    ),
    (
        "code with a space",
        put(("items", 2, "code"), "SMP-T 003"),
        "items[2] (SMP-T 003).code: 'SMP-T 003' must not contain spaces",
    ),
    (
        "real-looking code in a sample",
        put(("items", 2, "code"), "11330100MB0012345X"),
        "items[2] (11330100MB0012345X).code: '11330100MB0012345X' must start with 'SMP-'",
    ),
    (
        "blank notice in a sample",
        put(("notice",), ""),
        "notice: must say that this is sample data",
    ),
    (
        "items not a list",
        put(("items",), {}),
        "items: must be a list [...], got an object {...}",
    ),
    (
        "materials not an object",
        put(("materials",), ["M001"]),
        "materials: must be an object",
    ),
    (
        "window categories not an object",
        put(("window_categories",), "A"),
        "window_categories: must be an object",
    ),
    (
        "material line not an object",
        put(("items", 2, "materials", 0), "M003"),
        "items[2] (SMP-T-003).materials[0]: must be an object {...}, got 'M003'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in PROBLEMS],
)
def test_problem_is_reported_alone_and_names_its_place(mutate: Mutation, expected: str) -> None:
    data = mini()
    mutate(data)
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(data)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(expected), caught.value.problems


def test_not_an_object_at_all() -> None:
    with pytest.raises(CatalogueError, match=r"^catalogue: must be an object"):
        parse_catalogue([])  # type: ignore[arg-type]


def test_several_problems_reported_together_one_per_line() -> None:
    data = mini()
    put(("items", 0, "materials", 0, "count"), True)(data)
    put(("items", 1, "materials", 0, "form"), "xx")(data)
    put(("bundles", 0, "items", 1), "SMP-T-404")(data)
    drop(("version",))(data)
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(data)
    error = caught.value
    assert isinstance(error, ValueError)
    assert len(error.problems) == 4
    assert str(error).splitlines() == error.problems
    assert any(p.startswith("items[0] (SMP-T-001).materials[0].count") for p in error.problems)
    assert any(p.startswith("items[1] (SMP-T-002).materials[0].form") for p in error.problems)
    assert any(p.startswith("bundles[0] (SMP-YJS-001).items[1]") for p in error.problems)
    assert "catalogue: missing key 'version'" in error.problems


def test_a_real_catalogue_may_use_real_codes() -> None:
    data = mini()
    data["sample"] = False
    data["notice"] = ""
    data["items"][2]["code"] = "11330100MB0012345X4000112233000"
    c = parse_catalogue(data)
    assert "11330100MB0012345X4000112233000" in c.items


def test_sample_json_is_rejected_when_broken() -> None:
    data = sample_data()
    data["items"][3]["materials"][1]["form"] = "xx"
    code = data["items"][3]["code"]
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(data)
    assert caught.value.problems == [
        f"items[3] ({code}).materials[1].form: 'xx' is not one of {FORMS_TEXT}"
    ]


def test_domain_module_is_pure() -> None:
    tree = ast.parse(inspect.getsource(catalogue_module))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "dataclasses", "enum", "typing", "difflib"}
    assert "open(" not in inspect.getsource(catalogue_module)
