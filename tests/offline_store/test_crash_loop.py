"""Crash loop (../shared/research/sync.md §8.1, https://www.sqlite.org/testing.html §3.3):
a child process writing records is killed with SIGKILL at random points; afterwards the
store passes integrity_check, every record whose commit had returned is there whole with its
outbox row, and nothing half-written is visible.

Every tenth iteration starts from a store file that does not exist yet, so kills also land
inside the migrations of a first open.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from offline_store import cases
from offline_store.crypto import create_site_key
from offline_store.site import STORE_FILE, Site

from .workload import applicant, page_bytes, write_one


def _child(data_dir: Path, fd: int, seed: int) -> None:
    rng = random.Random(seed)
    site = Site.open(data_dir, create=True, check=False)
    marker = seed * 100_000
    while True:
        marker += 1
        line = write_one(site, rng, str(marker))
        os.write(fd, line.encode())


def _run_child_and_kill(data_dir: Path, seed: int, delay_s: float) -> list[list[str]]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write until killed
        os.close(read_end)
        try:
            _child(data_dir, write_end, seed)
        except BaseException as exc:
            os.write(write_end, f"\nE {exc!r}\n".encode())
        finally:
            os._exit(3)
    os.close(write_end)
    time.sleep(delay_s)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    text = b"".join(chunks).decode()
    assert os.WIFSIGNALED(status), f"the child ended by itself before the kill: {text[-500:]}"
    # A line cut by the kill was never fully reported: only whole lines count as confirmed.
    return [line.split() for line in text.split("\n")[:-1]]


def _check_store(site: Site) -> None:
    store = site.store
    assert store.check(full=True).integrity == "ok"
    orphans = store.query(
        "SELECT 'ticket' AS kind, id FROM tickets t WHERE NOT EXISTS"
        " (SELECT 1 FROM outbox o WHERE o.entity = 'ticket' AND o.entity_id = t.id)"
        " UNION ALL SELECT 'case', id FROM cases c WHERE NOT EXISTS"
        " (SELECT 1 FROM outbox o WHERE o.entity = 'case' AND o.entity_id = c.id)"
        " UNION ALL SELECT 'op', entity_id FROM outbox o WHERE"
        " (o.entity = 'ticket' AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = o.entity_id))"
        " OR (o.entity = 'case' AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = o.entity_id))"
        " UNION ALL SELECT 'event', id FROM tickets t WHERE NOT EXISTS"
        " (SELECT 1 FROM queue_events e WHERE e.ticket_id = t.id)"
        " UNION ALL SELECT 'materials', id FROM cases c WHERE"
        " (SELECT count(*) FROM case_materials m WHERE m.case_id = c.id) != 2"
        " UNION ALL SELECT 'pages', id FROM cases c WHERE"
        " (SELECT count(*) FROM case_pages p WHERE p.case_id = c.id) != 2"
    )
    assert orphans == [], f"half-written records are visible: {orphans[:5]}"
    numbers = store.query("SELECT seq FROM tickets WHERE category = 'A' ORDER BY seq")
    assert [r["seq"] for r in numbers] == list(range(1, len(numbers) + 1)), "ticket numbers gap"


def test_sigkill_at_random_points_loses_nothing_confirmed(tmp_path: Path, request) -> None:
    iterations = request.config.getoption("--crash-iterations") or (
        10_000 if request.config.getoption("--soak") else 200
    )
    rng = random.Random(20261124)
    confirmed_tickets: set[str] = set()
    confirmed_cases: dict[str, str] = {}
    data_dir = tmp_path / "site"
    fresh_starts = 0
    totals = {"T": 0, "C": 0}
    for iteration in range(iterations):
        if iteration % 10 == 0:
            data_dir = tmp_path / f"site{iteration}"
            data_dir.mkdir()
            create_site_key(data_dir / "site.key")
            confirmed_tickets, confirmed_cases = set(), {}
            fresh_starts += 1
        lines = _run_child_and_kill(data_dir, seed=iteration, delay_s=rng.uniform(0.0, 0.05))
        new_cases = {}
        for kind, record_id, marker in lines:
            totals[kind] += 1
            if kind == "T":
                confirmed_tickets.add(record_id)
            else:
                new_cases[record_id] = marker
        confirmed_cases.update(new_cases)
        if not (data_dir / STORE_FILE).exists():
            assert not lines, "a record was confirmed but the store file does not exist"
            continue
        with Site.open(data_dir) as site:  # opening also finishes interrupted migrations
            _check_store(site)
            present = {r["id"] for r in site.store.query("SELECT id FROM tickets")}
            missing = confirmed_tickets - present
            assert not missing, f"iteration {iteration}: confirmed tickets lost: {missing}"
            for case_id, marker in new_cases.items():
                case = cases.read_case(site, case_id)  # decrypts applicant and every page
                assert case["applicant"] == applicant(marker)
                assert case["pages"]["M001"] == [page_bytes(marker, 1), page_bytes(marker, 2)]
            present_cases = {r["id"] for r in site.store.query("SELECT id FROM cases")}
            assert set(confirmed_cases) <= present_cases
    assert fresh_starts == -(-iterations // 10)
    # The loop must really have committed (and been cut in the middle of) both kinds.
    assert totals["T"] > iterations and totals["C"] > iterations // 10, totals


@pytest.mark.parametrize("delay_s", [0.0, 0.002, 0.005])
def test_kill_during_first_open_leaves_a_usable_store(tmp_path: Path, delay_s: float) -> None:
    """Kills within the first milliseconds land in connect, WAL set-up or a migration."""
    for attempt in range(5):
        data_dir = tmp_path / f"site{attempt}"
        data_dir.mkdir()
        create_site_key(data_dir / "site.key")
        _run_child_and_kill(data_dir, seed=attempt, delay_s=delay_s)
        if (data_dir / STORE_FILE).exists():
            with Site.open(data_dir) as site:
                assert site.store.check().ok
                assert site.store.schema_version() >= 5
