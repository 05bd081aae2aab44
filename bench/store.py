"""Benchmark of the site store's two hot writes (issue #2 targets on the 2-core VM):

- a ticket commit with its queue event and outbox row: p95 <= 5 ms
- a case with three 1 MB encrypted materials (seal, write, fsync, commit): p95 <= 60 ms

Each is printed with its median and p95 and a ratio against a baseline that does the same
durable I/O without the store: one ``INSERT`` + ``COMMIT`` on a bare WAL/FULL connection for
the ticket, three plain 1 MB files written and fsynced for the case. The ratios say what
the store adds; they stay steady on a noisy shared VM where the absolute figures do not.

    python bench/store.py [--tickets N] [--cases N] [--dir DIR] [--cipher sm4-gcm]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from offline_store import cases, tickets
from offline_store.crypto import AES_256_GCM, CIPHERS
from offline_store.site import init_site

MB = 1024 * 1024


def measure(fn: Callable[[int], object], n: int, warmup: int = 5) -> list[float]:
    for i in range(warmup):
        fn(-1 - i)
    times = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def report(name: str, times: list[float], base: list[float], target_p95: float) -> None:
    med, p = statistics.median(times), p95(times)
    verdict = "meets" if p <= target_p95 else "MISSES"
    print(f"{name:<38} p50 {med:7.2f} ms   p95 {p:7.2f} ms   "
          f"(target p95 <= {target_p95:g} ms: {verdict})")
    print(f"{'  baseline (same durable I/O, no store)':<38} p50 {statistics.median(base):7.2f} ms"
          f"   p95 {p95(base):7.2f} ms   ratio p50 {med / statistics.median(base):5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to write (default: a temporary folder on this disk)")
    parser.add_argument("--cipher", choices=CIPHERS, default=AES_256_GCM)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bianmin-bench-", dir=args.dir or Path.cwd()))
    try:
        site, _ = init_site(root / "site", cipher=args.cipher)
        print(f"store bench: {args.tickets} tickets, {args.cases} cases, cipher {args.cipher},"
              f" {os.cpu_count()} cores, folder {root}")

        def ticket(_: int) -> None:
            tickets.issue(site, service_day="2026-11-24", category="A", channel="kiosk")

        base_conn = sqlite3.connect(root / "baseline.sqlite", isolation_level=None)
        base_conn.execute("PRAGMA journal_mode = WAL")
        base_conn.execute("PRAGMA synchronous = FULL")
        base_conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")

        def ticket_baseline(_: int) -> None:
            base_conn.execute("BEGIN IMMEDIATE")
            base_conn.execute("INSERT INTO t (body) VALUES (?)", ("A001",))
            base_conn.execute("COMMIT")

        report("ticket + queue event + outbox row", measure(ticket, args.tickets),
               measure(ticket_baseline, args.tickets), 5)

        pages = [os.urandom(MB) for _ in range(3)]  # camera JPEGs do not compress further

        def case(i: int) -> None:
            cases.add_case(
                site, site_code="BENCH", local_day=dt.date(2026, 11, 24),
                applicant={"name": "测试", "id_number": "110105194912310021"},
                item_codes=["SMP-SHBZ-001"], catalogue_version="bench",
                materials=[cases.MaterialRecord(f"M00{k}", "captured",
                                                [pages[k][:-8] + i.to_bytes(8, "big", signed=True)])
                           for k in range(3)],
            )

        plain_dir = root / "plain"
        plain_dir.mkdir()

        def case_baseline(i: int) -> None:
            for k, page in enumerate(pages):
                path = plain_dir / f"{i}-{k}"
                with path.open("wb") as f:
                    f.write(page)
                    f.flush()
                    os.fsync(f.fileno())
            fd = os.open(plain_dir, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)

        report("case with three 1 MB encrypted pages", measure(case, args.cases),
               measure(case_baseline, args.cases), 60)
        site.close()
        base_conn.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
