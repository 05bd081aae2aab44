"""The fault suite's rig: a real hub on loopback, our fault proxy in front of it, a site
enrolled through the proxy, a day's worth of records, and the one check every fault run ends
with: the hub holds exactly what the site confirmed (issue 8, ../shared/research/sync.md §8-9).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from offline_store import cases, tickets
from offline_store.clock import FixedClock
from offline_store.ratings import add_rating
from offline_store.site import Site
from sync.daemon import Daemon, SyncSettings
from sync.hub import blobs as hub_blobs
from sync.hub import schema
from sync.hub.server import RunningHub
from sync.protocol.messages import reconcile_hash
from tests.support.faultproxy import FaultProxy

SITE = "S01"
PERSON = {"name": "王桂兰", "id_number": "110105194912310021", "phone": "13800138000"}
CHUNK_KIB = 32


class HubClock:
    """The hub's clock follows the site's test clock, plus a skew a test may set."""

    def __init__(self, site_clock: FixedClock):
        self.site_clock = site_clock
        self.skew = 0.0

    def __call__(self) -> float:
        return self.site_clock.now().timestamp() + self.skew


@dataclass
class Rig:
    site: Site
    clock: FixedClock
    hub: RunningHub
    proxy: FaultProxy
    settings: SyncSettings
    rng: random.Random = field(default_factory=lambda: random.Random(8))
    pages: list[bytes] = field(default_factory=list)
    delivered_before: set[str] = field(default_factory=set)
    """Ops the site acknowledged and may since have forgotten (acked ops are pruned after
    ``outbox_keep_days``): :meth:`remember_delivered` notes them."""

    def remember_delivered(self) -> None:
        self.delivered_before |= {r["op_id"] for r in self.site.store.query(
            "SELECT op_id FROM outbox WHERE state = 'acked'")}

    def daemon(self) -> Daemon:
        return Daemon(self.site, self.settings)

    def record_day(self, *, tickets_n: int = 12, cases_n: int = 3, page_kib: int = 150) -> None:
        """Tickets, cases with pages a few chunks long, ratings: what a morning leaves."""
        day = self.clock.now().date()
        for _ in range(tickets_n):
            tickets.issue(self.site, service_day=day.isoformat(), category="A",
                          channel="kiosk")
        for _ in range(cases_n):
            pages = [os.urandom(page_kib * 1024 + self.rng.randrange(1000)) for _ in range(2)]
            self.pages += pages
            case = cases.add_case(
                self.site, site_code=SITE, local_day=day, applicant=PERSON,
                item_codes=["SMP-001"], catalogue_version="t",
                materials=[cases.MaterialRecord("M1", "captured", pages)])
            with self.site.store.write() as conn:
                add_rating(conn, self.site, level=self.rng.randint(1, 5), channel="counter",
                           case_id=case["id"])

    def undelivered(self) -> int:
        return self.site.store.query(
            "SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'claimed')")[0]["n"]

    def drive(self, daemon: Daemon, cycles: int, *, step_s: float = 16 * 60) -> int:
        """Run cycles until everything is delivered (or ``cycles`` ran), moving the clock past
        any backoff between them; returns the cycles it took."""
        for n in range(1, cycles + 1):
            daemon.run_once()
            if not self.undelivered() and not self.blobs_pending():
                return n
            self.clock.advance(seconds=step_s)
        return cycles

    def blobs_pending(self) -> int:
        return self.site.store.query(
            "SELECT count(*) AS n FROM blobs WHERE state IN ('local', 'uploading')")[0]["n"]


def assert_hub_holds_exactly_what_the_site_confirmed(rig: Rig) -> None:
    """Nothing lost, nothing duplicated, every page whole: counts and a hash over the
    records on both sides."""
    site, admin = rig.site, rig.hub.admin
    states = {r["state"]: r["n"] for r in site.store.query(
        "SELECT state, count(*) AS n FROM outbox GROUP BY state")}
    assert set(states) == {"acked"}, f"not everything delivered: {states}"
    acked = {r["op_id"] for r in site.store.query(
        "SELECT op_id FROM outbox WHERE state = 'acked'")} | rig.delivered_before
    held = admin.records(SITE)
    assert sorted(held["ops"]) == sorted(acked)
    assert held["hash"] == reconcile_hash(acked)
    stats = admin.stats()
    assert stats["sites"][SITE]["ops"] == len(acked)
    local_cases = site.store.query("SELECT id, official_no FROM cases ORDER BY id")
    assert stats["sites"][SITE]["cases"] == len(local_cases)
    for row in local_cases:
        on_hub = admin.case(SITE, row["id"])
        assert row["official_no"] and on_hub["official_no"] == row["official_no"]
    plain = {hashlib.sha256(p).hexdigest(): p for p in rig.pages}
    db = rig.hub.hub.db
    with db.read() as conn:
        final = {r[0] for r in conn.execute(
            sa.select(schema.blobs.c.sha256).where(schema.blobs.c.state == "final"))}
    assert set(plain) <= final
    for sha, page in plain.items():
        assert b"".join(hub_blobs.read_chunks(db, sha)) == page
    for table in (schema.visits, schema.ratings):
        with db.read() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        local = {"visits": "tickets", "ratings": "ratings"}[table.name]
        assert n == site.store.query(f"SELECT count(*) AS n FROM {local}")[0]["n"]


def day_start() -> dt.datetime:
    return dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
