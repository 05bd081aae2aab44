"""``POST /v1/ops``: each op applied once with its effect, replays answered ``duplicate``,
refusals ``rejected`` with a code, ops waiting for pages ``deferred`` with the later ops of
their record, official case numbers, reconciliation and heartbeats."""

from __future__ import annotations

import gzip
import hashlib
import json

from sync.hub.server import RunningHub
from sync.protocol.messages import OpsAnswer, Reconciliation, reconcile_hash

from .support import JumpClock, Site, case_accepted, case_step, enrolled, op


def test_ops_are_applied_once_and_a_replay_is_a_duplicate_with_the_same_ref(
        site: Site, hub: RunningHub) -> None:
    batch = [case_accepted("c1"), op("ticket", "t1", "issued", {
        "number": "A001", "category": "A", "service_day": "2026-11-24", "channel": "kiosk",
        "priority": 0, "issued_at": "2026-11-24T01:00:00.000Z", "clock_synced": True})]
    first = site.push(batch, batch_id="b1")
    assert first.status_code == 200
    answer = OpsAnswer.model_validate(first.json())
    assert [r.status for r in answer.results] == ["applied", "applied"]
    number = answer.results[0].server_ref
    assert number == "BM20261124000001" and answer.results[1].server_ref is None
    assert answer.hub_time == "2026-11-24T02:00:00.000Z"
    # the answer was lost: the daemon sends the same batch again
    again = site.results(batch)
    assert [(r["status"], r.get("server_ref")) for r in again] == [
        ("duplicate", number), ("duplicate", None)]
    assert hub.admin.stats()["ops"] == 2 and hub.admin.stats()["cases"] == 1
    case = hub.admin.case("S01", "c1")
    assert case["official_no"] == number and case["site_status"] == "accepted"
    assert case["payload"]["applicant"]["name"] == "张三"  # kept for the county's staff


def test_official_numbers_are_unique_increasing_and_start_again_each_day(
        site: Site, hub: RunningHub, hub_clock: JumpClock) -> None:
    results = site.results([case_accepted(f"c{i}") for i in range(5)])
    numbers = [r["server_ref"] for r in results]
    assert numbers == [f"BM20261124{n:06d}" for n in range(1, 6)]
    hub_clock.jump(14 * 3600)  # 16:00 UTC is midnight in Beijing: a new day
    assert site.results([case_accepted("c9")])[0]["server_ref"] == "BM20261125000001"
    # other sites share the county's counter
    other = enrolled(hub, "S02", hub_clock)
    assert other.results([case_accepted("c1")])[0]["server_ref"] == "BM20261125000002"


def test_the_later_ops_of_a_case_move_it_and_answer_its_number(site: Site,
                                                               hub: RunningHub) -> None:
    page = b"\xff\xd8 a page \xff\xd9"
    sha = site.upload(page)
    accepted = case_accepted("c1")
    supplied = case_step("c1", "material_supplied", "accepted_rongque")
    supplied["payload"]["material"] = {"code": "M2", "state": "captured", "detail": None,
                                       "pages": [sha]}
    supplied["blobs"] = [sha]
    done = case_step("c1", "done", "done")
    results = site.results([accepted, supplied, done])
    assert [r["status"] for r in results] == ["applied"] * 3
    assert {r["server_ref"] for r in results} == {results[0]["server_ref"]}
    case = hub.admin.case("S01", "c1")
    assert case["site_status"] == "done"
    assert [h["kind"] for h in case["history"]] == ["accepted", "material_supplied", "done"]
    assert case["pages"] == [{"material_code": "M2", "page_no": 1, "sha256": sha,
                              "lost": False}]
    assert {m["code"]: m["pages"] for m in case["payload"]["materials"]} == {
        "M1": [], "M2": [sha]}


def test_refusals_have_codes_and_do_not_stop_the_batch(site: Site, hub: RunningHub) -> None:
    bad = case_accepted("c2")
    del bad["payload"]["applicant"]
    results = site.results([
        op("spaceship", "x1", "launched", {}),
        case_step("nope", "done", "done"),
        bad,
        op("rating", "r1", "rated", {"level": "very good", "channel": "terminal",
                                     "rated_at": "2026-11-24T02:00:00Z"}),
        op("audit", "2026-11-23", "summary", {"day": "2026-11-23", "counts": {"x": 1}}),
    ])
    assert [(r["status"], r.get("code")) for r in results] == [
        ("rejected", "unknown_op"), ("rejected", "unknown_case"),
        ("rejected", "invalid_payload"), ("rejected", "invalid_payload"), ("applied", None)]
    assert all(" / " in r["message"] for r in results[:4])
    assert "applicant" in results[2]["message"]
    # a refusal names the field, never the value (payloads carry personal data)
    assert "very good" not in results[3]["message"]
    assert {(r["op_id"], r["code"]) for r in hub.admin.rejections("S01")} == {
        (r["op_id"], r["code"]) for r in results[:4]}
    # nothing of a rejected op was kept: it is not a duplicate when it comes again
    assert site.results([bad])[0]["status"] == "rejected"
    assert hub.admin.stats()["ops"] == 1


def test_an_op_whose_pages_are_missing_is_deferred_with_the_later_ops_of_its_record(
        site: Site, hub: RunningHub) -> None:
    page = b"page one"
    sha = hashlib.sha256(page).hexdigest()
    lost = "e" * 64
    waiting = case_accepted("c1", pages=[sha])
    then = case_step("c1", "done", "done")
    other = case_accepted("c2")
    damaged = case_accepted("c3", pages=[lost], blobs_lost=[lost])
    results = site.results([waiting, then, other, damaged])
    assert [(r["status"], r.get("code")) for r in results] == [
        ("deferred", "blob_missing"), ("deferred", "earlier_deferred"), ("applied", None),
        ("applied", None)]
    assert results[0]["missing"] == [sha] and results[1]["missing"] == []
    # the site's disk lost a page: the case is recorded with it missing
    assert hub.admin.case("S01", "c3")["pages"][0]["lost"] is True
    assert hub.admin.case("S01", "c3")["blobs_lost"] == [lost]
    # a half-uploaded page still holds the op back
    created = site.create_blob(page)
    site.patch_blob(created.headers["Location"], page[:3], 0)
    assert site.results([waiting])[0]["status"] == "deferred"
    site.patch_blob(created.headers["Location"], page[3:], 3)
    results = site.results([waiting, then])
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[0]["server_ref"] == "BM20261124000003"


def test_ops_of_every_entity_have_their_effect(site: Site, hub: RunningHub) -> None:
    results = site.results([
        op("ticket", "t1", "issued", {"number": "A001", "category": "A",
                                      "service_day": "2026-11-24", "channel": "kiosk",
                                      "priority": 0, "issued_at": "2026-11-24T01:00:00Z"}),
        op("ticket", "t1", "ended", {"number": "A001", "category": "A", "queue_category": "A",
                                     "service_day": "2026-11-24", "window": "2",
                                     "outcome": "served", "issued_at": "2026-11-24T01:00:00Z",
                                     "first_called_at": None, "started_at": None,
                                     "ended_at": "2026-11-24T01:20:00Z", "served_s": 300,
                                     "priority": 0, "reasons": ""}),
        op("rating", "r1", "rated", {"level": 1, "dimensions": {"attitude": 1},
                                     "reasons": ["slow"], "private": {"phone": "13800000000"},
                                     "case_id": None, "ticket_id": "t1", "window": "2",
                                     "clerk": "zhang01", "channel": "terminal", "named": True,
                                     "rated_at": "2026-11-24T01:21:00Z",
                                     "rectification_id": "k1"}),
        op("rating", "r2", "rated", {"level": 5, "channel": "terminal",
                                     "rated_at": "2026-11-24T01:22:00Z"}),
        op("rectification", "k1", "moved", {"stage": "verify", "status": "open",
                                            "entry": {"kind": "called_back", "by": "m1"},
                                            "at": "2026-11-24T02:00:00Z"}),
        op("rectification", "k9", "moved", {"stage": "verify", "status": "open",
                                            "entry": {}}),
        op("unresolved", "u1", "opened", {"requester": {"name": "李四"}, "what": "证明",
                                          "why": "系统不通", "escalation": "township",
                                          "stage": "open", "deadline": "2026-11-27",
                                          "at": "2026-11-24T01:30:00Z"}),
        op("unresolved", "u1", "moved", {"stage": "answered", "escalation": "county",
                                         "outcome": "solved", "entry": {"kind": "answered"},
                                         "at": "2026-11-24T03:00:00Z"}),
        op("audit", "2026-11-23", "summary", {"day": "2026-11-23", "counts": {"case.accept": 2}}),
        op("audit", "2026-11-23b", "summary", {"day": "2026-11-23", "counts": {"case.accept": 3}}),
    ])
    assert [r["status"] for r in results] == ["applied"] * 5 + ["rejected"] + ["applied"] * 4
    assert results[5]["code"] == "unknown_rectification"
    overview = hub.admin.ratings_overview()["S01"]
    assert overview == {"ratings": 2, "by_level": {"1": 1, "5": 1}, "mean_level": 3.0,
                        "open_rectifications": 1}
    task = hub.admin.rectifications(site="S01")[0]
    assert task["id"] == "k1" and task["stage"] == "verify" and task["level"] == 1
    assert task["history"][0]["kind"] == "called_back"
    assert hub.admin.unresolved(site="S01") == []  # it has its outcome
    closed = hub.admin.unresolved(site="S01", open_only=False)[0]
    assert closed["outcome"] == "solved" and closed["escalation"] == "county"
    assert "requester" not in closed
    with hub.hub.db.read() as conn:
        visit = conn.exec_driver_sql(
            "SELECT number, outcome, served_s, channel FROM visits").one()
        counts = conn.exec_driver_sql("SELECT counts FROM audit_summaries").scalar_one()
    assert tuple(visit) == ("A001", "served", 300, "kiosk")
    assert json.loads(counts) == {"case.accept": 3}  # a later summary of the day replaces


def test_a_gzip_batch_is_read_and_a_case_accepted_twice_is_refused(site: Site) -> None:
    first = case_accepted("c1")
    second = case_accepted("c1")  # the same case under another op_id
    body = gzip.compress(json.dumps({"batch_id": "b", "ops": [first, second]}).encode())
    answer = site.request("POST", "/v1/ops", body=body, headers={
        "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert answer.status_code == 200, answer.text
    assert [(r["status"], r.get("code")) for r in answer.json()["results"]] == [
        ("applied", None), ("rejected", "case_exists")]


def test_reconciliation_counts_and_hashes_the_held_ops_in_a_seq_range(
        site: Site, hub: RunningHub) -> None:
    ops = [op("audit", f"d{i}", "summary", {"day": f"2026-11-{i:02d}", "counts": {}})
           for i in range(1, 6)]
    for i, item in enumerate(ops):
        item["seq"] = 10 + i
    site.results(ops)
    answer = site.request("GET", "/v1/reconcile", params={"from_seq": 11, "to_seq": 13})
    assert answer.status_code == 200
    got = Reconciliation.model_validate(answer.json())
    wanted = sorted(o["op_id"] for o in ops[1:4])
    assert got.ops == 3
    assert got.hash == hashlib.sha256("".join(f"{i}\n" for i in wanted).encode()).hexdigest()
    everything = hub.admin.records("S01")
    assert everything == {"ops": sorted(o["op_id"] for o in ops),
                          "hash": reconcile_hash(o["op_id"] for o in ops)}
    empty = site.request("GET", "/v1/reconcile", params={"from_seq": 99}).json()
    assert empty == {"ops": 0, "hash": hashlib.sha256(b"").hexdigest()}


def test_a_heartbeat_records_version_backlog_and_health(site: Site, hub: RunningHub,
                                                        hub_clock: JumpClock) -> None:
    hub_clock.jump(60)
    answer = site.post_json("/v1/heartbeat", {
        "version": "0.1.1", "status": {"acked_total": 10, "outbox_pending": 7,
                                       "last_error": None},
        "health": {"free_disk_bytes": 10**9, "integrity": "ok", "blobs_missing": 0,
                   "blobs_corrupt": 0}})
    assert answer.status_code == 200 and answer.json() == {"hub_time": "2026-11-24T02:01:00.000Z"}
    [row] = hub.admin.sites()
    assert row["site"] == "S01" and row["version"] == "0.1.1" and row["backlog"] == 7
    assert row["health"]["integrity"] == "ok" and row["heartbeat_at"] == row["last_seen"]
    wrong = site.post_json("/v1/heartbeat", {"version": "0.1.1", "status": "fine"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid"

