"""Two hubs behind a load balancer on one PostgreSQL database: a duplicating proxy (or a
daemon that retried on the other hub) hands both the same batch at the same moment. Each op
is applied exactly once, the other hub answers ``duplicate`` with the same official number,
and the county-wide counter never hands out a number twice."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sync.hub import schema
from sync.hub.server import running_hub

from .support import JumpClock, Site, case_accepted, enrolled, op


def _send(start: threading.Barrier, answers: dict[str, Any], name: str, site: Site,
          ops: list[dict[str, Any]]) -> None:
    start.wait(5)
    answers[name] = site.results(ops)


def test_two_hubs_on_one_database_apply_each_op_of_a_shared_batch_once(
        tmp_path: Path, postgres_url: str) -> None:
    clock = JumpClock()
    with running_hub(tmp_path / "a", database_url=postgres_url, clock=clock) as a, \
            running_hub(tmp_path / "b", database_url=postgres_url, clock=clock) as b:
        at_a = enrolled(a, "S01", clock)
        at_b = Site(b.url, "S01", clock, key=at_a.key, key_id=at_a.key_id)  # same site
        numbers: list[str] = []
        for round_no in range(4):
            batch = [case_accepted(f"r{round_no}c{i}") for i in range(12)]
            batch += [op("ticket", f"r{round_no}t{i}", "issued", {
                "number": f"A{i:03d}", "category": "A", "service_day": "2026-11-24"})
                for i in range(4)]
            # the last round meets the two hubs in opposite orders (without the site's
            # lock, the two would deadlock on each other's uncommitted ops)
            other = batch[::-1] if round_no == 3 else batch
            answers: dict[str, list[dict[str, Any]]] = {}
            start = threading.Barrier(2)
            threads = [threading.Thread(target=_send, args=(start, answers, "a", at_a, batch)),
                       threading.Thread(target=_send, args=(start, answers, "b", at_b, other))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert set(answers) == {"a", "b"}
            by_op: dict[str, list[dict[str, Any]]] = {}
            for result in answers["a"] + answers["b"]:
                by_op.setdefault(result["op_id"], []).append(result)
            assert len(by_op) == len(batch)
            for op_id, pair in by_op.items():
                assert sorted(r["status"] for r in pair) == ["applied", "duplicate"], op_id
                assert pair[0].get("server_ref") == pair[1].get("server_ref")
            numbers += [r["server_ref"] for r in answers["a"] if r["server_ref"]]
        assert len(numbers) == 48 and Counter(numbers).most_common(1)[0][1] == 1
        assert sorted(numbers) == [f"BM20261124{n:06d}" for n in range(1, 49)]
        stats = a.admin.stats()
        assert (stats["ops"], stats["cases"]) == (64, 48)
        assert b.admin.records("S01") == a.admin.records("S01")


def test_the_permanent_key_decides_when_another_writer_holds_the_op_uncommitted(
        tmp_path: Path, postgres_url: str) -> None:
    """The second line of defence under the site lock: a writer that did not take it (an
    older hub, a repair script) has inserted the op and not yet committed. The hub waits on
    the unique key, then answers ``duplicate`` with that writer's ``server_ref``."""
    clock = JumpClock()
    with running_hub(tmp_path / "a", database_url=postgres_url, clock=clock) as a:
        site = enrolled(a, "S01", clock)
        accepted = case_accepted("c1")
        other = a.hub.db.engine.connect()
        other.execute(sa.insert(schema.ops).values(
            site="S01", op_id=accepted["op_id"], seq=1, entity="case", entity_id="c1",
            op="accepted", created_at="2026-11-24T02:00:00Z", clock_synced=True,
            batch_id="elsewhere", received_at=clock(), server_ref="BM20261124999999"))
        answers: list[list[dict[str, Any]]] = []
        sender = threading.Thread(target=lambda: answers.append(site.results([accepted])))
        sender.start()
        sender.join(1.0)
        assert sender.is_alive()  # waiting on the unique key
        other.commit()
        other.close()
        sender.join(30)
        assert answers == [[{"op_id": accepted["op_id"], "status": "duplicate",
                             "server_ref": "BM20261124999999"}]]
        assert a.admin.stats()["cases"] == 0  # the effect was not applied a second time
