"""`bianmin demo --tour`: the counter's main flow against the simulators and a station on
loopback, checked in the station's store afterwards (issue 7 "A tour that shows it")."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from kiosk.cli import cli
from kiosk.domain.workdays import WorkdayCalendar

KEYS = {"ticket_number", "receipt_number", "case_id", "applicant_name", "applicant_id_number",
        "materials", "rating_level", "rectification_deadline", "data_dir", "screenshots"}


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory, qapp: Any) -> tuple[dict[str, Any], Path]:
    base = tmp_path_factory.mktemp("tour")
    result = CliRunner().invoke(cli, ["demo", "--data-dir", str(base / "site"),
                                      "--tour", str(base / "out")])
    facts = json.loads((base / "out" / "tour.json").read_text("utf-8"))
    assert result.exit_code == 0, (result.output, facts.get("failed"))
    return facts, base


def test_the_tour_says_what_happened(tour: tuple[dict[str, Any], Path]) -> None:
    facts, base = tour
    assert set(facts) >= KEYS
    assert facts["ticket_number"].startswith("A")
    assert facts["receipt_number"].startswith("DEMO-") and facts["case_id"]
    assert facts["applicant_name"] == "王秀英"  # the simulated card resident_elderly
    assert facts["applicant_id_number"] == "11010519491231002X"
    states = {m["name"]: m["state"] for m in facts["materials"]}
    assert [n for n, s in states.items() if s == "captured"] == ["居民身份证", "申请表",
                                                                "出生医学证明"]
    assert [n for n, s in states.items() if s == "deferred"] == ["近期免冠证件照片"]
    assert facts["rating_level"] == 2
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert facts["rectification_deadline"] == \
        WorkdayCalendar().add_working_days(today, 15).isoformat()
    assert Path(facts["data_dir"]) == (base / "site").resolve()
    for name in facts["screenshots"]:
        with Image.open(base / "out" / name) as shot:
            assert shot.size == (1366, 768), name  # everything fits the counter's screen
    assert len(facts["screenshots"]) == 6


def test_the_printed_papers_are_the_receipt_and_the_notice(
        tour: tuple[dict[str, Any], Path]) -> None:
    _, base = tour
    for name in ("receipt", "notice", "commitment"):
        with Image.open(base / "out" / f"{name}.png") as paper:
            assert paper.height > 300, name


def test_the_station_kept_the_case_the_rating_and_its_rectification(
        tour: tuple[dict[str, Any], Path]) -> None:
    facts, base = tour
    conn = sqlite3.connect(base / "site" / "store.sqlite")
    try:
        case = conn.execute("SELECT status, receipt_no, ticket_id FROM cases WHERE id = ?",
                            (facts["case_id"],)).fetchone()
        ticket = conn.execute("SELECT number FROM tickets WHERE id = ?", (case[2],)).fetchone()
        rating = conn.execute("SELECT level, case_id FROM ratings WHERE case_id = ?",
                              (facts["case_id"],)).fetchone()
        task = conn.execute("SELECT deadline FROM rectifications r JOIN ratings g "
                            "ON g.id = r.rating_id WHERE g.case_id = ?",
                            (facts["case_id"],)).fetchone()
        pages = conn.execute("SELECT count(*) FROM case_pages WHERE case_id = ?",
                             (facts["case_id"],)).fetchone()[0]
    finally:
        conn.close()
    assert case[:2] == ("accepted_rongque", facts["receipt_number"])
    assert ticket == (facts["ticket_number"],)
    assert rating[0] == 2 and task == (facts["rectification_deadline"],)
    assert pages == 3


def test_the_raw_store_holds_no_name_number_or_page(tour: tuple[dict[str, Any], Path]) -> None:
    facts, base = tour
    site = base / "site"
    secrets = [facts["applicant_name"].encode(), facts["applicant_id_number"].encode(),
               facts["applicant_name"].encode("utf-16-le")]
    files = [p for p in site.rglob("*") if p.is_file() and p.suffix != ".toml"]
    assert any(p.parent.name != "site" for p in files)  # the blob files are there
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, path
        if "blobs" in path.parts:
            assert b"JFIF" not in data and not data.startswith(b"\xff\xd8"), path


# --- the kiosk's part of the tour (issue 9): played after the counter's, same station -------

ACCESSIBILITY = {"min_touch_mm", "min_contrast", "min_contrast_elderly", "min_font_px",
                 "min_font_px_elderly", "untranslated"}


def test_the_kiosk_tour_meets_its_accessibility_targets(
        tour: tuple[dict[str, Any], Path]) -> None:
    facts, _ = tour
    report = facts["accessibility"]
    assert set(report) >= ACCESSIBILITY
    assert report["min_touch_mm"] >= 15.0
    assert report["min_contrast"] >= 4.5 and report["min_contrast_elderly"] >= 7.0
    assert report["min_font_px"] >= 24 and report["min_font_px_elderly"] >= 32
    assert report["untranslated"] == []


def test_the_kiosk_tour_plays_every_flow_in_four_settings(
        tour: tuple[dict[str, Any], Path]) -> None:
    facts, base = tour
    kiosk = facts["kiosk"]
    settings = ["zh_normal", "zh_elderly", "en_normal", "en_elderly"]
    assert [t["setting"] for t in kiosk["tickets"]] == settings
    assert [t["number"][0] for t in kiosk["tickets"]] == ["A", "B", "C", "D"]
    assert all(t["priority"] for t in kiosk["tickets"])  # the card's holder is over 60
    assert [r["level"] for r in kiosk["ratings"]] == [5, 2, 4, 1]
    assert all(r["cases_seen"] >= 1 for r in kiosk["ratings"])
    shots = kiosk["screenshots"]
    for setting in settings:
        for step in ("home", "ticket_printed", "guide_bundle", "progress_cases",
                     "rating_thanks"):
            assert any(s.endswith(f"{setting}_{step}.png") for s in shots), (setting, step)
    for name in shots:
        with Image.open(base / "out" / name) as shot:
            assert shot.size == (1080, 1920), name
    assert set(kiosk["printed"]) == {f"{kind}_{s}" for kind in ("ticket", "notice")
                                     for s in settings}


def test_the_kiosk_s_ticket_carries_a_code_that_reads_back(
        tour: tuple[dict[str, Any], Path]) -> None:
    import zxingcpp

    _, base = tour
    with Image.open(base / "out" / "ticket_zh_normal.png") as paper:
        found = zxingcpp.read_barcodes(paper.convert("L"))
    assert [r.text[:4] for r in found] == ["BMT:"]


def test_the_kiosk_s_ratings_reached_the_store_as_kiosk_ratings(
        tour: tuple[dict[str, Any], Path]) -> None:
    _, base = tour
    conn = sqlite3.connect(base / "site" / "store.sqlite")
    try:
        rows = conn.execute("SELECT level, channel FROM ratings WHERE channel = 'kiosk'"
                            " ORDER BY rated_at").fetchall()
    finally:
        conn.close()
    assert [level for level, _ in rows] == [5, 2, 4, 1]
