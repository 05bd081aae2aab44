"""Clerk accounts in a real store: only argon2id hashes, the lock-out counters, the audit
entries, and no secret anywhere in the store file."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time

import pytest
from argon2 import PasswordHasher

from kiosk.domain.clerks import LockPolicy
from offline_store import clerks
from offline_store.clock import FixedClock
from offline_store.site import Site

SECRET = "493817"
POLICY = LockPolicy()


def add(site: Site, clerk_id: str = "zhang01", secret: str = SECRET,
        manager: bool = False) -> dict[str, object]:
    with site.store.write() as conn:
        return clerks.add(conn, site.clock, clerk_id=clerk_id, name="张芳",
                          secret=clerks.hash_secret(secret), manager=manager,
                          actor="technician")


def login(site: Site, secret: str, clerk_id: str = "zhang01") -> clerks.Login:
    return clerks.verify(site.store, site.clock, clerk_id, secret, POLICY, actor="counter",
                         where="window 3")


def audit_rows(site: Site) -> list[dict[str, object]]:
    return site.store.query("SELECT actor, action, subject, detail FROM audit_log"
                            " WHERE action LIKE 'clerk.%' ORDER BY seq")


def test_only_an_argon2id_hash_is_kept_and_never_listed(site: Site) -> None:
    made = add(site, manager=True)
    assert "secret_hash" not in made and made["manager"] is True
    row = site.store.query("SELECT secret_hash FROM clerks")[0]
    # RFC 9106 second recommended option: argon2id, 64 MiB, t=3, 4 lanes
    assert row["secret_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert [set(c) for c in clerks.clerks(site.store)] == [{
        "id", "name", "manager", "failed_logins", "locked_until", "created_at", "updated_at",
        "disabled_at"}]
    assert login(site, SECRET).outcome == "ok"
    site.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in site.data_dir.rglob("store.sqlite*"))
    assert b"SQLite format 3" in raw and SECRET.encode() not in raw
    assert all(SECRET not in json.dumps(r, ensure_ascii=False) for r in audit_rows(site))
    assert repr(clerks.hash_secret(SECRET)) == "Hashed(…)"


def test_five_wrong_secrets_lock_and_the_right_one_waits(site: Site,
                                                         clock: FixedClock) -> None:
    add(site)
    outcomes = [login(site, "000111222").outcome for _ in range(5)]
    assert outcomes == ["wrong"] * 4 + ["locked"]
    locked = clerks.clerks(site.store)[0]
    assert locked["failed_logins"] == 5
    assert locked["locked_until"] == "2026-11-24T02:15:00.000Z"
    # locked: even the right secret is refused, and the attempt does not count
    refused = login(site, SECRET)
    assert refused.outcome == "locked"
    assert refused.locked_until == dt.datetime(2026, 11, 24, 2, 15, tzinfo=dt.UTC)
    assert clerks.clerks(site.store)[0]["failed_logins"] == 5
    clock.advance(minutes=15)
    signed_in = login(site, SECRET)
    assert signed_in.outcome == "ok" and signed_in.clerk is not None
    assert signed_in.clerk["failed_logins"] == 0 and signed_in.clerk["locked_until"] is None
    reasons = [(r["action"], json.loads(str(r["detail"])).get("reason"))
               for r in audit_rows(site)]
    assert reasons == [("clerk.added", None), *[("clerk.login_failed", "wrong")] * 5,
                       ("clerk.login_failed", "locked"), ("clerk.login", None)]


def test_the_second_lockout_lasts_twice_as_long(site: Site, clock: FixedClock) -> None:
    add(site)
    for _ in range(5):
        login(site, "000111222")
    clock.advance(minutes=15)
    for _ in range(5):
        last = login(site, "000111222")
    assert last.locked_until == clock.now() + dt.timedelta(minutes=30)


def test_unknown_and_disabled_accounts_are_just_wrong(site: Site) -> None:
    add(site)
    with site.store.write() as conn:
        assert clerks.disable(conn, site.clock, "zhang01", actor="manager")["disabled_at"]
    assert login(site, SECRET).outcome == "wrong"
    assert login(site, SECRET, clerk_id="nobody").outcome == "wrong"
    failed = audit_rows(site)[-2:]
    assert [(r["subject"], json.loads(str(r["detail"]))["reason"]) for r in failed] == [
        ("zhang01", "disabled"), ("?", "unknown")]  # a typed unknown id is not kept
    for _ in range(6):  # never counted: nothing to lock
        assert login(site, "000111222", clerk_id="nobody").outcome == "wrong"


def test_a_refusal_takes_as_long_for_an_unknown_id_as_for_a_wrong_secret(site: Site) -> None:
    add(site)
    stored = clerks.secret_hash_of(site.store, "zhang01")
    clerks.check(None, "warm-up-the-dummy")

    def timed(secret_hash: str | None) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            clerks.check(secret_hash, "000111222")
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    known, unknown = timed(stored), timed(None)
    assert 0.6 < unknown / known < 1.6, (known, unknown)


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(site: Site) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with site.store.write() as conn:
        clerks.add(conn, site.clock, clerk_id="li", name="李", manager=False,
                   secret=clerks.hash_secret(SECRET, weak), actor="technician")
    assert "m=8192" in str(clerks.secret_hash_of(site.store, "li"))
    assert login(site, SECRET, clerk_id="li").outcome == "ok"
    assert "m=65536,t=3,p=4" in str(clerks.secret_hash_of(site.store, "li"))
    assert json.loads(str(audit_rows(site)[-1]["detail"]))["rehashed"] is True
    assert login(site, SECRET, clerk_id="li").outcome == "ok"


def test_reset_lifts_a_lockout_and_ids_are_never_reused(site: Site) -> None:
    add(site)
    for _ in range(5):
        login(site, "000111222")
    with site.store.write() as conn:
        clerks.reset_secret(conn, site.clock, "zhang01", clerks.hash_secret("582914"),
                            actor="manager")
    assert login(site, SECRET).outcome == "wrong"  # the old secret is gone
    assert login(site, "582914").outcome == "ok"
    with site.store.write() as conn:
        clerks.disable(conn, site.clock, "zhang01", actor="manager")
    with pytest.raises(clerks.ClerkExists):
        add(site)
    with pytest.raises(clerks.NoSuchClerk), site.store.write() as conn:
        clerks.reset_secret(conn, site.clock, "nobody", clerks.hash_secret("582914"),
                            actor="manager")
    actions = [r["action"] for r in audit_rows(site)]
    assert actions.count("clerk.secret_reset") == 1 and actions.count("clerk.disabled") == 1
