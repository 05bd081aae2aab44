"""How the pages say times, sizes and states: Chinese first, English second, times in the
county's zone (``HubSettings.timezone``, Asia/Shanghai). Pure functions; "now" is handed in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SITE_STATUS = {
    "accepted": "已受理 / accepted",
    "accepted_rongque": "容缺受理 / accepted, papers owed",
    "materials_complete": "材料已补齐 / papers complete",
    "done": "已办结 / done",
    "withdrawn": "已撤回 / withdrawn",
}
"""A case's status at the site (kiosk/domain/cases.py, CaseStatus)."""

COUNTY_STATUS = {
    None: "待审核 / not reviewed",
    "in_review": "审核中 / in review",
    "done": "已办结 / done",
    "returned": "已退回 / returned",
}
"""The county's 后台分类审批 (docs/sync-protocol.md, ``case_status``)."""

MATERIAL_STATE = {
    "captured": "已拍摄 / captured",
    "waived": "免提交 / waived",
    "deferred": "容缺后补 / owed",
    "missing": "缺 / missing",
}

STEP_KIND = {
    "accepted": "受理 / accepted",
    "material_supplied": "补交材料 / paper brought",
    "materials_completed": "材料补齐 / papers complete",
    "done": "办结 / done",
    "withdrawn": "撤回 / withdrawn",
    "in_review": "审核 / review",
    "returned": "退回 / returned",
    # a rectification's steps at the site (kiosk/domain/ratings.py)
    "verified": "核实 / verified",
    "appealed": "申诉 / appealed",
    "appeal_upheld": "申诉成立 / appeal upheld",
    "appeal_dismissed": "申诉驳回 / appeal dismissed",
    "rectified": "整改 / rectified",
    "fed_back": "反馈 / fed back",
    "revisited": "回访 / called back",
    "closed": "结束 / closed",
}
"""The kinds of a history's steps; a county step on a rectification is named by its stage."""

LEVELS = {5: "非常满意 / very satisfied", 4: "满意 / satisfied", 3: "基本满意 / fair",
          2: "不满意 / dissatisfied", 1: "非常不满意 / very dissatisfied"}
"""GB/T 39734-2020's five levels (kiosk/domain/ratings.py); 2 and below are 差评."""
BAD_LEVEL = 2

RECTIFICATION_STAGE = {
    None: "待核实 / to verify",
    "verify": "核实 / verify",
    "appeal_review": "申诉复核 / appeal review",
    "rectify": "整改 / rectify",
    "feedback": "反馈 / feed back",
    "revisit": "回访 / call back",
    "done": "已结束 / finished",
}
"""The step a rectification task waits for (kiosk/domain/ratings.py, Stage)."""

RECTIFICATION_STATUS = {
    "open": "进行中 / open",
    "closed": "已整改 / closed",
    "upheld": "申诉成立 / appeal upheld",
}

ESCALATION = {"window": "窗口 / window", "centre": "便民服务中心 / service centre",
              "county": "县级 / county"}
"""Who handles a 办不成事 request now (kiosk/domain/unresolved.py, Level)."""

OUTCOME = {"solved": "已办成 / solved", "explained": "已解释 / explained",
           "referred": "已转办 / referred"}


def label(table: dict[object, str], value: object) -> str:
    """The words for ``value``, or the value itself when the table does not know it (a newer
    site may send a state this hub has no words for yet)."""
    return table.get(value, "" if value is None else str(value))


def parse_time(text: object) -> float | None:
    """Unix seconds of an ISO 8601 time (``Z`` or an offset); None for anything else."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def local_time(moment: float | str | None, zone: str) -> str:
    """``2026-11-24 10:00`` in ``zone``; an empty string for no time."""
    ts = parse_time(moment) if isinstance(moment, str) else moment
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def local_day(ts: float, zone: str) -> dt.date:
    return dt.datetime.fromtimestamp(ts, ZoneInfo(zone)).date()


def span(seconds: float) -> str:
    """A length of time, rounded down to its largest unit: ``3 分钟 / 3 min``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} 秒 / {seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} 分钟 / {seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} 小时 / {seconds // 3600} h"
    days = seconds // 86400
    return f"{days} 天 / {days} days"  # two days at least: one is still in hours


def ago(moment: float | None, now: float) -> str:
    """``3 分钟前 / 3 min ago``; ``从未 / never`` for no time. A time ahead of ``now`` (another
    hub's clock a little ahead) reads as just now."""
    if moment is None:
        return "从未 / never"
    seconds = now - moment
    if seconds < 60:
        return "刚刚 / just now"
    zh, en = span(seconds).split(" / ")
    return f"{zh}前 / {en} ago"


def size(count: object) -> str:
    """Bytes in binary units, one decimal: ``12.3 GB`` (GiB, as ``df -h`` shows them)."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        return "?"
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
