"""The station's queue engine on a real site store, with a clock that moves when told (the
``site`` and ``clock`` fixtures of tests/conftest.py: 10:00 in Shanghai on a Tuesday)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from kiosk.config import SiteConfig, parse_config
from kiosk.station.engine import Answer, QueueEngine, Refused
from kiosk.station.settings import QueueSettings
from offline_store.clock import FixedClock
from offline_store.site import Site

TOKEN = "test-token"
ELDERLY = {"id_number": "110101195003071234", "name": "张三"}  # born 1950
YOUNG = {"id_number": "110101199001011234", "name": "李四"}


class Driver:
    """Runs engine operations the way the station does: one transaction each, with an
    idempotency key."""

    def __init__(self, engine: QueueEngine):
        self.engine = engine
        self.n = 0

    def __call__(self, op: Callable[[sqlite3.Connection], Answer], key: str | None = None,
                 print_: str = "p") -> Any:
        self.n += 1
        return self.engine.run(TOKEN, key or uuid.uuid4().hex, print_, op).body

    def issue(self, category: str = "A", **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("confirm", True)
        return self(lambda c: self.engine.issue(c, category=category, **kwargs))

    def call(self, window: str, number: str | None = None) -> dict[str, Any]:
        return self(lambda c: self.engine.call(c, window, number))

    def at(self, window: str, action: str) -> dict[str, Any]:
        return self(lambda c: self.engine.at_window(c, window, action))


def engine_for(site: Site, config: SiteConfig | None = None) -> QueueEngine:
    return QueueEngine(site, QueueSettings.from_config(config or SiteConfig()))


@pytest.fixture
def q(site: Site) -> Driver:
    return Driver(engine_for(site))


def test_numbers_run_per_category_and_the_answer_has_the_wait(q: Driver) -> None:
    a1, a2, b1 = q.issue("A"), q.issue("A"), q.issue("B")
    assert [a1["number"], a2["number"], b1["number"]] == ["A001", "A002", "B001"]
    assert a2["ahead"] == 1
    # windows 1,2 serve A with 2 of 5 of their weight, 3,4,5 with 1 of 3, 6 with 1 of 4
    # (A and B are waiting): 1 ahead × 300 s over that share of windows
    assert a2["estimated_wait_s"] is not None and 0 < a2["estimated_wait_s"] < 300


def test_elderly_from_the_id_number_goes_first(q: Driver) -> None:
    q.issue("A", id_card=YOUNG)
    old = q.issue("A", id_card=ELDERLY)
    assert old["reasons"] == ["elderly"] and old["priority"] == 2
    assert q.call("1")["number"] == old["number"]


def test_one_open_ticket_per_id_card_per_category(q: Driver) -> None:
    first = q.issue("B", id_card=YOUNG)
    with pytest.raises(Refused) as refused:
        q.issue("B", id_card=YOUNG)
    assert refused.value.code == "duplicate_ticket"
    assert refused.value.extra["ticket"]["number"] == first["number"]
    assert "重打" in refused.value.message
    assert q.issue("A", id_card=YOUNG)["number"] == "A001"  # another category is fine


def test_reserve_then_confirm_or_void(q: Driver) -> None:
    reserved = q.issue("A", confirm=False)
    assert reserved["status"] == "reserved"
    assert q.engine.categories()[0]["waiting"] == 0  # not in the queue until printed
    with pytest.raises(Refused):
        q.call("1")
    confirmed = q(lambda c: q.engine.confirm(c, reserved["id"]))
    assert confirmed["status"] == "waiting"
    failed = q.issue("A", confirm=False)
    voided = q(lambda c: q.engine.void(c, failed["id"]))
    assert voided["outcome"] == "voided"
    # the voided number is not handed out again, and does not count as issued
    assert q.issue("A")["number"] == "A003"
    assert q.engine.categories()[0]["issued"] == 2
    figures = q.engine.kpi()
    assert figures["open_tickets"] == 2 and figures["total"]["tickets"] == 0  # voided: never


def test_a_reservation_nobody_confirms_is_confirmed(q: Driver, clock: FixedClock) -> None:
    reserved = q.issue("A", confirm=False)
    clock.t += dt.timedelta(seconds=121)
    events = q.engine.tick()
    assert [e["type"] for e in events] == ["ticket.issued"]
    assert q.engine.open[reserved["id"]].ticket.status.value == "waiting"


def test_a_window_calls_one_at_a_time(q: Driver) -> None:
    q.issue("A")
    q.issue("A")
    q.call("1")
    with pytest.raises(Refused) as busy:
        q.call("1")
    assert busy.value.code == "window_busy"
    q.at("1", "finish")
    assert q.call("1")["number"] == "A002"
    q.at("1", "no-show")
    with pytest.raises(Refused) as empty:
        q.call("1")
    assert empty.value.code == "queue_empty" and "暂无" in empty.value.message


def test_recall_counts_and_says_the_same_words(q: Driver) -> None:
    q.issue("A")
    q.call("3")
    again = q(lambda c: q.engine.recall(c, "3"))
    assert again["calls"] == 2
    calls = q.engine.status()["recent_calls"]
    assert calls[0]["recall"] is True and calls[1]["recall"] is False
    assert calls[0]["text"] == "请A001号到3号窗口办理"


def test_transfer_to_a_window_is_called_only_there(q: Driver) -> None:
    q.issue("A")
    q.call("1")
    moved = q(lambda c: q.engine.transfer(c, "1", to_window="4"))
    assert moved["status"] == "waiting" and moved["window"] == "4"
    with pytest.raises(Refused):
        q.call("2")  # A001 is pinned to window 4: window 2 sees nobody
    assert q.call("4")["number"] == "A001"


def test_park_and_resume_at_the_same_window(q: Driver) -> None:
    q.issue("A")
    q.issue("A")
    q.call("2")
    q.at("2", "park")
    # the window serves the next citizen while A001 fetches a missing paper (帮办)
    assert q.call("2")["number"] == "A002"
    q.at("2", "finish")
    with pytest.raises(Refused) as elsewhere:
        q(lambda c: q.engine.resume(c, "1", "A001"))
    assert elsewhere.value.code == "invalid_transition"
    resumed = q(lambda c: q.engine.resume(c, "2", "A001"))
    assert resumed["status"] == "serving" and q.engine.current("2") is not None


def test_calling_at_a_closed_window_opens_it(q: Driver) -> None:
    q.issue("A")
    assert q.engine.windows["7"].state.value == "closed"  # temporary window
    answer = q.engine.run(TOKEN, "k-open", "p", lambda c: q.engine.call(c, "7"))
    assert [e["type"] for e in answer.events] == ["window.changed", "ticket.called"]
    assert q.engine.windows["7"].state.value == "open"


def test_a_retry_gets_the_first_answer_and_a_reused_key_is_refused(q: Driver) -> None:
    first = q.engine.run(TOKEN, "same", "issue A", lambda c: q.engine.issue(c, category="A",
                                                                              confirm=True))
    again = q.engine.run(TOKEN, "same", "issue A", lambda c: q.engine.issue(c, category="A",
                                                                              confirm=True))
    assert again.replayed and again.body == first.body and again.events == []
    assert q.engine.categories()[0]["issued"] == 1
    with pytest.raises(Refused) as reused:
        q.engine.run(TOKEN, "same", "issue B", lambda c: q.engine.issue(c, category="B"))
    assert reused.value.code == "idempotency_key_reused"


def test_a_failed_transaction_leaves_memory_as_the_store(q: Driver) -> None:
    q.issue("A")

    def call_then_fail(conn: sqlite3.Connection) -> Answer:
        q.engine.call(conn, "1")
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(Exception, match=r"disk|I/O|磁盘"):
        q.engine.run(TOKEN, "boom", "p", call_then_fail)
    ticket = next(iter(q.engine.open.values())).ticket
    assert ticket.status.value == "waiting" and ticket.window is None
    assert q.engine.status()["recent_calls"] == []
    assert q.call("1")["number"] == "A001"  # and the store agrees: the call works


def test_a_restart_finds_the_day_and_reuses_no_number(site: Site, q: Driver) -> None:
    q.issue("A")
    q.issue("A", id_card=YOUNG)
    q.call("1")
    q(lambda c: q.engine.recall(c, "1"))
    before = q.engine.status()["recent_calls"]
    again = Driver(engine_for(site))
    assert again.engine.current("1") is not None
    # the call and its recall both, as the hall saw them
    assert again.engine.status()["recent_calls"] == before
    assert [c["recall"] for c in before] == [True, False]
    with pytest.raises(Refused):
        again.issue("A", id_card=YOUNG)  # the duplicate rule survives the restart
    assert again.issue("A")["number"] == "A003"


def test_the_new_day_ends_open_tickets_and_numbers_start_again(
        site: Site, q: Driver, clock: FixedClock) -> None:
    q.issue("A")
    q.issue("A")
    q.call("1")
    clock.t += dt.timedelta(days=1)
    events = q.engine.tick()
    assert events[0]["type"] == "status.reset"
    assert q.issue("A")["number"] == "A001"
    rows = site.store.query("SELECT number, outcome FROM tickets WHERE service_day = ?",
                            ["2026-11-24"])
    assert {r["outcome"] for r in rows} == {"removed_by_reset"}
    ended = site.store.query("SELECT count(*) AS n FROM outbox WHERE op = 'ended'")
    assert ended[0]["n"] == 2


def test_hours_and_quotas_refuse_in_plain_words(site: Site, clock: FixedClock) -> None:
    config = parse_config(
        '[categories.A]\nname = "综合受理"\nhours = ["08:30-12:00"]\ndaily_quota = 2\n'
        '[categories.B]\nname = "社保"\nslot_quotas = { "09:00-11:00" = 1 }\n'
        '[windows.1]\nname = "综合"\ncategories = { A = 1, B = 1 }\n', "test")
    q = Driver(engine_for(site, config))
    q.issue("A")
    q.issue("A")
    with pytest.raises(Refused) as full:
        q.issue("A")
    assert full.value.code == "not_issuing" and "取完" in full.value.message
    q.issue("B")
    with pytest.raises(Refused) as slot:
        q.issue("B")
    assert "11:00" in slot.value.message
    clock.t += dt.timedelta(hours=3)  # 13:00 local
    with pytest.raises(Refused) as closed:
        q.issue("A")
    assert "08:30-12:00" in closed.value.message
    assert q.issue("B")["number"] == "B002"  # after the slot


def test_advice_to_open_the_temporary_window(q: Driver) -> None:
    for _ in range(15):
        q.issue("B")
    advice = q.engine.advice()
    assert {"action": "open_window", "category": "B"}.items() <= advice[0].items()


def test_kpi_per_window_and_clerk(q: Driver, clock: FixedClock) -> None:
    q(lambda c: q.engine.window_state(c, "1", "open", "王芳"))
    for _ in range(3):
        q.issue("A")
    for minutes in (4, 6):
        q.call("1")
        q.at("1", "start")
        clock.t += dt.timedelta(minutes=minutes)
        q.at("1", "finish")
    q.call("1")
    q.at("1", "no-show")
    figures = q.engine.kpi()
    assert figures["total"]["served"] == 2 and figures["total"]["no_shows"] == 1
    assert figures["by_clerk"]["王芳"]["service_p50_s"] == 300.0
    assert figures["by_window"]["1"]["no_show_rate"] == pytest.approx(1 / 3)
    assert figures["busy_s_by_window"]["1"] == 600.0


def test_an_appointment_goes_first_in_its_slot_only(site: Site, q: Driver,
                                                    clock: FixedClock) -> None:
    slot = (clock.t + dt.timedelta(minutes=30), clock.t + dt.timedelta(minutes=60))
    q.issue("A", id_card=ELDERLY)
    early = q.issue("A", appointment=slot)
    assert early["reasons"] == ["appointment"]
    assert q.call("1")["number"] == "A001"  # 30 min early: a walk-in like any other
    q.at("1", "finish")
    q.issue("A", id_card=YOUNG)
    q.issue("A", id_card={"id_number": "110101194001011234"})  # elderly, after the booking
    clock.t += dt.timedelta(minutes=20)  # 10 minutes before the slot: it counts from 15
    again = Driver(engine_for(site))  # and the slot is kept in the store
    assert again.call("1")["number"] == early["number"]
