"""Acceptance at one window: checklist, material states, acceptance, parties, case status."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json

import pytest

from kiosk.domain import cases as c
from kiosk.domain.catalogue import Catalogue, parse_catalogue
from kiosk.domain.workdays import WorkdayCalendar

BIRTH = "SMP-YJS-001"  # 新生儿出生一件事, the tour's bundle
AT = dt.datetime(2026, 9, 29, 10, 0)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    text = importlib.resources.files("kiosk.data").joinpath("sample_catalogue.json")
    return parse_catalogue(json.loads(text.read_text("utf-8")))


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def birth_states(**over: c.MaterialState) -> dict[str, c.MaterialState]:
    """The tour's case: the required papers in, the photo (M007) deferred."""
    states: dict[str, c.MaterialState] = {
        "M001": c.Captured(1), "M008": c.Captured(2), "M004": c.Captured(1),
        "M007": c.Deferred(d("2026-10-09"), commitment_signed=True),
    }
    states.update(over)
    return states


# --- checklist ---------------------------------------------------------------------------


def test_birth_bundle_checklist_is_the_merged_one(cat: Catalogue) -> None:
    lines = c.checklist(cat, bundle_code=BIRTH)
    assert lines == cat.bundle_materials(BIRTH)
    by = {line.material.code: line for line in lines}
    assert list(by) == ["M001", "M003", "M008", "M004", "M002", "M007"]
    # 出生医学证明: 原件 (接种证) + 复印件 (医保) joins upward; required by one item is required
    assert by["M004"].form == "原件和复印件" and by["M004"].required
    assert by["M007"].rongque and by["M007"].mian_tijiao == "shared_data"
    assert not by["M003"].required


def test_items_chosen_freely_merge_like_their_bundle(cat: Catalogue) -> None:
    codes = cat.bundles[BIRTH].item_codes
    assert c.checklist(cat, item_codes=list(codes)) == cat.bundle_materials(BIRTH)


def test_one_item_is_its_own_list(cat: Catalogue) -> None:
    assert c.checklist(cat, item_codes=["SMP-SHBZ-005"]) == cat.items["SMP-SHBZ-005"].materials


@pytest.mark.parametrize("kwargs", [{}, {"bundle_code": BIRTH, "item_codes": ["SMP-SHBZ-005"]},
                                    {"item_codes": ["SMP-SHBZ-005", "SMP-SHBZ-005"]},
                                    {"item_codes": ["SMP-NOPE"]}, {"bundle_code": "SMP-NOPE"}])
def test_checklist_refuses(cat: Catalogue, kwargs: dict) -> None:
    with pytest.raises(c.CaseError):
        c.checklist(cat, **kwargs)


# --- material records ----------------------------------------------------------------------


@pytest.mark.parametrize("state", [
    c.Captured(3), c.Waived("shared_data"), c.Waived("e_licence", "EL-123"),
    c.Deferred(d("2026-10-09"), True), c.Missing()])
def test_material_record_round_trips(state: c.MaterialState) -> None:
    name, detail, due = c.material_record(state)
    assert name == state.state
    assert name in ("captured", "waived", "deferred", "missing")  # the store's CHECK
    # the store keeps detail as JSON: go through it
    back = c.material_from_record(name, json.loads(json.dumps(detail)), due)
    assert back == state


def test_material_from_record_refuses_bad_rows() -> None:
    with pytest.raises(c.CaseError):
        c.material_from_record("deferred", {"commitment_signed": True}, None)
    with pytest.raises(c.CaseError):
        c.material_from_record("lost", None, None)


# --- check_acceptance ------------------------------------------------------------------------


def kinds(problems: list[c.Problem]) -> list[tuple[str, str | None]]:
    return [(p.kind, p.material_code) for p in problems]


def check(cat: Catalogue, cal: WorkdayCalendar, states: dict, **kw) -> list[c.Problem]:
    return c.check_acceptance(c.checklist(cat, bundle_code=BIRTH), states,
                              accepted_on=AT.date(), calendar=cal, **kw)


def test_the_tour_case_passes(cat: Catalogue, cal: WorkdayCalendar) -> None:
    assert check(cat, cal, birth_states()) == []


def test_every_problem_at_once_naming_the_material(cat: Catalogue,
                                                   cal: WorkdayCalendar) -> None:
    states = birth_states(M001=c.Missing(), M008=c.Captured(0),
                          M004=c.Waived("e_licence", "X"), M009=c.Captured(1))
    problems = check(cat, cal, states)
    assert kinds(problems) == [("unknown_material", "M009"), ("missing", "M001"),
                               ("no_pages", "M008"), ("waive_not_allowed", "M004")]
    assert "居民身份证" in problems[1].message and " / " in problems[1].message
    assert "数据共享" in problems[3].message


def test_optional_lines_may_be_absent(cat: Catalogue, cal: WorkdayCalendar) -> None:
    states = birth_states()
    assert "M003" not in states and "M002" not in states
    assert check(cat, cal, states) == []


@pytest.mark.parametrize(("state", "kind"), [
    (c.Waived("e_licence", None), "licence_code"),       # M001 allows e_licence: code needed
    (c.Waived("e_licence", "  "), "licence_code"),
    (c.Waived("shared_data"), "waive_not_allowed"),      # wrong way
    (c.Waived("paper_trail"), "waive_reason"),           # type: ignore[arg-type]
    (c.Deferred(d("2026-10-09"), True), "rongque_not_allowed"),
])
def test_waivers_and_deferrals_only_where_allowed(cat: Catalogue, cal: WorkdayCalendar,
                                                  state: c.MaterialState, kind: str) -> None:
    assert kinds(check(cat, cal, birth_states(M001=state))) == [(kind, "M001")]


def test_waived_by_e_licence_with_its_code(cat: Catalogue, cal: WorkdayCalendar) -> None:
    assert check(cat, cal, birth_states(M001=c.Waived("e_licence", "EL-110101"))) == []


def test_application_form_can_never_be_waived(cat: Catalogue, cal: WorkdayCalendar) -> None:
    assert kinds(check(cat, cal, birth_states(M008=c.Waived("shared_data")))) == [
        ("waive_not_allowed", "M008")]


def test_deferral_needs_the_signed_commitment(cat: Catalogue, cal: WorkdayCalendar) -> None:
    states = birth_states(M007=c.Deferred(d("2026-10-09"), commitment_signed=False))
    assert kinds(check(cat, cal, states)) == [("commitment_unsigned", "M007")]


def test_rongque_due_across_national_day(cal: WorkdayCalendar) -> None:
    # accepted Tue 29 Sep 2026: 30 Sep, then 国庆 1-7 Oct off, 8, 9, 10 (调休 Sat), 12
    assert c.rongque_due(cal, d("2026-09-29")) == d("2026-10-12")
    assert c.rongque_due(cal, d("2026-09-29"), 3) == d("2026-10-09")


def test_rongque_due_onto_a_make_up_sunday(cal: WorkdayCalendar) -> None:
    # Thu 17 Sep: 18 (Fri), 20 (Sun, 调休 for 国庆), 21, 22, 23
    assert c.rongque_due(cal, d("2026-09-17")) == d("2026-09-23")
    assert c.rongque_due(cal, d("2026-09-17"), 2) == d("2026-09-20")


@pytest.mark.parametrize(("due", "ok"), [
    ("2026-10-12", True),    # the latest: 5 working days
    ("2026-10-10", True),    # 调休 Saturday: the centre is open
    ("2026-10-13", False),   # one working day too late
    ("2026-10-03", False),   # 国庆: closed
    ("2026-10-11", False),   # Sunday after 国庆: closed
    ("2026-09-29", False),   # the acceptance day itself is no deferral
    ("2026-09-28", False),
])
def test_due_date_bounds(cat: Catalogue, cal: WorkdayCalendar, due: str, ok: bool) -> None:
    problems = check(cat, cal, birth_states(M007=c.Deferred(d(due), True)))
    assert kinds(problems) == ([] if ok else [("due_date", "M007")])


def test_due_date_window_is_configurable(cat: Catalogue, cal: WorkdayCalendar) -> None:
    states = birth_states(M007=c.Deferred(d("2026-10-12"), True))
    assert kinds(check(cat, cal, states, rongque_days=3)) == [("due_date", "M007")]


# --- accept ------------------------------------------------------------------------------


def test_accept_with_rongque(cat: Catalogue, cal: WorkdayCalendar) -> None:
    a = c.accept(cat, birth_states(), accepted_on=AT.date(), calendar=cal, bundle_code=BIRTH)
    assert a.status is c.CaseStatus.ACCEPTED_RONGQUE
    assert a.promised_days == 7  # the bundle's, not its items' longest (SHBZ-005: 7 too)
    # 7 working days from Tue 29 Sep 2026 across 国庆: 30, 8, 9, 10 (Sat), 12, 13, 14
    assert a.promised_date == d("2026-10-14")
    assert not a.promised_estimated
    assert [n.material_code for n in a.notice] == ["M007"]
    assert a.notice[0].due == d("2026-10-09") and a.notice[0].name == "近期免冠证件照片"
    assert dict(a.materials)["M003"] == c.Missing()
    assert len(a.fees) == 4 and a.fee_total_yuan == 0 and a.fees[0].basis == "不收费"


def test_accept_without_deferral_is_plain_acceptance(cat: Catalogue,
                                                     cal: WorkdayCalendar) -> None:
    a = c.accept(cat, birth_states(M007=c.Captured(1)), accepted_on=AT.date(), calendar=cal,
                 bundle_code=BIRTH)
    assert a.status is c.CaseStatus.ACCEPTED and a.notice == ()


def test_promised_date_is_the_longest_item_without_a_bundle(cat: Catalogue,
                                                            cal: WorkdayCalendar) -> None:
    states = {"M001": c.Captured(1), "M007": c.Captured(1), "M008": c.Captured(1),
              "M005": c.Captured(1), "M002": c.Captured(1)}
    # SHBZ-005 promises 7, SHBZ-002 10: 10 working days from Fri 18 Sep 2026, over the
    # 调休 Sunday (20 Sep), 中秋 (25 Sep) and 国庆
    a = c.accept(cat, states, accepted_on=d("2026-09-18"), calendar=cal,
                 item_codes=["SMP-SHBZ-005", "SMP-SHBZ-002"])
    assert a.promised_days == 10
    # 20 (Sun), 21, 22, 23, 24, [25-27 off], 28, 29, 30, [国庆 1-7], 8, 9
    assert a.promised_date == d("2026-10-09")


def test_jiban_is_the_same_day(cat: Catalogue, cal: WorkdayCalendar) -> None:
    a = c.accept(cat, {"M001": c.Captured(1), "M008": c.Captured(1)},
                 accepted_on=d("2026-10-10"), calendar=cal, item_codes=["SMP-YLWS-003"])
    assert a.promised_days == 0 and a.promised_date == d("2026-10-10")


def test_unknown_year_is_flagged_as_an_estimate(cat: Catalogue, cal: WorkdayCalendar) -> None:
    a = c.accept(cat, birth_states(M007=c.Captured(1)), accepted_on=d("2099-03-02"),
                 calendar=cal, bundle_code=BIRTH)
    assert a.promised_estimated


def test_fees_sum_in_fen(cat: Catalogue, cal: WorkdayCalendar) -> None:
    data = cat.to_data()
    for item in data["items"]:
        if item["code"] in ("SMP-YLWS-003", "SMP-YLWS-004"):
            item["fees"] = {"amount_yuan": 0.1 if item["code"].endswith("3") else 0.2,
                            "basis": "工本费（示例）"}
    paid = parse_catalogue(data)
    a = c.accept(paid, birth_states(), accepted_on=AT.date(), calendar=cal, bundle_code=BIRTH)
    assert a.fee_total_yuan == 0.3
    assert [(f.item_code, f.amount_yuan) for f in a.fees][:2] == [("SMP-YLWS-003", 0.1),
                                                                 ("SMP-YLWS-004", 0.2)]


def test_refusal_carries_problems_and_the_notice(cat: Catalogue, cal: WorkdayCalendar) -> None:
    with pytest.raises(c.AcceptanceRefused) as e:
        c.accept(cat, birth_states(M001=c.Missing()), accepted_on=AT.date(), calendar=cal,
                 bundle_code=BIRTH)
    assert kinds(e.value.problems) == [("missing", "M001")]
    # one notice: the missing card (no date: the case waits) and the deferred photo
    assert [(n.material_code, n.due) for n in e.value.notice] == [
        ("M001", None), ("M007", d("2026-10-09"))]
    assert "居民身份证" in str(e.value)


# --- parties -------------------------------------------------------------------------------


def test_parties_ok_and_checker_used() -> None:
    seen: list[str] = []

    def checker(number: str) -> bool:
        seen.append(number)
        return True

    app = c.Applicant("王小明", "110101199003077777")
    agent = c.Agent("王大明", "110101196001011234", "parent")
    assert c.check_parties(app, agent, id_check=checker) == []
    assert seen == [app.id_number, agent.id_number]
    assert agent.record()["relationship"] == "parent"


def test_parties_problems() -> None:
    app = c.Applicant(" ", "110101199003077777")
    agent = c.Agent("王大明", "110101199003077777", "neighbour")
    problems = c.check_parties(app, agent, id_check=lambda n: False)
    assert [p.kind for p in problems] == ["applicant_name", "applicant_id_number",
                                          "agent_id_number", "agent_relationship",
                                          "agent_is_applicant"]


def test_without_a_checker_the_number_is_the_callers() -> None:
    assert c.check_parties(c.Applicant("李四", "not-a-number")) == []


# --- status history ------------------------------------------------------------------------


def accepted_case(cat: Catalogue, cal: WorkdayCalendar) -> c.Case:
    a = c.accept(cat, birth_states(), accepted_on=AT.date(), calendar=cal, bundle_code=BIRTH)
    case, step = c.new_case("case-1", a, AT, "clerk-7")
    assert step.kind == "accepted_rongque" and case.history == (step,)
    return case


def line(cat: Catalogue, code: str):
    return next(x for x in cat.bundle_materials(BIRTH) if x.material.code == code)


def test_rongque_case_must_be_completed_before_done(cat: Catalogue,
                                                    cal: WorkdayCalendar) -> None:
    case = accepted_case(cat, cal)
    later = AT + dt.timedelta(days=3)
    with pytest.raises(c.CaseError, match="容缺受理"):
        c.finish(case, later, "clerk-7")
    case, step = c.supply(case, line(cat, "M007"), c.Waived("shared_data"), later, "clerk-7")
    assert case.status is c.CaseStatus.MATERIALS_COMPLETE
    assert step.kind == "materials_completed" and step.note == "M007"
    case, step = c.finish(case, later, "clerk-7")
    assert case.status is c.CaseStatus.DONE
    assert [s.kind for s in case.history] == ["accepted_rongque", "materials_completed", "done"]
    # the history survives the store's JSON
    assert tuple(c.Step.from_entry(json.loads(json.dumps(s.entry())))
                 for s in case.history) == case.history


def test_supply_refusals(cat: Catalogue, cal: WorkdayCalendar) -> None:
    case = accepted_case(cat, cal)
    with pytest.raises(c.CaseError, match="M001"):
        c.supply(case, line(cat, "M001"), c.Captured(1), AT, "x")      # not deferred
    with pytest.raises(c.CaseError):
        c.supply(case, line(cat, "M007"), c.Captured(0), AT, "x")      # no pages
    with pytest.raises(c.CaseError, match="数据共享"):
        c.supply(case, line(cat, "M007"), c.Waived("e_licence", "E1"), AT, "x")


def test_withdraw_needs_a_reason_and_ends_the_case(cat: Catalogue,
                                                   cal: WorkdayCalendar) -> None:
    case = accepted_case(cat, cal)
    with pytest.raises(c.CaseError):
        c.withdraw(case, AT, "clerk-7", " ")
    case, step = c.withdraw(case, AT, "clerk-7", "承诺期满未补交")
    assert case.status is c.CaseStatus.WITHDRAWN and step.to == "withdrawn"
    for move in (lambda: c.finish(case, AT, "x"), lambda: c.withdraw(case, AT, "x", "again")):
        with pytest.raises(c.CaseError, match="已撤回"):
            move()


def test_overdue_materials(cat: Catalogue, cal: WorkdayCalendar) -> None:
    case = accepted_case(cat, cal)
    assert c.overdue_materials(case, d("2026-10-09")) == ()
    assert c.overdue_materials(case, d("2026-10-10")) == ("M007",)
