"""What each page shows, made from :class:`~sync.hub.admin.Admin`'s answers: plain rows with the
words already chosen, so the templates only lay them out. Pure: the time and the zone are
handed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from . import deadlines
from .display import (
    BAD_LEVEL,
    COUNTY_STATUS,
    ESCALATION,
    LEVELS,
    MATERIAL_STATE,
    OUTCOME,
    RECTIFICATION_STAGE,
    RECTIFICATION_STATUS,
    SITE_STATUS,
    STEP_KIND,
    ago,
    label,
    local_day,
    local_time,
    parse_time,
    size,
    span,
)
from .queries import Names

STALE_SECONDS = 3600
"""A site not heard from, or holding an op, for longer than this is marked."""
LOW_DISK_BYTES = 2 * 1024**3


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# --- sites ---------------------------------------------------------------------------------


def site_row(site: Mapping[str, Any], now: float, zone: str) -> dict[str, Any]:
    """One line of the sites page, with what needs attention in ``problems``."""
    status = site.get("status") if isinstance(site.get("status"), dict) else {}
    health = site.get("health") if isinstance(site.get("health"), dict) else {}
    seen = parse_time(site.get("last_seen"))
    beat = parse_time(site.get("heartbeat_at"))
    backlog = site.get("backlog")
    oldest = _number(status.get("oldest_pending_age_s"))
    if oldest is not None and beat is not None and backlog:
        oldest += max(0.0, now - beat)  # it has kept ageing since the site said so
    if backlog == 0:
        oldest = None
    problems = []
    if seen is None:
        problems.append("从未联系 / never seen")
    elif now - seen > STALE_SECONDS:
        problems.append("超过 1 小时未联系 / not seen for over an hour")
    if oldest is not None and oldest > STALE_SECONDS:
        problems.append("有记录超过 1 小时未上传 / an op has waited over an hour")
    integrity = health.get("integrity")
    if integrity not in (None, "ok"):
        problems.append("数据库检查未通过 / integrity check failed")
    missing = _number(health.get("blobs_missing")) or 0
    corrupt = _number(health.get("blobs_corrupt")) or 0
    if missing or corrupt:
        problems.append("有扫描件丢失或损坏 / pages missing or corrupt")
    free = health.get("free_disk_bytes")
    if isinstance(free, int) and not isinstance(free, bool) and free < LOW_DISK_BYTES:
        problems.append("磁盘空间不足 / disk nearly full")
    if status.get("key_refused"):
        problems.append("密钥被拒 / key refused: enrol again")
    return {
        "code": site.get("site", ""),
        "seen_ago": ago(seen, now), "seen_at": local_time(seen, zone),
        "backlog": "?" if backlog is None else str(backlog),
        "oldest": "—" if oldest is None else span(oldest),
        "version": site.get("version") or "",
        "free_disk": size(free) if free is not None else "?",
        "integrity": "正常 / ok" if integrity == "ok" else str(integrity or "?")[:120],
        "blobs_missing": int(missing), "blobs_corrupt": int(corrupt),
        "ops": site.get("ops", 0), "cases": site.get("cases", 0), "blobs": site.get("blobs", 0),
        "problems": problems,
    }


def site_rows(sites: Iterable[Mapping[str, Any]], now: float, zone: str,
              ) -> list[dict[str, Any]]:
    """The sites needing attention first, then by code."""
    rows = [site_row(s, now, zone) for s in sites]
    return sorted(rows, key=lambda r: (not r["problems"], r["code"]))


# --- cases ---------------------------------------------------------------------------------


def items_text(codes: Iterable[str], names: Names) -> list[dict[str, str]]:
    return [{"code": code, "name": names.item(code)} for code in codes]


def case_row(case: Mapping[str, Any], applicant: Mapping[str, str], names: Names,
             zone: str) -> dict[str, Any]:
    return {
        "site": case["site"], "case_id": case["case_id"], "official_no": case["official_no"],
        "receipt_no": case["receipt_no"], "items": items_text(case["item_codes"], names),
        "applicant_name": applicant.get("name", ""),
        "applicant_id": applicant.get("id_number", ""),
        "accepted_at": local_time(case["accepted_at"], zone),
        "site_status": label(SITE_STATUS, case["site_status"]),
        "county_status": label(COUNTY_STATUS, case["county_status"]),
        "county_open": case["county_status"] in (None, "in_review"),
        "blobs_lost": bool(case.get("blobs_lost")),
    }


def _person(value: object, *, agent: bool = False) -> dict[str, str] | None:
    """The fields of a person the staff need, as text; None when there is nobody."""
    if not isinstance(value, dict):
        return None
    keys = ("name", "id_number", "phone", *(("relationship",) if agent else ()))
    out = {k: str(value.get(k) or "") for k in keys}
    out["from_card"] = "读卡 / from the ID card" if value.get("from_card") else "手工录入 / typed"
    return out


def _steps(history: object, zone: str) -> list[dict[str, Any]]:
    rows = []
    for step in history if isinstance(history, list) else []:
        if not isinstance(step, dict):
            continue
        result = step.get("result") if isinstance(step.get("result"), dict) else None
        kind = step.get("kind")
        words = (STEP_KIND.get(kind) or (RECTIFICATION_STAGE.get(kind) if kind else None)
                 or label(STEP_KIND, kind))
        rows.append({"kind": words,
                     "at": local_time(step.get("at"), zone), "by": str(step.get("by") or ""),
                     "note": str(step.get("note") or ""), "result": result})
    return rows


def case_view(case: Mapping[str, Any], names: Names, zone: str) -> dict[str, Any]:
    """Everything the case page shows; the applicant in full (for this page only)."""
    payload = case.get("payload") if isinstance(case.get("payload"), dict) else {}
    pages: dict[str, list[dict[str, Any]]] = {}
    for page in case.get("pages", []):
        pages.setdefault(page["material_code"], []).append(
            {"no": page["page_no"], "sha256": page["sha256"], "lost": bool(page["lost"])})
    materials = []
    seen = set()
    for entry in payload.get("materials", []) if isinstance(payload.get("materials"), list) \
            else []:
        if not isinstance(entry, dict):
            continue
        code = str(entry.get("code", ""))
        seen.add(code)
        materials.append({"code": code, "name": names.material(code),
                          "state": label(MATERIAL_STATE, entry.get("state")),
                          "due": str(entry.get("due_date") or ""),
                          "pages": pages.get(code, [])})
    for code, listed in pages.items():  # pages of a material the payload does not list
        if code not in seen:
            materials.append({"code": code, "name": names.material(code), "state": "",
                              "due": "", "pages": listed})
    return {
        **case_row(case, {}, names, zone),
        "bundle": str(case.get("bundle_code") or ""),
        "bundle_name": names.item(str(case.get("bundle_code") or "")),
        "received_at": local_time(case.get("received_at"), zone),
        "promised": str(payload.get("promised_date") or ""),
        "window": str(payload.get("window") or ""), "clerk": str(payload.get("clerk") or ""),
        "mode": str(payload.get("mode") or ""),
        "clock_synced": payload.get("clock_synced") is not False,
        "applicant": _person(payload.get("applicant")),
        "agent": _person(payload.get("agent"), agent=True),
        "materials": materials,
        "history": _steps(case.get("history"), zone),
        "county_history": _steps(case.get("county_history"), zone),
        "results": [{**r, "at": local_time(r.get("at"), zone), "size_text": size(r.get("size"))}
                    for r in case.get("results", [])],
        "final": case["county_status"] in ("done", "returned"),
        "final_zh": {"done": "办结", "returned": "退回"}.get(case["county_status"], ""),
        "final_en": {"done": "finished", "returned": "returned"}.get(case["county_status"], ""),
    }


# --- ratings -------------------------------------------------------------------------------


def level_table(counts: Mapping[str, Mapping[int, int]]) -> list[dict[str, Any]]:
    """Per site: the count at each level (5 down to 1), the total and the bad ones."""
    rows = []
    for site, by_level in counts.items():
        total = sum(by_level.values())
        bad = sum(n for level, n in by_level.items() if level <= BAD_LEVEL)
        rows.append({"site": site, "levels": [by_level.get(level, 0) for level in LEVELS],
                     "total": total, "bad": bad,
                     "bad_share": f"{100 * bad / total:.0f}%" if total else "—"})
    return rows


def rectification_rows(tasks: Iterable[Mapping[str, Any]], now: float, zone: str,
                       ) -> list[dict[str, Any]]:
    """Bad ratings' tasks, the overdue first, then by due day."""
    today = local_day(now, zone)
    rows = []
    for task in tasks:
        due, reckoned = deadlines.deadline(task, zone)
        is_open = task.get("status") == "open"
        left = (due - today).days if due is not None else None
        raw = task.get("history") if isinstance(task.get("history"), list) else []
        history = [{**step, "source": "县级 / county" if entry.get("source") == "county"
                    else "站点 / site"}
                   for step, entry in zip(_steps(raw, zone),
                                          [e for e in raw if isinstance(e, dict)], strict=True)]
        rows.append({
            "site": task["site"], "id": task["id"],
            "level": label(LEVELS, task.get("level")), "window": task.get("window") or "",
            "clerk": task.get("clerk") or "", "rated_at": local_time(task.get("rated_at"), zone),
            "stage": label(RECTIFICATION_STAGE, task.get("stage")),
            "stage_code": task.get("stage") or "verify",
            "status": label(RECTIFICATION_STATUS, task.get("status")),
            "open": is_open, "due": due.isoformat() if due else "", "reckoned": reckoned,
            "overdue": bool(is_open and left is not None and left < 0),
            "left": _days_left(left) if is_open else "",
            "history": history,
        })
    rows.sort(key=lambda r: (not r["overdue"], not r["open"], r["due"] or "9999",
                             r["site"], r["id"]))
    return rows


def _days_left(left: int | None) -> str:
    if left is None:
        return ""
    if left < 0:
        return f"已超期 {-left} 天 / {_days(-left)} overdue"
    if left == 0:
        return "今天到期 / due today"
    return f"还剩 {left} 天 / {_days(left)} left"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


# --- 办不成事 -------------------------------------------------------------------------------


def unresolved_rows(requests: Iterable[Mapping[str, Any]], names: Names, now: float,
                    zone: str) -> list[dict[str, Any]]:
    today = local_day(now, zone)
    rows = []
    for req in requests:
        due = _date(req.get("deadline"))
        is_open = req.get("outcome") is None
        left = (due - today).days if due is not None else None
        rows.append({
            "site": req["site"], "id": req["id"], "what": req.get("what") or "",
            "why": req.get("why") or "", "item_code": req.get("item_code") or "",
            "item_name": names.item(req.get("item_code") or ""),
            "window": req.get("window") or "", "clerk": req.get("clerk") or "",
            "escalation": label(ESCALATION, req.get("escalation")),
            "outcome": label(OUTCOME, req.get("outcome")),
            "opened_at": local_time(req.get("opened_at"), zone),
            "due": due.isoformat() if due else "",
            "overdue": bool(is_open and left is not None and left < 0),
            "left": _days_left(left) if is_open else "",
            "steps": len(req.get("history") or []),
        })
    rows.sort(key=lambda r: (not r["overdue"], r["due"] or "9999", r["site"], r["id"]))
    return rows


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
