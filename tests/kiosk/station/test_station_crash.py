"""Kill -9 of the station in the middle of a burst of issues and calls (issue 6, "Faults and
bad input"; DESIGN.md §8: processes killed mid-write).

A real ``bianmin station`` runs as a child process on loopback. Kiosk threads issue (some in
two steps: reserve, then confirm or void) and counter threads call, then finish, mark
no-show or send the ticket on to another category, as fast as it answers, each with an
Idempotency-Key of its own, and keep what they sent with the answer they got, or "no answer"
when the connection died. After a random number of answers the station gets SIGKILL, and is
started again on the same data dir. Then:

- every ticket a client was answered for is in the store with that number, and at least as
  far along as the answer said (no confirmed ticket lost);
- each category's numbers of the day run 1..n, none twice, across every restart, and the
  numbers issued after a restart continue after the highest one before it;
- a request retried with its key and body gets the kept answer when its first attempt had
  committed, and is carried out once when it had not (each ticket has one "issued" event, at
  most one "confirmed", one "called" per transfer and one ending);
- the restarted station answers ``/v1/health`` and its store passes ``bianmin store check``.

Three rounds in CI; ``--soak`` runs fifty and prints its figures.
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from kiosk.config import SiteConfig
from kiosk.site_context import create_site
from kiosk.station import auth
from kiosk.station.server import start_background
from offline_store import station_access
from offline_store.site import Site

CATEGORIES = "ABCD"
WINDOWS = "123456"  # the default config's six standing windows (7 is temporary, closed)
RANK = {"reserved": 0, "waiting": 1, "called": 2, "serving": 3, "parked": 3, "done": 4}
CI_ROUNDS, SOAK_ROUNDS = 3, 50


# --- a station in a child process -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def paired(data_dir: Path, roles: tuple[str, ...] = auth.ROLES) -> dict[str, str]:
    """Create the site (as the station would) and a token for each role, before any
    station runs: pairing needs the writer, and no station holds it yet."""
    site, _ = create_site(data_dir, SiteConfig())
    with site:
        return {role: auth.pair(site, role).token for role in roles}


@dataclass
class ChildStation:
    """``bianmin station`` as its own process, as a site runs it (``python -m kiosk.cli``)."""

    data_dir: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout_s: float = 30.0) -> None:
        # The site's config is the defaults: a config or data dir from the caller's
        # environment must not leak into the child.
        env = {k: v for k, v in os.environ.items()
               if k not in ("BIANMIN_CONFIG", "BIANMIN_DATA_DIR")}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "station", "--data-dir", str(self.data_dir),
                 "--host", "127.0.0.1", "--port", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the station exited ({self.process.returncode}):\n"
                                     f"{self.log_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"the station did not answer within {timeout_s} s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, as systemd stops it; SIGKILL only if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("the station did not stop on SIGTERM within 15 s") from None

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""


# --- what the clients sent and were answered ------------------------------------------------


@dataclass
class Sent:
    role: str
    path: str
    body: dict[str, Any] | None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: int | None = None  # None: no answer came (the connection died)
    answer: Any = None
    round: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def code(self) -> str | None:
        if self.status is None or self.status < 400 or not isinstance(self.answer, dict):
            return None
        return str(self.answer.get("error", {}).get("code"))


def post(http: httpx.Client, token: str, sent: Sent) -> tuple[int | None, Any]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": sent.key}
    try:
        response = http.post(sent.path, json=sent.body, headers=headers)
    except httpx.TransportError:
        return None, None
    try:
        return response.status_code, response.json()
    except ValueError:  # not JSON: kept as text, so that the checks show it
        return response.status_code, response.text


class Burst:
    """Kiosks issuing (confirm=True) and counters calling and finishing, until the station
    stops answering; every request and its answer kept."""

    def __init__(self, url: str, tokens: dict[str, str], round_: int, seed: int):
        self.url, self.tokens, self.round, self.seed = url, tokens, round_, seed
        self.lock = threading.Lock()
        self.sent: list[Sent] = []
        self.answers = 0
        self.problems: list[str] = []
        self.threads = [threading.Thread(target=self._guarded, args=(self._kiosk, k),
                                         daemon=True) for k in range(4)]
        self.threads += [threading.Thread(target=self._guarded, args=(self._counter, w),
                                          daemon=True) for w in WINDOWS]

    def _guarded(self, client: Callable[[Any], None], arg: Any) -> None:
        try:
            client(arg)
        except Exception as exc:  # a thread's failure must fail the test, not vanish
            self.problems.append(repr(exc))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(30)
            assert not thread.is_alive(), "a client thread hangs after the kill"
        assert not self.problems, self.problems[:5]

    def _send(self, http: httpx.Client, role: str, path: str, body: dict[str, Any] | None,
              ) -> Sent:
        sent = Sent(role, path, body, round=self.round)
        with self.lock:
            self.sent.append(sent)
        sent.status, sent.answer = post(http, self.tokens[role], sent)
        if sent.status is not None:
            with self.lock:
                self.answers += 1
        return sent

    def _kiosk(self, n: int) -> None:
        rng = random.Random(self.seed * 100 + n)
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while True:
                # a quarter the way a kiosk with a printer does it: reserve, print, then
                # confirm (or void: the printer failed)
                two_steps = rng.random() < 0.25
                sent = self._send(http, "kiosk", "/v1/tickets",
                                  {"category": rng.choice(CATEGORIES),
                                   "confirm": not two_steps})
                if sent.status is None:
                    return
                if sent.status != 201:
                    self.problems.append(f"issue answered {sent.status}: {sent.answer}")
                    return
                if two_steps:
                    step = "void" if rng.random() < 0.2 else "confirm"
                    sent = self._send(http, "kiosk",
                                      f"/v1/tickets/{sent.answer['id']}/{step}", None)
                    if sent.status is None:
                        return
                    if not sent.ok:
                        self.problems.append(f"{step} answered {sent.status}: {sent.answer}")
                        return

    def _counter(self, window: str) -> None:
        rng = random.Random(f"{self.seed} {window}")
        action, body = "call", None
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while True:
                sent = self._send(http, "counter", f"/v1/windows/{window}/{action}", body)
                if sent.status is None:
                    return
                if action == "call" and sent.code == "queue_empty":
                    time.sleep(0.005)
                elif action == "call" and (sent.ok or sent.code == "window_busy"):
                    # window_busy: a call of a round before this one is still at the window
                    action, body = self._after_call(rng, sent)
                elif action != "call" and (sent.ok or sent.code == "window_idle"):
                    action, body = "call", None
                else:
                    self.problems.append(f"{window} {action} answered {sent.status}: "
                                         f"{sent.answer}")
                    return

    @staticmethod
    def _after_call(rng: random.Random, sent: Sent) -> tuple[str, dict[str, Any] | None]:
        """Mostly served; some nobody came for; some sent on to another category, once."""
        roll = rng.random()
        ticket = sent.answer if sent.ok else {}
        if roll < 0.1:
            return "no-show", None
        if roll < 0.2 and ticket.get("outcome") is None and "category" in ticket:
            return "transfer", {"category": rng.choice(
                [c for c in CATEGORIES if c != ticket["category"]])}
        return "finish", None


# --- reading the store while no station runs ------------------------------------------------


@dataclass
class Stored:
    tickets: dict[str, dict[str, Any]]
    events: dict[str, collections.Counter[str]]
    kept: dict[tuple[str, str], tuple[int, Any]]


def read_store(data_dir: Path, tokens: dict[str, str], sent: list[Sent]) -> Stored:
    with Site.open(data_dir) as site:
        tickets = {r["id"]: r for r in site.store.query(
            "SELECT id, service_day, category, queue_category, seq, number, status, window,"
            " outcome FROM tickets")}
        events: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter)
        for row in site.store.query("SELECT ticket_id, kind FROM queue_events"):
            events[row["ticket_id"]][row["kind"]] += 1
        kept = {}
        for s in sent:
            rows = site.store.query(
                "SELECT status, response FROM station_requests WHERE token_hash = ? AND key = ?",
                [station_access.token_hash(tokens[s.role]), s.key])
            if rows:
                kept[(s.role, s.key)] = (rows[0]["status"], json.loads(rows[0]["response"]))
    return Stored(tickets, events, kept)


def check_numbers(tickets: dict[str, dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Each category's numbers of each day are 1..n, none twice; the highest per category."""
    seqs: dict[tuple[str, str], list[int]] = collections.defaultdict(list)
    for row in tickets.values():
        prefix = row["number"][0]
        assert row["number"] == f"{prefix}{row['seq']:03d}", row
        seqs[(row["service_day"], prefix)].append(row["seq"])
    for where, found in seqs.items():
        assert sorted(found) == list(range(1, len(found) + 1)), \
            f"{where}: numbers reused or skipped: {sorted(found)[-20:]}"
    return {where: max(found) for where, found in seqs.items()}


def check_answered(ledger: list[Sent], stored: Stored) -> None:
    """Every answer a client holds is true of the store (statuses only move forward)."""
    for sent in ledger:
        if not sent.ok or not isinstance(sent.answer, dict) or "number" not in sent.answer:
            continue
        ticket = sent.answer
        row = stored.tickets.get(ticket["id"])
        assert row is not None, f"answered ticket {ticket['number']} is not in the store"
        # a ticket sent on keeps its number and the category it was numbered in
        assert row["number"] == ticket["number"]
        assert ticket["category"] in (row["category"], row["queue_category"])
        moved = stored.events[ticket["id"]]["transferred"] > 0
        if not moved:  # without a transfer a ticket only moves forward
            assert RANK[row["status"]] >= RANK[ticket["status"]], (row, ticket)
            if sent.path.endswith("/call"):
                assert row["window"] == ticket["window"]
        ends = {"/finish": "normal", "/no-show": "no_show", "/void": "voided"}
        for suffix, outcome in ends.items():
            if sent.path.endswith(suffix):
                assert (row["status"], row["outcome"]) == ("done", outcome), (row, sent.path)
        if sent.path.endswith("/transfer"):
            assert moved and row["queue_category"] == sent.body["category"]
    for ticket_id, kinds in stored.events.items():
        number = stored.tickets[ticket_id]["number"]
        assert kinds["issued"] == 1 and kinds["confirmed"] <= 1, (number, dict(kinds))
        assert kinds["called"] <= 1 + kinds["transferred"], (number, dict(kinds))
        assert kinds["finished"] + kinds["no_show"] + kinds["voided"] <= 1, \
            f"ticket {number} was ended twice: {dict(kinds)}"


def replay(url: str, tokens: dict[str, str], sent: list[Sent], clients: int = 8,
           ) -> list[tuple[int | None, Any]]:
    """Send each request again, from ``clients`` keep-alive clients at once."""
    def part(chunk: list[Sent]) -> list[tuple[int | None, Any]]:
        with httpx.Client(base_url=url, timeout=10) as http:
            return [post(http, tokens[s.role], s) for s in chunk]

    chunks = [sent[i::clients] for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        by_chunk = list(pool.map(part, chunks))
    return [by_chunk[i % len(chunks)][i // len(chunks)] for i in range(len(sent))]


# --- the test -------------------------------------------------------------------------------


@pytest.fixture
def station(tmp_path: Path) -> Iterator[tuple[ChildStation, dict[str, str]]]:
    tokens = paired(tmp_path / "site", ("kiosk", "counter", "manager"))
    child = ChildStation(tmp_path / "site", tmp_path / "station.log")
    child.start()
    try:
        yield child, tokens
    finally:
        child.stop()


def test_kill_9_mid_burst_loses_no_ticket_and_reuses_no_number(
        station: tuple[ChildStation, dict[str, str]], soak: bool) -> None:
    child, tokens = station
    rounds = SOAK_ROUNDS if soak else CI_ROUNDS
    rng = random.Random(20261124)
    ledger: list[Sent] = []
    figures: collections.Counter[str] = collections.Counter()
    began = time.monotonic()
    for round_ in range(rounds):
        burst = Burst(child.url, tokens, round_, seed=round_)
        kill_after = rng.randint(20, 300)
        burst.start()
        deadline = time.monotonic() + 30
        while burst.answers < kill_after:
            assert time.monotonic() < deadline, f"only {burst.answers} answers in 30 s"
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.005))  # so the kill does not follow an answer at once
        child.kill()
        burst.join()
        ledger += burst.sent
        unanswered = [s for s in burst.sent if s.status is None]
        figures["answered"] += len(burst.sent) - len(unanswered)
        figures["unanswered"] += len(unanswered)

        # The store as the kill left it, before a new station could mend anything.
        before = read_store(child.data_dir, tokens, unanswered)
        check_answered(ledger, before)
        highest = check_numbers(before.tickets)

        child.start()
        with httpx.Client(base_url=child.url, timeout=10) as h:
            # A request that got no answer is sent again, twice: the first retry gets the
            # kept answer or does the work, the second gets that same answer.
            for sent in unanswered:
                first = post(h, tokens[sent.role], sent)
                assert first[0] is not None, "the restarted station does not answer"
                if (sent.role, sent.key) in before.kept:
                    figures["committed but unanswered"] += 1
                    assert first == before.kept[(sent.role, sent.key)], sent
                again = post(h, tokens[sent.role], sent)
                if 200 <= first[0] < 300:
                    assert again == first, sent
                sent.status, sent.answer = first
                figures["retried"] += 1
            # Answers received before the kill come back unchanged.
            answered = [s for s in burst.sent if s.ok]
            for sent, reply in zip(answered, replay(child.url, tokens, answered),
                                   strict=True):
                assert reply == (sent.status, sent.answer), sent
            figures["replayed"] += len(answered)

            # Numbers go on after the highest one before the kill.
            day = max(r["service_day"] for r in before.tickets.values())
            for prefix in CATEGORIES:
                probe = Sent("kiosk", "/v1/tickets", {"category": prefix, "confirm": True},
                             round=round_)
                probe.status, probe.answer = post(h, tokens["kiosk"], probe)
                assert probe.status == 201, probe.answer
                assert int(probe.answer["number"][1:]) > highest.get((day, prefix), 0)
                ledger.append(probe)
            assert h.get("/v1/health").json()["ok"] is True

        store_check = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "store", "check", "--data-dir",
             str(child.data_dir), "--json"], capture_output=True, text=True, timeout=60)
        assert store_check.returncode == 0, store_check.stdout + store_check.stderr

    # The last round's retries and probes, read back through a station that stopped cleanly.
    child.stop()
    after = read_store(child.data_dir, tokens, [])
    check_answered(ledger, after)
    check_numbers(after.tickets)
    issued = {s.answer["id"] for s in ledger if s.path == "/v1/tickets" and s.ok}
    assert issued == set(after.tickets), "a ticket nobody was answered for, or one lost"
    assert "Traceback" not in child.log_text(), child.log_text()[-3000:]
    figures["tickets"] = len(after.tickets)
    print(f"\nstation kill -9: {rounds} rounds in {time.monotonic() - began:.1f} s; "
          + ", ".join(f"{k} {v}" for k, v in figures.items()))
    assert figures["answered"] >= 20 * rounds and figures["replayed"] > 0


# --- a number freed by a transfer (found while writing the above) ---------------------------


def test_a_transfer_to_another_category_frees_no_number(tmp_path: Path) -> None:
    """A003 sent on to category B keeps its number (the citizen holds it); the next ticket of
    A must not be A003 again, and B must not skip B003."""
    running = start_background(tmp_path / "site", SiteConfig())
    try:
        token = running.station.writer.submit(auth.pair, running.station.site,
                                              "manager").result().token
        with httpx.Client(base_url=running.url, timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            def issue(prefix: str) -> str:
                response = http.post("/v1/tickets", json={"category": prefix, "confirm": True},
                                     headers={"Idempotency-Key": uuid.uuid4().hex})
                assert response.status_code == 201, response.text
                return str(response.json()["number"])

            assert [issue(p) for p in "AAABB"] == ["A001", "A002", "A003", "B001", "B002"]
            for path, body in (("/v1/windows/1/call", {"number": "A003"}),
                               ("/v1/windows/1/transfer", {"category": "B"})):
                response = http.post(path, json=body,
                                     headers={"Idempotency-Key": uuid.uuid4().hex})
                assert response.status_code == 200, response.text
            assert response.json()["number"] == "A003"
            assert (issue("A"), issue("B")) == ("A004", "B003")
    finally:
        running.stop()


# --- stopping with displays subscribed ------------------------------------------------------


def test_sigterm_with_displays_subscribed_stops_cleanly(tmp_path: Path) -> None:
    """A display still subscribed, and one that left a moment ago, must not hold the
    station's stop until uvicorn's graceful timeout cancels their streams: that took 2 s
    and logged "Exception in ASGI application" once per display (the stream waits on its
    event queue, up to 10 s, and does not see its socket close)."""
    tokens = paired(tmp_path / "site", ("display",))
    child = ChildStation(tmp_path / "site", tmp_path / "station.log")
    child.start()
    url = f"ws://127.0.0.1:{child.port}/v1/events?token={tokens['display']}"
    try:
        with connect(url, open_timeout=10) as left:
            assert json.loads(left.recv(timeout=10))["type"] == "hello"
        with connect(url, open_timeout=10) as staying:
            assert json.loads(staying.recv(timeout=10))["type"] == "hello"
            time.sleep(0.2)
            child.stop()
    finally:
        child.kill()
    assert "Traceback" not in child.log_text(), child.log_text()[-2000:]
