"""好差评: a rating of one visit, and the rectification a bad one opens, as pure rules.

Sources: 国办发〔2019〕51号 (现场服务"一次一评"; a 差评 is 核实、督促整改、反馈, with 申诉复核
to rule out mistaken or malicious ratings) and GB/T 39734-2020 (five levels, the on-site
dimensions, 差评 options nationally versioned), as summarised in research/queue.md §4; the
seeds ask the same: "对'差评'及时进行核实、整改、反馈" (001_7a67a4410f40a542.txt), "乡镇（街道）
民生服务场所要全部配置评价器或评价二维码……力争实现'应评尽评'" (000_88a87b509985b934.txt).
100 % 回访 of 实名差评 and the deadline of 15 working days (Sichuan) or 5 (德州) are local
rules cited there; the deadline is a :class:`Profile`.

A rating maps onto the ``ratings`` row through :func:`store_fields` (the rater and the free
text go to the sealed ``private`` part); a task onto ``rectifications`` (``stage``,
``status``, ``deadline``, ``history`` of :class:`~kiosk.domain.cases.Step` entries).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kiosk.domain.cases import Step
from kiosk.domain.workdays import WorkdayCalendar

LEVELS: Mapping[int, str] = MappingProxyType(
    {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"})
BAD_LEVEL = 2
"""Levels up to this one (不满意, 非常不满意) are 差评 and open a rectification task."""

#: The on-site dimensions (现场评价指标), each rated 1-5 or left out.
DIMENSIONS: Mapping[str, str] = MappingProxyType({
    "overall": "整体满意度", "efficiency": "服务效率", "competence": "服务水平",
    "attitude": "服务态度"})

CHANNELS: Mapping[str, str] = MappingProxyType(
    {"terminal": "评价器", "qr": "评价二维码", "kiosk": "自助终端"})

REASONS_VERSION = "bianmin-2026.1"
"""The version of :data:`REASONS`. A site cannot edit the set: it is a constant here, and a
new set comes with a new version (ratings keep the version they were given under)."""

#: 差评 reasons. GB/T 39734-2020 Annex A fixes the national options; its text was not to hand
#: when this was written (research/queue.md §4), so this set follows the problems the seed
#: notices name (002_1ea5973e6a7859fd.txt: 一次性告知不规范、反复提交材料、收费问题、工作作风)
#: and must be replaced, under a new version, by the Annex A list when the county supplies it.
REASONS: Mapping[str, str] = MappingProxyType({
    "guide_unclear": "办事指南不清楚、不准确",
    "not_told_at_once": "未一次性告知，多次跑动",
    "materials_repeated": "重复提交材料",
    "slow": "办理时间长、超时办结",
    "long_wait": "排队等候时间长",
    "attitude": "服务态度差",
    "unskilled": "工作人员业务不熟练",
    "fees": "收费不合理",
    "facilities": "场所设施不便",
    "other": "其他",
})
_REASON_SETS: Mapping[str, Mapping[str, str]] = MappingProxyType({REASONS_VERSION: REASONS})


class RatingError(ValueError):
    """A rating or a step that does not apply (中文 / English)."""


class AlreadyRated(RatingError):
    """一次一评: this ticket or case has its rating."""


@dataclass(frozen=True)
class Rater:
    """Who rated, when they chose to give it (实名): sealed by the store."""

    name: str
    phone: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class Rating:
    """One rating of one visit. Checked on construction; :class:`RatingError` says what
    is wrong."""

    level: int
    channel: str
    rated_at: dt.datetime
    dimensions: Mapping[str, int] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    reasons_version: str = REASONS_VERSION
    text: str = ""
    rater: Rater | None = None
    case_id: str | None = None
    ticket_id: str | None = None
    window: str | None = None
    clerk: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if isinstance(self.level, bool) or self.level not in LEVELS:
            problems.append(f"评价等级须为 1-5 / level must be 1-5, got {self.level!r}")
        if self.channel not in CHANNELS:
            problems.append(f"未知的评价渠道 / unknown channel {self.channel!r} "
                            f"(one of {', '.join(CHANNELS)})")
        for name, value in self.dimensions.items():
            if name not in DIMENSIONS:
                problems.append(f"未知的评价指标 / unknown dimension {name!r}")
            elif isinstance(value, bool) or value not in LEVELS:
                problems.append(f"{DIMENSIONS[name]}须为 1-5 / {name} must be 1-5, "
                                f"got {value!r}")
        options = _REASON_SETS.get(self.reasons_version)
        if options is None:
            problems.append(f"未知的差评选项版本 / unknown reason set {self.reasons_version!r}")
        else:
            problems += [f"未知的差评选项 / unknown reason {r!r}" for r in self.reasons
                         if r not in options]
        if len(set(self.reasons)) != len(self.reasons):
            problems.append("差评选项重复 / a reason is chosen twice")
        if self.reasons and isinstance(self.level, int) and self.level > BAD_LEVEL:
            problems.append("只有差评才选择差评原因 / reasons go with 不满意 or 非常不满意 only")
        if self.case_id is None and self.ticket_id is None:
            # 一次一评 binds a rating to a visit: without one it could not be checked
            problems.append("评价须关联办件或号票 / a rating needs a case or a ticket")
        if problems:
            raise RatingError("\n".join(problems))

    @property
    def bad(self) -> bool:
        """差评: 不满意 or 非常不满意."""
        return self.level <= BAD_LEVEL

    @property
    def named(self) -> bool:
        """实名: the rater left who they are (then 回访 is owed)."""
        return self.rater is not None


def one_per_visit(existing: Iterable[Rating], new: Rating) -> None:
    """一次一评: refuse ``new`` when one of ``existing`` rated the same ticket or case."""
    for old in existing:
        for what, mine, theirs in (("ticket", new.ticket_id, old.ticket_id),
                                   ("case", new.case_id, old.case_id)):
            if mine is not None and mine == theirs:
                raise AlreadyRated(f"这次办事已经评价过了 / this visit was rated already "
                                   f"({what} {mine})")


def store_fields(rating: Rating) -> dict[str, Any]:
    """The keyword arguments of ``offline_store.ratings.add_rating`` (without the task).

    Reason codes are stored qualified by their version (``bianmin-2026.1:slow``) so that a
    later set never reinterprets an old rating; ``private`` holds the rater and the text.
    """
    private: dict[str, Any] = {}
    if rating.rater is not None:
        private["rater"] = dataclasses.asdict(rating.rater)
    if rating.text:
        private["text"] = rating.text
    return {
        "level": rating.level, "channel": rating.channel,
        "dimensions": dict(rating.dimensions),
        "reasons": [f"{rating.reasons_version}:{r}" for r in rating.reasons],
        "private": private or None,
        "case_id": rating.case_id, "ticket_id": rating.ticket_id,
        "window": rating.window, "clerk": rating.clerk, "named": rating.named,
    }


def split_reason(stored: str) -> tuple[str, str]:
    """``"bianmin-2026.1:slow"`` → ``("bianmin-2026.1", "slow")``."""
    version, _, code = stored.rpartition(":")
    return version, code


# --- rectification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How long a rectification may take, in working days from the rated day."""

    days: int = 15
    name: str = "15"


PROFILE_15 = Profile(15, "15")
"""Default: 15 working days (Sichuan's rule for 不满意 / 非常不满意)."""
PROFILE_5 = Profile(5, "5")
"""5 working days (德州's rule; some 便民中心 follow it)."""


class Stage(enum.StrEnum):
    """The step a task waits for (the ``rectifications.stage`` column)."""

    VERIFY = "verify"
    """核实: is the complaint founded?"""
    APPEAL_REVIEW = "appeal_review"
    """申诉复核: the centre appealed that the rating is mistaken or malicious."""
    RECTIFY = "rectify"
    """整改."""
    FEEDBACK = "feedback"
    """反馈: tell the rater (or publish) what was done."""
    REVISIT = "revisit"
    """回访: ask the 实名 rater whether it is settled."""
    DONE = "done"


class Status(enum.StrEnum):
    """The ``rectifications.status`` column."""

    OPEN = "open"
    CLOSED = "closed"
    """Rectified (and revisited, when the rater is known)."""
    UPHELD = "upheld"
    """The appeal was upheld: the rating was mistaken or malicious and is set aside."""


_STAGE_ZH = {Stage.VERIFY: "核实", Stage.APPEAL_REVIEW: "申诉复核", Stage.RECTIFY: "整改",
             Stage.FEEDBACK: "反馈", Stage.REVISIT: "回访", Stage.DONE: "已结束"}


@dataclass(frozen=True)
class Task:
    """A rectification task of one 差评."""

    rating_id: str
    named: bool
    rated_on: dt.date
    deadline: dt.date
    stage: Stage = Stage.VERIFY
    status: Status = Status.OPEN
    history: tuple[Step, ...] = ()

    @property
    def revisited(self) -> bool:
        return any(step.kind == "revisited" for step in self.history)

    @property
    def appeal(self) -> str | None:
        """None, ``upheld`` or ``dismissed``: read from the history, so the store's columns
        hold everything."""
        for step in reversed(self.history):
            if step.kind in ("appeal_upheld", "appeal_dismissed"):
                return step.kind.removeprefix("appeal_")
        return None


def open_task(rating: Rating, rating_id: str, calendar: WorkdayCalendar,
              profile: Profile = PROFILE_15) -> Task | None:
    """The task a 差评 opens (None for a level above 不满意); deadline = the rated day +
    ``profile.days`` working days."""
    if not rating.bad:
        return None
    day = rating.rated_at.date()
    return Task(rating_id=rating_id, named=rating.named, rated_on=day,
                deadline=calendar.add_working_days(day, profile.days))


def task_fields(task: Task) -> dict[str, str]:
    """The ``rectification`` argument of ``add_rating`` and the columns a step updates."""
    return {"stage": task.stage.value, "status": task.status.value,
            "deadline": task.deadline.isoformat()}


def task_from_store(row: Mapping[str, Any], *, rating_id: str, named: bool,
                    rated_on: dt.date) -> Task:
    """Rebuild a task from its ``rectifications`` row (``stage``, ``status``, ``deadline``,
    ``history`` as decoded JSON)."""
    return Task(rating_id=rating_id, named=named, rated_on=rated_on,
                deadline=dt.date.fromisoformat(str(row["deadline"])),
                stage=Stage(row["stage"]), status=Status(row["status"]),
                history=tuple(Step.from_entry(e) for e in row["history"]))


def overdue(task: Task, today: dt.date) -> bool:
    """Open after its deadline day."""
    return task.status is Status.OPEN and today > task.deadline


def _move(task: Task, allowed: Stage, kind: str, to: Stage, at: dt.datetime, by: str,
          note: str, status: Status = Status.OPEN) -> tuple[Task, Step]:
    if task.stage is not allowed:
        raise RatingError(f"整改任务当前在“{_STAGE_ZH[task.stage]}”，不能{_KIND_ZH[kind]} / the "
                          f"task is at {task.stage}: it cannot be {kind}")
    if not note.strip():
        raise RatingError(f"请填写{_KIND_ZH[kind]}说明 / a note is needed ({kind})")
    step = Step(kind, at, by, to.value, note)
    return dataclasses.replace(task, stage=to, status=status,
                               history=(*task.history, step)), step


_KIND_ZH = {"verified": "核实", "appealed": "申诉", "appeal_upheld": "复核",
            "appeal_dismissed": "复核", "rectified": "整改", "fed_back": "反馈",
            "revisited": "回访", "closed": "结束"}


def verify(task: Task, at: dt.datetime, by: str, note: str) -> tuple[Task, Step]:
    """核实: the complaint is founded; rectify it."""
    return _move(task, Stage.VERIFY, "verified", Stage.RECTIFY, at, by, note)


def appeal(task: Task, at: dt.datetime, by: str, note: str) -> tuple[Task, Step]:
    """申诉: after 核实 finds the rating mistaken or malicious, ask for review (复核)."""
    return _move(task, Stage.VERIFY, "appealed", Stage.APPEAL_REVIEW, at, by, note)


def review_appeal(task: Task, upheld: bool, at: dt.datetime, by: str,
                  note: str) -> tuple[Task, Step]:
    """复核's decision. Upheld: the rating is set aside; a 实名 rater is still called back
    (回访) with the result, an anonymous task ends ``upheld``. Dismissed: the rating stands
    and goes to 整改, the deadline unchanged (an appeal does not buy time)."""
    if not upheld:
        return _move(task, Stage.APPEAL_REVIEW, "appeal_dismissed", Stage.RECTIFY, at, by,
                     note)
    if task.named:
        return _move(task, Stage.APPEAL_REVIEW, "appeal_upheld", Stage.REVISIT, at, by, note)
    return _move(task, Stage.APPEAL_REVIEW, "appeal_upheld", Stage.DONE, at, by, note,
                 Status.UPHELD)


def rectify(task: Task, at: dt.datetime, by: str, note: str) -> tuple[Task, Step]:
    """整改 done; ``note`` says what was done."""
    return _move(task, Stage.RECTIFY, "rectified", Stage.FEEDBACK, at, by, note)


def feed_back(task: Task, at: dt.datetime, by: str, note: str) -> tuple[Task, Step]:
    """反馈 given. A 实名 task then waits for 回访; an anonymous one is closed (nobody to
    call back)."""
    if task.named:
        return _move(task, Stage.FEEDBACK, "fed_back", Stage.REVISIT, at, by, note)
    return _move(task, Stage.FEEDBACK, "fed_back", Stage.DONE, at, by, note, Status.CLOSED)


def revisit(task: Task, at: dt.datetime, by: str, note: str) -> tuple[Task, Step]:
    """回访 made (``note``: what the rater said); the task ends, ``closed`` or, after an
    upheld appeal, ``upheld``. The only way a 实名 task ends."""
    status = Status.UPHELD if task.appeal == "upheld" else Status.CLOSED
    return _move(task, Stage.REVISIT, "revisited", Stage.DONE, at, by, note, status)
