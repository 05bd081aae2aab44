"""The case on the screen makes the contract's POST /v1/cases body in every material state,
keeps pages across a change of items, masks what it holds, and forgets it when cleared."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from kiosk.ui.counter.acceptance.draft import (
    CAPTURE,
    DEFER,
    WAIVE,
    Draft,
    PageDraft,
    mask_id_number,
    mask_name,
)

NUMBER = "11010519491231002X"  # GB 11643's own example


def lines() -> list[dict[str, object]]:
    """A previewed checklist: one line for each kind of choice."""
    base = {"form": "原件", "count": 1, "required": True, "note": "", "rongque": False,
            "mian_tijiao": "none", "name_en": ""}
    return [
        {**base, "code": "M001", "name": "居民身份证", "mian_tijiao": "e_licence"},
        {**base, "code": "M004", "name": "出生医学证明", "mian_tijiao": "shared_data"},
        {**base, "code": "M007", "name": "近期免冠照片", "rongque": True},
        {**base, "code": "M008", "name": "申请表"},
        {**base, "code": "M002", "name": "户口簿", "required": False},
    ]


def preview(problems: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {"ok": not problems, "checklist": lines(), "problems": problems or [],
            "accepted_on": "2026-11-24", "rongque_latest": "2026-12-01", "notice": []}


def page(data: bytes) -> PageDraft:
    return PageDraft(upload=data, thumbnail=b"png")


def test_every_material_state_in_the_body() -> None:
    draft = Draft(window="3")
    draft.applicant.name, draft.applicant.id_number = " 王小明 ", "11010519491231002x"
    draft.applicant.from_card = True
    draft.choose_bundle("SMP-YJS-001")
    draft.ticket_id = "t-1"
    draft.apply_preview(preview())
    m001, m004, m007, m008, _ = draft.materials()
    m001.choose(WAIVE)
    m001.licence_code = " E-123 "
    m004.choose(WAIVE)
    m007.choose(DEFER, default_due=draft.rongque_latest)
    m007.commitment_signed = True
    first, second = page(b"one"), page(b"two")
    m008.add_page(first)
    m008.add_page(second)
    assert draft.body() == {
        "applicant": {"name": "王小明", "id_number": NUMBER, "from_card": True},
        "agent": None,
        "bundle_code": "SMP-YJS-001",
        "materials": [
            {"code": "M001", "state": "waived", "reason": "e_licence", "licence_code": "E-123"},
            {"code": "M004", "state": "waived", "reason": "shared_data"},
            {"code": "M007", "state": "deferred", "due": "2026-12-01", "commitment_signed": True},
            {"code": "M008", "state": "captured",
             "pages": [hashlib.sha256(b"one").hexdigest(), hashlib.sha256(b"two").hexdigest()]},
            {"code": "M002", "state": "missing"},
        ],
        "ticket_id": "t-1", "window": "3", "mode": "counter", "accepted_at": None,
    }
    assert list(draft.pages()) == [first.sha256, second.sha256]
    assert draft.body(preview=True)["applicant"] == draft.body()["applicant"]
    draft.applicant.clear()
    assert draft.body(preview=True)["applicant"] is None  # nothing typed yet: no problem


def test_items_an_agent_and_the_strip() -> None:
    draft = Draft(window="2", mode="agent")
    draft.choose_bundle("B")
    draft.add_item("SMP-SHBZ-005")  # items and a bundle do not mix: the bundle gives way
    draft.add_item("SMP-YLWS-001")
    draft.add_item("SMP-YLWS-001")
    draft.set_agent(True)
    assert draft.agent is not None
    draft.agent.name, draft.agent.id_number = "李四", "110105194912310037"
    draft.agent.relationship, draft.agent.phone = "parent", "13800000000"
    draft.apply_preview(preview())
    m008 = draft.material("M008")
    pages = [page(bytes([n])) for n in range(3)]
    for p in pages:
        m008.add_page(p)
    assert m008.move_page(0, -1) == 0  # the first page cannot go further left
    assert m008.move_page(0, +1) == 1
    assert m008.pages == [pages[1], pages[0], pages[2]]
    assert m008.delete_page(2) is pages[2]
    body = draft.body()
    assert body["item_codes"] == ["SMP-SHBZ-005", "SMP-YLWS-001"] and "bundle_code" not in body
    assert body["agent"] == {"name": "李四", "id_number": "110105194912310037",
                             "relationship": "parent", "phone": "13800000000",
                             "from_card": False}
    assert body["mode"] == "agent"
    assert body["materials"][3]["pages"] == [pages[1].sha256, pages[0].sha256]
    draft.remove("SMP-SHBZ-005")
    assert draft.body()["item_codes"] == ["SMP-YLWS-001"]


def test_only_what_the_line_allows_and_pages_survive_a_change_of_items() -> None:
    draft = Draft()
    draft.add_item("X")
    draft.apply_preview(preview())
    with pytest.raises(ValueError, match="waived"):
        draft.material("M008").choose(WAIVE)
    with pytest.raises(ValueError, match="deferred"):
        draft.material("M008").choose(DEFER)
    draft.material("M007").choose(DEFER)
    assert draft.material("M007").due is None  # no default given here...
    assert draft.body()["materials"][2]["due"] == "2026-12-01"  # ...the latest allowed
    draft.material("M008").add_page(page(b"kept"))
    # the items change: M007 is no longer 容缺 there, M008 drops off the list, then returns
    changed = {**preview(), "checklist": [{**lines()[2], "rongque": False}]}
    draft.apply_preview(changed)
    assert [m.code for m in draft.materials()] == ["M007"]
    assert draft.material("M007").choice == CAPTURE
    assert [m["code"] for m in draft.body()["materials"]] == ["M007"]
    draft.apply_preview(preview())
    assert draft.material("M008").state == "captured"


def test_problems_go_beside_their_material_or_above_the_list() -> None:
    draft = Draft()
    draft.add_item("X")
    draft.apply_preview(preview([
        {"kind": "missing", "message": "缺少必需材料“申请表”", "material_code": "M008"},
        {"kind": "applicant_name", "message": "请填写申请人姓名", "material_code": None},
    ]))
    assert draft.material("M008").problems == [("missing", "缺少必需材料“申请表”")]
    assert draft.general_problems == ["请填写申请人姓名"]
    draft.apply_problems([])
    assert draft.material("M008").problems == [] and draft.general_problems == []


def test_the_key_stays_while_the_body_does() -> None:
    draft = Draft()
    draft.add_item("X")
    body = draft.body()
    key = draft.accept_key(body)
    assert draft.accept_key(draft.body()) == key  # a retry of the same case
    draft.add_item("Y")
    assert draft.accept_key(draft.body()) != key  # another request: another key


def test_party_checks_use_the_gb11643_check_handed_in() -> None:
    draft = Draft()
    draft.applicant.id_number = "110105194912310021"
    problems = draft.party_problems(lambda number: number.endswith("X"))
    assert len(problems) == 2 and "姓名" in problems[0] and "校验" in problems[1]
    draft.applicant.name, draft.applicant.id_number = "王五", NUMBER.lower()
    assert draft.party_problems(lambda number: number.endswith("X")) == []


def test_masked_and_forgotten() -> None:
    assert (mask_name("王小明"), mask_name("张三"), mask_name("欧阳娜娜")) == \
        ("王*明", "张*", "欧**娜")
    assert mask_id_number(NUMBER) == "110105********002X"
    assert mask_id_number("1101") == "****"
    draft = Draft()
    draft.applicant.name, draft.applicant.id_number = "王小明", NUMBER
    draft.add_item("X")
    draft.apply_preview(preview())
    kept = page(b"scan")
    draft.material("M008").add_page(kept)
    assert "王" not in repr(draft) and NUMBER not in repr(draft.applicant)
    assert "scan" not in repr(draft.material("M008"))
    material = draft.material("M008")
    draft.clear()
    assert draft.applicant.is_empty() and draft.body()["materials"] == []
    assert material.pages == [] and draft.pages() == {} and not draft.chosen
    assert draft.accepted_on is None


def test_dates_from_the_preview() -> None:
    draft = Draft()
    draft.apply_preview(preview())
    assert draft.accepted_on == dt.date(2026, 11, 24)
    assert draft.rongque_latest == dt.date(2026, 12, 1)
