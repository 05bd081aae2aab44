"""The receipt's facts from the station's answer (POST /v1/cases 201 and GET /v1/cases/{id}),
and the commitment's before acceptance."""

from __future__ import annotations

import datetime as dt

from kiosk.counter_ports import Missing
from kiosk.ui.counter.acceptance.receipt import (
    NO_RECEIPT_YET,
    commitment_facts,
    facts_from_case,
    has_notice,
)

ANSWER = {
    "id": "c-1", "receipt_no": "SL-20261124-0007", "status": "accepted_rongque",
    "accepted_at": "2026-11-24T02:15:00+00:00", "promised_date": "2026-12-03",
    "promised_estimated": False,
    "fees": [], "fee_total_yuan": 12.5,
    "items": [{"code": "SMP-YLWS-003", "name": "出生医学证明首次签发"},
              {"code": "SMP-SHBZ-005", "name": "社会保障卡申领"}],
    "materials": [
        {"code": "M001", "name": "居民身份证", "state": "captured", "pages": 1, "due": None},
        {"code": "M004", "name": "出生医学证明", "state": "waived", "pages": 0, "due": None},
        {"code": "M007", "name": "近期免冠照片", "state": "deferred", "pages": 0,
         "due": "2026-12-01"},
        {"code": "M008", "name": "申请表", "state": "captured", "pages": 2, "due": None},
        {"code": "M002", "name": "户口簿", "state": "missing", "pages": 0, "due": None},
    ],
    "notice": [{"material_code": "M007", "name": "近期免冠照片", "form": "原件", "count": 1,
                "note": "白底", "due": "2026-12-01"}],
    "window": "3", "clerk": "zhang01", "clerk_name": "张芳",
    "query_url": "https://example.org/q/SL-20261124-0007",
    "applicant_masked": {"name": "王*明", "id_number": "110105********002X"},
    "agent_masked": {"name": "李*", "id_number": "110105********0037"},
}


def test_facts_from_an_accepted_case() -> None:
    facts = facts_from_case(ANSWER, "某某镇便民服务中心")
    assert facts.site_name == "某某镇便民服务中心"
    assert facts.receipt_no == "SL-20261124-0007"
    assert facts.accepted_at == dt.datetime(2026, 11, 24, 2, 15, tzinfo=dt.UTC)
    assert (facts.applicant_name, facts.applicant_id_number) == ("王*明", "110105********002X")
    assert facts.items == ("出生医学证明首次签发", "社会保障卡申领")
    assert facts.received == ("居民身份证", "申请表")
    assert facts.waived == ("出生医学证明",)
    assert facts.missing == (Missing("近期免冠照片", "2026-12-01", "白底"),)
    assert facts.promised == dt.date(2026, 12, 3)
    assert (facts.window, facts.clerk, facts.fee_yuan) == ("3", "张芳", 12.5)
    assert facts.query_url.endswith("SL-20261124-0007")
    assert facts.agent_name == "李*"
    assert has_notice(facts)


def test_full_values_when_the_counter_has_them_and_a_plain_case() -> None:
    plain = {**ANSWER, "notice": [], "agent_masked": None, "clerk_name": None,
             "items": ["出生医学证明首次签发"], "promised_date": None, "fee_total_yuan": 0}
    facts = facts_from_case(plain, "站", applicant_name="王小明",
                            applicant_id_number="11010519491231002X")
    assert (facts.applicant_name, facts.applicant_id_number) == ("王小明", "11010519491231002X")
    assert facts.items == ("出生医学证明首次签发",)  # the history list gives names only
    assert facts.agent_name is None and facts.clerk == "zhang01"
    assert facts.promised is None and facts.fee_yuan == 0.0
    assert not has_notice(facts)


def test_the_commitment_before_acceptance() -> None:
    now = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
    facts = commitment_facts("站", applicant_name="王小明", applicant_id_number="X",
                             items=["社会保障卡申领"],
                             deferred=[("近期免冠照片", dt.date(2026, 12, 1), "白底")],
                             window="3", clerk="张芳", now=now)
    assert facts.receipt_no == NO_RECEIPT_YET and facts.accepted_at == now
    assert facts.missing == (Missing("近期免冠照片", "2026-12-01", "白底"),)
    assert facts.received == () and facts.items == ("社会保障卡申领",)
