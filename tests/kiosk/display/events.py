"""Frames as the station contract of issue 6 writes them (/tmp/station_contract.md, "Event
stream"), for the Qt-free model tests and the screen tests. ``recorded_frames.json`` holds
frames recorded from the real station (test_end_to_end.py writes a fresh copy to
tests/artifacts/display/ each run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).with_name("recorded_frames.json")

CATEGORIES = {
    "A": ("综合受理", "General services"),
    "B": ("社保医保", "Social and medical insurance"),
    "C": ("民政残联", "Civil affairs and disability"),
    "D": ("农业农村", "Agriculture and rural affairs"),
}
WINDOW_NAMES = {"1": "综合窗口", "2": "综合窗口", "3": "社保医保", "4": "民政残联",
                "5": "农业农村", "6": "帮办代办", "7": "临时窗口"}


def category(prefix: str, waiting: int = 0, wait_s: float | None = None,
             open_now: bool = True) -> dict[str, Any]:
    name, name_en = CATEGORIES[prefix]
    return {"prefix": prefix, "name": name, "name_en": name_en, "waiting": waiting,
            "estimated_wait_s": wait_s, "issued": waiting, "open_now": open_now}


def window(number: str, current: str | None = None, state: str = "open",
           status: str = "called") -> dict[str, Any]:
    return {"number": number, "name": WINDOW_NAMES.get(number, f"{number}号窗口"),
            "state": state, "temporary": number == "7", "categories": {"A": 1},
            "current": {"number": current, "status": status} if current else None}


def call(number: str, window_number: str, at: str, recall: bool = False) -> dict[str, Any]:
    return {"number": number, "window": window_number, "at": at, "recall": recall,
            "text": f"请{number}号到{window_number}号窗口办理"}


def status(*, calls: list[dict[str, Any]] | None = None,
           categories: list[dict[str, Any]] | None = None,
           windows: list[dict[str, Any]] | None = None, at: str = "2026-11-24T02:00:00Z",
           notice: str = "请取号后留意叫号，过号请到咨询台。Please watch for your number."
           ) -> dict[str, Any]:
    return {
        "service_day": "2026-11-24", "at": at,
        "site": {"code": "DEMO-0001", "name": "演示镇便民服务中心"},
        "categories": categories if categories is not None else [
            category("A", 3, 600.0), category("B", 1, 61.0), category("C", 0, None),
            category("D", 0, 0.0)],
        "windows": windows if windows is not None else [
            window(n) for n in ("1", "2", "3", "4", "5", "6")] + [window("7", state="closed")],
        "recent_calls": calls or [], "advice": [], "notice": notice,
    }


def hello(seq: int = 0, **kwargs: Any) -> dict[str, Any]:
    return {"type": "hello", "seq": seq, "at": kwargs.get("at", "2026-11-24T02:00:00Z"),
            "status": status(**kwargs)}


def called(seq: int, number: str, window_number: str, at: str, *, recall: bool = False,
           waiting: dict[str, int] | None = None) -> dict[str, Any]:
    waiting = waiting or {}
    return {
        "type": "ticket.called", "seq": seq, "at": at,
        "ticket": {"id": f"01J{seq:023d}", "number": number, "category": number[0],
                   "status": "called", "window": window_number, "priority": 0,
                   "reasons": [], "issued_at": at, "called_at": at, "calls": 2 if recall else 1,
                   "outcome": None, "ahead": 0, "estimated_wait_s": None},
        "call": call(number, window_number, at, recall),
        "categories": [category(p, n, 300.0 * n) for p, n in waiting.items()],
        "windows": [window(window_number, number)],
    }


def recorded() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The frames the real station sent in one session, through a restart, and its status
    at the end (see test_end_to_end.py)."""
    recording = json.loads(RECORDED.read_text("utf-8"))
    return recording["frames"], recording["status"]
