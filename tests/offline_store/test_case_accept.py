"""A case accepted at a window, written inside the caller's transaction (migration 8's
columns): it commits or rolls back with everything else the request wrote, its pages are
sealed under the case's key and fetched one at a time, and it reads back for a reprint."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from offline_store import audit, cases
from offline_store.site import Site

APPLICANT = {"name": "欧阳娜娜", "id_number": "11010519491231002X", "phone": "",
             "from_card": True}
DAY = dt.date(2026, 11, 24)


def step(status: str) -> dict[str, str]:
    return {"kind": status, "at": "2026-11-24T10:00:00+08:00", "by": "zhang01", "to": status,
            "note": ""}


def accept(conn, site: Site, materials: list[cases.MaterialRecord], **more) -> dict:
    fields = {"site_code": "T0001", "local_day": DAY, "applicant": APPLICANT,
              "item_codes": ["SMP-SHBZ-005"], "catalogue_version": "v1",
              "materials": materials, "status": "accepted_rongque",
              "first_step": step("accepted_rongque"), "window": "3", "clerk": "zhang01",
              "mode": "agent", "receipt": {"items": [{"code": "SMP-SHBZ-005",
                                                      "name": "社会保障卡申领"}]}}
    return cases.accept_case(conn, site, **{**fields, **more})


def test_a_case_commits_with_the_request_and_reads_back(site: Site) -> None:
    front, back = os.urandom(900), os.urandom(700)
    loaded: list[int] = []

    def page(data: bytes) -> cases.Page:
        def load() -> bytes:
            loaded.append(len(data))
            return data
        return cases.Page(load, "image/png")

    with site.store.write() as conn:
        made = accept(conn, site, [
            cases.MaterialRecord("M001", "captured", [page(front), page(back)],
                                 {"pages": 2}),
            cases.MaterialRecord("M007", "deferred", [], {"commitment_signed": True},
                                 "2026-11-27")])
        audit.record(conn, site.clock, actor="counter@x", action="case.accepted",
                     subject=made["id"])
    assert loaded == [900, 700]  # fetched as they were sealed, one at a time
    row = site.store.query("SELECT status, window, clerk, mode, accepted_day, history,"
                           " receipt FROM cases WHERE id = ?", [made["id"]])[0]
    assert (row["status"], row["window"], row["clerk"], row["mode"]) == (
        "accepted_rongque", "3", "zhang01", "agent")
    assert row["accepted_day"] == "2026-11-24"
    assert json.loads(row["history"])[0]["kind"] == "accepted_rongque"
    media = {r["media_type"] for r in site.store.query("SELECT media_type FROM blobs")}
    assert media == {"image/png"}
    assert made["receipt_no"] == "T0001-20261124-0001"

    opened = cases.read_case(site, made["id"])
    assert opened["pages"]["M001"] == [front, back]
    kept = cases.kept(site, made["id"])
    assert kept is not None and kept["applicant"] == APPLICANT and kept["agent"] is None
    assert kept["receipt"]["items"][0]["name"] == "社会保障卡申领"
    assert [c["id"] for c in cases.of_day(site, DAY)] == [made["id"]]
    assert cases.of_day(site, DAY + dt.timedelta(days=1)) == []
    assert cases.kept(site, "nope") is None


def test_a_request_that_fails_later_leaves_no_case(site: Site) -> None:
    with pytest.raises(RuntimeError), site.store.write() as conn:
        made = accept(conn, site, [cases.MaterialRecord("M001", "captured", [b"page"])])
        raise RuntimeError(f"the request failed after {made['id']}")
    assert site.store.query("SELECT count(*) AS n FROM cases")[0]["n"] == 0
    assert site.store.query("SELECT count(*) AS n FROM outbox")[0]["n"] == 0
    # the page file it wrote is an orphan for the sweep, never a row without its file
    assert len(list(site.blobs.files())) == 1
    assert site.store.query("SELECT count(*) AS n FROM blobs")[0]["n"] == 0


def test_a_page_that_cannot_be_fetched_rolls_the_case_back(site: Site) -> None:
    def gone() -> bytes:
        raise LookupError("swept")

    with pytest.raises(LookupError), site.store.write() as conn:
        accept(conn, site, [cases.MaterialRecord("M001", "captured", [cases.Page(gone)])])
    assert site.store.query("SELECT count(*) AS n FROM cases")[0]["n"] == 0


@pytest.mark.parametrize("wrong", [{"status": "done"}, {"mode": "kiosk"}])
def test_only_an_accepted_status_and_a_known_mode(site: Site, wrong: dict) -> None:
    with pytest.raises(ValueError), site.store.write() as conn:
        accept(conn, site, [], **wrong)


def test_add_case_fills_the_new_columns_too(site: Site) -> None:
    made = cases.add_case(site, site_code="T0001", local_day=DAY, applicant=APPLICANT,
                          item_codes=["SMP-SHBZ-005"], catalogue_version="v1",
                          materials=[cases.MaterialRecord("M001", "captured", [b"p"])])
    kept = cases.kept(site, made["id"])
    assert kept is not None
    assert (kept["status"], kept["mode"], kept["accepted_day"], kept["window"]) == (
        "accepted", "counter", "2026-11-24", None)
