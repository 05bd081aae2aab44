"""Acceptance at one window (一窗受理): the checklist, each material's state, what acceptance
decides, and a case's status afterwards, as pure functions.

Where the rules come from (seed notices in ../shared/seeds/):

- 容缺受理 with a signed 告知承诺书: "对具备基本条件、主要申报材料齐全且符合法定条件，次要
  条件有欠缺的服务事项，通过签订容缺承诺书、承诺后补的形式，实现'容缺办'"
  (003_d5548fad7f85fffd.txt); "编制公布可容缺受理的政务服务事项清单，明确……可容缺受理的
  材料", "采用申请材料后补或免交等方式，签订告知承诺书" (004_4c26e4c56d55c3b0.txt §9). Which
  material may be deferred or waived is therefore the catalogue's to say (``rongque``,
  ``mian_tijiao``), never the clerk's.
- 一次性告知: "窗口人员应一次性告知服务对象办理程序、申报材料等内容"
  (002_1ea5973e6a7859fd.txt): everything still owed goes on one notice, with its date.
- 限时办结 (001_7a67a4410f40a542.txt): the promised date is counted in working days on the
  :class:`~kiosk.domain.workdays.WorkdayCalendar`.

States of a material map onto ``case_materials`` (``offline_store/cases.py``) one to one:
:func:`material_record` gives ``(state, detail, due_date)`` and :func:`material_from_record`
reads them back. The applicant and the agent are plain data for the store to seal.

A case's status: ``accepted`` (受理) or ``accepted_rongque`` (容缺受理) → ``materials_complete``
(the deferred papers arrived) → ``done`` (办结); ``withdrawn`` (撤回) from any open status.
Each transition returns the new case and the :class:`Step` to record (who, when, a note).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.domain.catalogue import Catalogue, ItemMaterial
from kiosk.domain.workdays import WorkdayCalendar

RONGQUE_DAYS = 5
"""Default time to bring a deferred (容缺) material, in working days after acceptance."""

WaiveReason = Literal["shared_data", "e_licence"]
WAIVE_REASONS: tuple[WaiveReason, ...] = ("shared_data", "e_licence")
_WAIVE_ZH = {"shared_data": "数据共享", "e_licence": "电子证照"}

#: Who may apply on another's behalf (代办人), by code, with the words the receipt shows.
#: Fixed here so that figures and the county see the same codes from every site.
RELATIONSHIPS: Mapping[str, str] = {
    "spouse": "配偶",
    "parent": "父母",
    "child": "子女",
    "sibling": "兄弟姐妹",
    "grandparent": "祖父母、外祖父母",
    "grandchild": "孙子女、外孙子女",
    "other_relative": "其他近亲属",
    "guardian": "监护人",
    "village_agent": "村（社区）帮办代办员",
    "entrusted": "受委托人（持委托书）",
}


class CaseError(ValueError):
    """A transition or a request that does not apply, in words the clerk can act on."""


# --- the checklist --------------------------------------------------------------------------


def checklist(catalogue: Catalogue, *, item_codes: Sequence[str] = (),
              bundle_code: str | None = None) -> tuple[ItemMaterial, ...]:
    """The merged material lines for a bundle (一件事) or for one or more items.

    Exactly one of ``bundle_code`` and ``item_codes`` is given; both merge by
    ``Catalogue.bundle_materials``'s rule (see ``catalogue.merge_materials``).
    """
    if (bundle_code is None) == (not item_codes):
        raise CaseError("请选择一个“一件事”或若干事项 / choose one bundle or some items")
    if bundle_code is not None:
        return _lookup(lambda: catalogue.bundle_materials(bundle_code))
    if len(set(item_codes)) != len(item_codes):
        raise CaseError("同一事项选了两次 / an item was chosen twice")
    return _lookup(lambda: catalogue.items_materials(list(item_codes)))


def _lookup(get: Callable[[], tuple[ItemMaterial, ...]]) -> tuple[ItemMaterial, ...]:
    try:
        return get()
    except KeyError as e:
        raise CaseError(f"目录中没有该事项 / {e.args[0]}") from None


# --- material states --------------------------------------------------------------------------


@dataclass(frozen=True)
class Captured:
    """Scanned at the counter: ``pages`` pages (the page images travel as blobs)."""

    pages: int
    state: Literal["captured"] = dataclasses.field(default="captured", init=False, repr=False)


@dataclass(frozen=True)
class Waived:
    """免提交: the clerk got it from shared data, or from the e-licence whose code was scanned.
    Only where the line's ``mian_tijiao`` names this same way."""

    reason: WaiveReason
    licence_code: str | None = None
    state: Literal["waived"] = dataclasses.field(default="waived", init=False, repr=False)


@dataclass(frozen=True)
class Deferred:
    """容缺: accepted without it; the applicant signed the 告知承诺书 to bring it by ``due``."""

    due: dt.date
    commitment_signed: bool
    state: Literal["deferred"] = dataclasses.field(default="deferred", init=False, repr=False)


@dataclass(frozen=True)
class Missing:
    """Not brought, not waived, not deferred."""

    state: Literal["missing"] = dataclasses.field(default="missing", init=False, repr=False)


MaterialState = Captured | Waived | Deferred | Missing


def material_record(state: MaterialState) -> tuple[str, dict[str, Any] | None, str | None]:
    """``(state, detail, due_date)`` for a ``case_materials`` row (detail is sealed there)."""
    if isinstance(state, Captured):
        return "captured", {"pages": state.pages}, None
    if isinstance(state, Waived):
        return "waived", {"reason": state.reason, "licence_code": state.licence_code}, None
    if isinstance(state, Deferred):
        return ("deferred", {"commitment_signed": state.commitment_signed},
                state.due.isoformat())
    return "missing", None, None


def material_from_record(state: str, detail: Mapping[str, Any] | None,
                         due_date: str | None) -> MaterialState:
    """The inverse of :func:`material_record`."""
    detail = detail or {}
    if state == "captured":
        return Captured(pages=int(detail.get("pages", 0)))
    if state == "waived":
        return Waived(reason=detail["reason"], licence_code=detail.get("licence_code"))
    if state == "deferred":
        if due_date is None:
            raise CaseError("容缺材料缺少补交日期 / a deferred material has no due date")
        return Deferred(due=dt.date.fromisoformat(due_date),
                        commitment_signed=bool(detail.get("commitment_signed")))
    if state == "missing":
        return Missing()
    raise CaseError(f"未知的材料状态 / unknown material state {state!r}")


def rongque_due(calendar: WorkdayCalendar, accepted_on: dt.date,
                days: int = RONGQUE_DAYS) -> dt.date:
    """The latest date a deferred material may be promised for: ``days`` working days after
    the acceptance day (the day itself is not counted)."""
    return calendar.add_working_days(accepted_on, days)


# --- checking acceptance ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why the case cannot be accepted as it stands. ``kind`` is for the screen's logic,
    ``message`` for the clerk (中文 / English), naming the material."""

    kind: str
    message: str
    material_code: str | None = None


def check_acceptance(lines: Sequence[ItemMaterial], states: Mapping[str, MaterialState], *,
                     accepted_on: dt.date, calendar: WorkdayCalendar,
                     rongque_days: int = RONGQUE_DAYS) -> list[Problem]:
    """Every problem at once (the clerk fixes them in one pass), in checklist order.

    A required line must be captured, waived or deferred; an optional line may be anything
    or absent (absent = missing). Waived only the way the line allows (an e-licence needs
    its code); deferred only where the line allows 容缺, with the commitment signed and a
    working-day due date after the acceptance day and no later than ``rongque_days`` working
    days after it.
    """
    problems: list[Problem] = []
    known = {line.material.code for line in lines}
    for code in states:
        if code not in known:
            problems.append(Problem("unknown_material",
                                    f"{code} 不在本次办理的材料清单中 / {code} is not on this "
                                    "checklist", code))
    latest = rongque_due(calendar, accepted_on, rongque_days)
    for line in lines:
        code, name = line.material.code, line.material.name
        state = states.get(code, Missing())
        if isinstance(state, Missing):
            if line.required:
                problems.append(Problem(
                    "missing", f"缺少必需材料“{name}” / required material missing: "
                    f"{line.material.name_en or code}", code))
        elif isinstance(state, Captured):
            if state.pages < 1:
                problems.append(Problem(
                    "no_pages", f"“{name}”没有采集到页面 / no page captured for "
                    f"{line.material.name_en or code}", code))
        elif isinstance(state, Waived):
            problems.extend(_check_waived(line, state))
        elif isinstance(state, Deferred):
            problems.extend(_check_deferred(line, state, accepted_on, latest, calendar))
    return problems


def _check_waived(line: ItemMaterial, state: Waived) -> list[Problem]:
    code, name, en = line.material.code, line.material.name, line.material.name_en or \
        line.material.code
    if state.reason not in WAIVE_REASONS:
        return [Problem("waive_reason", f"“{name}”免提交理由无效 / {en}: unknown reason "
                        f"{state.reason!r}", code)]
    if line.mian_tijiao == "none":
        return [Problem("waive_not_allowed", f"“{name}”不能免提交 / {en} cannot be waived",
                        code)]
    if line.mian_tijiao != state.reason:
        return [Problem("waive_not_allowed",
                        f"“{name}”只能通过{_WAIVE_ZH[line.mian_tijiao]}免提交 / {en} can be "
                        f"waived only by {line.mian_tijiao}", code)]
    if state.reason == "e_licence" and not (state.licence_code or "").strip():
        return [Problem("licence_code", f"“{name}”请扫描电子证照码 / {en}: scan the "
                        "e-licence code", code)]
    return []


def _check_deferred(line: ItemMaterial, state: Deferred, accepted_on: dt.date,
                    latest: dt.date, calendar: WorkdayCalendar) -> list[Problem]:
    code, name, en = line.material.code, line.material.name, line.material.name_en or \
        line.material.code
    if not line.rongque:
        return [Problem("rongque_not_allowed", f"“{name}”不在容缺受理范围 / {en} cannot be "
                        "brought later", code)]
    out = []
    if not state.commitment_signed:
        out.append(Problem("commitment_unsigned", f"“{name}”容缺须签署告知承诺书 / {en}: the "
                           "commitment must be signed", code))
    if not accepted_on < state.due <= latest:
        out.append(Problem("due_date", f"“{name}”补交日期须在 {accepted_on} 之后、{latest} 之前"
                           f" / {en}: due date must be after {accepted_on}, by {latest}", code))
    elif not calendar.is_workday(state.due):
        # the centre is closed that day: the applicant could not keep the promise
        out.append(Problem("due_date", f"“{name}”补交日期 {state.due} 不是工作日 / {en}: "
                           f"{state.due} is not a working day", code))
    return out


# --- acceptance --------------------------------------------------------------------------------


class CaseStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    """受理: every required material is in (captured or waived)."""
    ACCEPTED_RONGQUE = "accepted_rongque"
    """容缺受理: accepted with something deferred, to be brought by its due date."""
    MATERIALS_COMPLETE = "materials_complete"
    """The deferred materials arrived (补齐)."""
    DONE = "done"
    """办结."""
    WITHDRAWN = "withdrawn"
    """撤回 by the applicant (or lapsed: a 容缺 commitment not kept)."""


OPEN_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.ACCEPTED_RONGQUE,
                 CaseStatus.MATERIALS_COMPLETE)
_STATUS_ZH = {CaseStatus.ACCEPTED: "已受理", CaseStatus.ACCEPTED_RONGQUE: "容缺受理",
              CaseStatus.MATERIALS_COMPLETE: "材料已补齐", CaseStatus.DONE: "已办结",
              CaseStatus.WITHDRAWN: "已撤回"}


@dataclass(frozen=True)
class FeeLine:
    item_code: str
    item_name: str
    amount_yuan: float
    basis: str


@dataclass(frozen=True)
class NoticeLine:
    """One line of the 一次性告知单: what to bring (form, count, note) and by when (``due``
    None: the case cannot be accepted without it)."""

    material_code: str
    name: str
    form: str
    count: int
    note: str
    due: dt.date | None


@dataclass(frozen=True)
class Acceptance:
    """What accepting decides; the station stores it and the printouts show it."""

    status: CaseStatus
    accepted_on: dt.date
    promised_days: int
    promised_date: dt.date
    promised_estimated: bool
    """True when a year on the way is not in the holiday notices the calendar knows: the
    receipt should say the date is provisional."""
    fees: tuple[FeeLine, ...]
    fee_total_yuan: float
    notice: tuple[NoticeLine, ...]
    materials: tuple[tuple[str, MaterialState], ...]
    """Every checklist line with its state (absent optional lines as ``Missing``)."""


class AcceptanceRefused(CaseError):
    """The case cannot be accepted; ``problems`` lists why, ``notice`` what to bring."""

    def __init__(self, problems: list[Problem], notice: tuple[NoticeLine, ...]) -> None:
        self.problems = problems
        self.notice = notice
        super().__init__("\n".join(p.message for p in problems))


def one_time_notice(lines: Sequence[ItemMaterial],
                    states: Mapping[str, MaterialState]) -> tuple[NoticeLine, ...]:
    """The 一次性告知 lines: each deferred material with its due date, and each required
    material still missing (no date: the case waits for it). Optional materials not brought
    are left off, so the notice lists only what the applicant must act on."""
    out = []
    for line in lines:
        state = states.get(line.material.code, Missing())
        if isinstance(state, Deferred):
            due: dt.date | None = state.due
        elif isinstance(state, Missing) and line.required:
            due = None
        else:
            continue
        out.append(NoticeLine(line.material.code, line.material.name, line.form, line.count,
                              line.note, due))
    return tuple(out)


def promised_days(catalogue: Catalogue, *, item_codes: Sequence[str] = (),
                  bundle_code: str | None = None) -> int:
    """The bundle's promised days, else the longest of the items' (0 = 即办)."""
    if bundle_code is not None:
        return catalogue.bundles[bundle_code].promised_days
    return max(catalogue.items[code].promised_days for code in item_codes)


def accept(catalogue: Catalogue, states: Mapping[str, MaterialState], *,
           accepted_on: dt.date, calendar: WorkdayCalendar, item_codes: Sequence[str] = (),
           bundle_code: str | None = None, rongque_days: int = RONGQUE_DAYS) -> Acceptance:
    """Accept the case, or raise :class:`AcceptanceRefused` with every problem and the
    notice of what to bring.

    The promised date counts from the acceptance day (限时办结; 即办 0 → the same day); the
    fees are the items' fees with their bases (a bundle's items each keep theirs).
    """
    lines = checklist(catalogue, item_codes=item_codes, bundle_code=bundle_code)
    problems = check_acceptance(lines, states, accepted_on=accepted_on, calendar=calendar,
                                rongque_days=rongque_days)
    notice = one_time_notice(lines, states)
    if problems:
        raise AcceptanceRefused(problems, notice)
    codes = catalogue.bundles[bundle_code].item_codes if bundle_code else tuple(item_codes)
    days = promised_days(catalogue, item_codes=item_codes, bundle_code=bundle_code)
    promised = calendar.add_working_days(accepted_on, days)
    fees = tuple(FeeLine(code, catalogue.items[code].name, catalogue.items[code].fees.amount_yuan,
                         catalogue.items[code].fees.basis) for code in codes)
    materials = tuple((line.material.code, states.get(line.material.code, Missing()))
                      for line in lines)
    deferred = any(isinstance(state, Deferred) for _, state in materials)
    return Acceptance(
        status=CaseStatus.ACCEPTED_RONGQUE if deferred else CaseStatus.ACCEPTED,
        accepted_on=accepted_on,
        promised_days=days,
        promised_date=promised,
        promised_estimated=any(not calendar.knows(y)
                               for y in range(accepted_on.year, promised.year + 1)),
        fees=fees,
        # fen are whole: sum in fen so that 0.1 + 0.2 is 0.30 on the receipt
        fee_total_yuan=sum(round(f.amount_yuan * 100) for f in fees) / 100,
        notice=notice,
        materials=materials,
    )


# --- applicant and agent ----------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    """申请人: from the ID card, or typed in. ``from_card`` records which (the audit log and
    the receipt say so)."""

    name: str
    id_number: str
    phone: str = ""
    from_card: bool = False

    def record(self) -> dict[str, Any]:
        """The dict the store seals in ``cases.applicant``."""
        return {"name": self.name, "id_number": self.id_number, "phone": self.phone,
                "from_card": self.from_card}


@dataclass(frozen=True)
class Agent:
    """代办人: applies on the applicant's behalf; ``relationship`` is a key of
    :data:`RELATIONSHIPS`."""

    name: str
    id_number: str
    relationship: str
    phone: str = ""
    from_card: bool = False

    def record(self) -> dict[str, Any]:
        """The dict the store seals in ``cases.agent``."""
        return {"name": self.name, "id_number": self.id_number, "phone": self.phone,
                "relationship": self.relationship, "from_card": self.from_card}


def check_parties(applicant: Applicant, agent: Agent | None = None, *,
                  id_check: Callable[[str], bool] | None = None) -> list[Problem]:
    """Problems with the applicant and the agent, all at once.

    The GB 11643 check digit is not computed here (it lives in ``drivers/gb11643.py``, which
    the domain may not import): the station passes ``drivers.gb11643.is_valid`` as
    ``id_check``. With ``id_check`` None the caller has checked the numbers already (e.g.
    both came from the card's chip, which the reader verified).
    """
    out = []
    people: list[tuple[str, str, Applicant | Agent]] = [("申请人", "applicant", applicant)]
    if agent is not None:
        people.append(("代办人", "agent", agent))
    for zh, en, person in people:
        if not person.name.strip():
            out.append(Problem(f"{en}_name", f"请填写{zh}姓名 / enter the {en}'s name"))
        if id_check is not None and not id_check(person.id_number):
            out.append(Problem(f"{en}_id_number", f"{zh}身份证号码校验不通过 / the {en}'s ID "
                               "number fails its check digit"))
    if agent is not None:
        if agent.relationship not in RELATIONSHIPS:
            out.append(Problem("agent_relationship", f"请选择代办人与申请人的关系 / choose the "
                               f"agent's relationship (one of {', '.join(RELATIONSHIPS)})"))
        if agent.id_number.strip().upper() == applicant.id_number.strip().upper():
            out.append(Problem("agent_is_applicant", "代办人不能是申请人本人 / the agent cannot "
                               "be the applicant"))
    return out


# --- a case after acceptance ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One entry of a status history: what happened, when, by whom, a note, and the status
    or stage it led to. :meth:`entry` is the JSON the store appends to ``history``."""

    kind: str
    at: dt.datetime
    by: str
    to: str
    note: str = ""

    def entry(self) -> dict[str, str]:
        return {"kind": self.kind, "at": self.at.isoformat(), "by": self.by, "to": self.to,
                "note": self.note}

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Step:
        return cls(kind=str(entry["kind"]), at=dt.datetime.fromisoformat(entry["at"]),
                   by=str(entry["by"]), to=str(entry["to"]), note=str(entry.get("note", "")))


@dataclass(frozen=True)
class Case:
    """A case's status and its materials' states, with the history of its steps."""

    case_id: str
    status: CaseStatus
    materials: tuple[tuple[str, MaterialState], ...]
    history: tuple[Step, ...] = ()

    def state_of(self, code: str) -> MaterialState:
        for c, state in self.materials:
            if c == code:
                return state
        raise CaseError(f"{code} 不在本案材料中 / {code} is not a material of this case")

    def deferred(self) -> tuple[tuple[str, Deferred], ...]:
        return tuple((c, s) for c, s in self.materials if isinstance(s, Deferred))


def new_case(case_id: str, acceptance: Acceptance, at: dt.datetime, by: str) -> tuple[Case, Step]:
    """The case as accepted, with its first step (``accepted`` or ``accepted_rongque``)."""
    step = Step(acceptance.status.value, at, by, acceptance.status.value)
    return Case(case_id, acceptance.status, acceptance.materials, (step,)), step


def _check_status(case: Case, allowed: Iterable[CaseStatus], zh: str, en: str) -> None:
    if case.status not in tuple(allowed):
        raise CaseError(f"办件当前为“{_STATUS_ZH[case.status]}”，不能{zh} / the case is "
                        f"{case.status}: it cannot be {en}")


def supply(case: Case, line: ItemMaterial, state: Captured | Waived, at: dt.datetime,
           by: str) -> tuple[Case, Step]:
    """A deferred material arrives (补交), captured, or waived where ``line`` (its checklist
    line) allows. When it is the last one owed, the case moves to ``materials_complete``
    (step ``materials_completed``), else it stays (``material_supplied``)."""
    _check_status(case, (CaseStatus.ACCEPTED_RONGQUE,), "补交材料", "supplied")
    code = line.material.code
    if not isinstance(case.state_of(code), Deferred):
        raise CaseError(f"“{line.material.name}”不是容缺材料 / {code} was not deferred")
    if isinstance(state, Captured) and state.pages < 1:
        raise CaseError(f"“{line.material.name}”没有采集到页面 / no page captured for {code}")
    if isinstance(state, Waived):
        problems = _check_waived(line, state)
        if problems:
            raise CaseError(problems[0].message)
    materials = tuple((c, state if c == code else s) for c, s in case.materials)
    done = not any(isinstance(s, Deferred) for _, s in materials)
    status = CaseStatus.MATERIALS_COMPLETE if done else CaseStatus.ACCEPTED_RONGQUE
    step = Step("materials_completed" if done else "material_supplied", at, by, status.value,
                code)
    return dataclasses.replace(case, status=status, materials=materials,
                               history=(*case.history, step)), step


def finish(case: Case, at: dt.datetime, by: str, note: str = "") -> tuple[Case, Step]:
    """办结. Not while a 容缺 material is still owed: the commitment comes first."""
    _check_status(case, (CaseStatus.ACCEPTED, CaseStatus.MATERIALS_COMPLETE), "办结",
                  "finished")
    step = Step("done", at, by, CaseStatus.DONE.value, note)
    return dataclasses.replace(case, status=CaseStatus.DONE,
                               history=(*case.history, step)), step


def withdraw(case: Case, at: dt.datetime, by: str, note: str) -> tuple[Case, Step]:
    """撤回 (or a 容缺 commitment not kept): needs a note saying why."""
    _check_status(case, OPEN_STATUSES, "撤回", "withdrawn")
    if not note.strip():
        raise CaseError("请说明撤回原因 / say why the case is withdrawn")
    step = Step("withdrawn", at, by, CaseStatus.WITHDRAWN.value, note)
    return dataclasses.replace(case, status=CaseStatus.WITHDRAWN,
                               history=(*case.history, step)), step


def overdue_materials(case: Case, today: dt.date) -> tuple[str, ...]:
    """Codes of deferred materials past their due date (the clerk calls the applicant)."""
    if case.status is not CaseStatus.ACCEPTED_RONGQUE:
        return ()
    return tuple(code for code, state in case.deferred() if state.due < today)
