""""办不成事" requests: a matter the window could not settle, escalated until it is.

Sources: "有条件的为民服务中心可单独设置……'办不成事'反映窗口……协调解决政务服务领域内疑难事项
和复杂问题" (003_d5548fad7f85fffd.txt); "线上线下'办不成事'反映窗口" linked with 12345's
"受理转办、办结反馈、督办考核" (004_4c26e4c56d55c3b0.txt), hence the levels (window → centre →
county), a deadline per level, and an outcome for every request.

Who asked is sealed by the store (``offline_store/unresolved.py``): this module never sees
it, only ``requester_ref``, an opaque reference the station may fill or leave None. What was
asked and why it could not be done stay readable for the manager's list and the county's
figures, so they must not carry personal data (the screen says so).

A request maps onto ``unresolved_requests``: ``escalation``, ``stage``, ``deadline``,
``outcome`` and ``history`` (:class:`~kiosk.domain.cases.Step` entries).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.domain.cases import Step
from kiosk.domain.workdays import WorkdayCalendar

DAYS = 5
"""Default time for each level to settle a request, in working days."""


class Level(enum.StrEnum):
    """Who handles it now (the ``escalation`` column), in escalation order."""

    WINDOW = "window"
    CENTRE = "centre"
    """The township 便民服务中心's 办不成事 window or its head."""
    COUNTY = "county"


_ORDER = (Level.WINDOW, Level.CENTRE, Level.COUNTY)
_LEVEL_ZH = {Level.WINDOW: "窗口", Level.CENTRE: "便民服务中心", Level.COUNTY: "县级"}


class Outcome(enum.StrEnum):
    SOLVED = "solved"
    """办成了."""
    EXPLAINED = "explained"
    """Cannot be done under the rules; explained to the citizen (解释到位)."""
    REFERRED = "referred"
    """Belongs elsewhere (another department, 12345, the courts); the note says where."""


class Stage(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class UnresolvedError(ValueError):
    """A request or a step that does not apply (中文 / English)."""


@dataclass(frozen=True)
class Request:
    what: str
    why: str
    opened_on: dt.date
    deadline: dt.date
    level: Level = Level.WINDOW
    stage: Stage = Stage.OPEN
    outcome: Outcome | None = None
    item_code: str | None = None
    window: str | None = None
    clerk: str | None = None
    request_id: str | None = None
    requester_ref: str | None = None
    """Opaque: the store's handle on the sealed requester, never read here."""
    history: tuple[Step, ...] = ()


def open_request(what: str, why: str, at: dt.datetime, by: str, calendar: WorkdayCalendar, *,
                 days: int = DAYS, item_code: str | None = None, window: str | None = None,
                 request_id: str | None = None,
                 requester_ref: str | None = None) -> tuple[Request, Step]:
    """Record a request at the window; it is due ``days`` working days after today. The
    ``opened`` step is returned for the audit log but not put in ``history``: the row itself
    (``created_at``, ``clerk``) records the opening, as the store starts history empty."""
    problems = []
    if not what.strip():
        problems.append("请填写办什么事 / say what the citizen wanted done")
    if not why.strip():
        problems.append("请填写办不成的原因 / say why it could not be done")
    if problems:
        raise UnresolvedError("\n".join(problems))
    deadline = calendar.add_working_days(at.date(), days)
    step = Step("opened", at, by, Level.WINDOW.value)
    return Request(what=what.strip(), why=why.strip(), opened_on=at.date(), deadline=deadline,
                   item_code=item_code, window=window, clerk=by, request_id=request_id,
                   requester_ref=requester_ref), step


def _check_open(request: Request, en: str, zh: str) -> None:
    if request.stage is Stage.CLOSED:
        raise UnresolvedError(f"该诉求已办结，不能{zh} / the request is closed: it cannot be "
                              f"{en}")


def escalate(request: Request, at: dt.datetime, by: str, note: str,
             calendar: WorkdayCalendar, *, days: int = DAYS) -> tuple[Request, Step]:
    """Hand it to the next level, which gets its own ``days`` working days from today (it
    starts work today, and the old deadline may already have passed)."""
    _check_open(request, "escalated", "上报")
    if request.level is Level.COUNTY:
        raise UnresolvedError("已在县级处理，不能再上报 / the county is the last level")
    if not note.strip():
        raise UnresolvedError("请说明上报原因 / say why it goes up")
    level = _ORDER[_ORDER.index(request.level) + 1]
    step = Step("escalated", at, by, level.value, note)
    return dataclasses.replace(request, level=level,
                               deadline=calendar.add_working_days(at.date(), days),
                               history=(*request.history, step)), step


def close(request: Request, outcome: Outcome, at: dt.datetime, by: str,
          note: str) -> tuple[Request, Step]:
    """Close with its outcome; ``note`` is the answer given (for ``referred``: to whom)."""
    _check_open(request, "closed", "办结")
    if not note.strip():
        raise UnresolvedError("请填写办理结果说明 / say what the citizen was told")
    step = Step(f"closed_{outcome.value}", at, by, Stage.CLOSED.value, note)
    return dataclasses.replace(request, stage=Stage.CLOSED, outcome=outcome,
                               history=(*request.history, step)), step


def overdue(request: Request, today: dt.date) -> bool:
    return request.stage is Stage.OPEN and today > request.deadline


def manager_order(requests: Iterable[Request], today: dt.date) -> list[Request]:
    """The manager's list: open and overdue first (longest overdue first), then open by
    deadline, then the closed ones, most recent deadline first."""
    def key(r: Request) -> tuple[int, int]:
        if r.stage is Stage.CLOSED:
            return (2, -r.deadline.toordinal())
        return (0 if overdue(r, today) else 1, r.deadline.toordinal())
    return sorted(requests, key=key)


def store_fields(request: Request) -> dict[str, Any]:
    """The columns of ``add_request`` / ``move_request`` (the requester aside)."""
    return {"what": request.what, "why": request.why, "item_code": request.item_code,
            "window": request.window, "clerk": request.clerk,
            "escalation": request.level.value, "stage": request.stage.value,
            "deadline": request.deadline.isoformat(),
            "outcome": request.outcome.value if request.outcome else None}


def request_from_store(row: Mapping[str, Any]) -> Request:
    """Rebuild from an ``unresolved_requests`` row (``history`` as decoded JSON)."""
    history = tuple(Step.from_entry(e) for e in row["history"])
    opened = dt.date.fromisoformat(str(row["created_at"])[:10])
    return Request(what=row["what"], why=row["why"], opened_on=opened,
                   deadline=dt.date.fromisoformat(str(row["deadline"])),
                   level=Level(row["escalation"]), stage=Stage(row["stage"]),
                   outcome=Outcome(row["outcome"]) if row.get("outcome") else None,
                   item_code=row.get("item_code"), window=row.get("window"),
                   clerk=row.get("clerk"), request_id=row.get("id"), history=history)
