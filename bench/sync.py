"""Benchmark of sync (issue 8 targets, on the 2-core VM):

- 10,000 ops drained over loopback: the site's outbox of 10,000 tickets delivered to the
  hub (its own process, SQLite) by the daemon's cycles; target <= 30 s;
- 200 x 1 MB pages through our fault proxy throttled to 2 Mbit/s: the share of the link the
  page bytes used (page bytes / (time x 250 kB/s)); target >= 80 % (``--pages`` to change
  the count: 200 pages take about 14 minutes);
- bytes sent again after a cut mid-upload: one 4 MB page, the link cut after 1.5 MB, set
  against the same upload without a cut; target <= one chunk (1 MiB);
- the hub's apply throughput: batches of 100 ops posted back to back, signed, on SQLite and
  on PostgreSQL (a real server on loopback, fsync on), as ops/s with the batch latency.

The hub runs as its own process (``bianmin hub``); the daemon and the proxy run in this one.

    python bench/sync.py [--quick] [--pages N]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/sync.py`, this file's folder comes first on sys.path and the bench's
# own devices.py would hide the `devices` package; the root brings the tests' support code.
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import httpx  # noqa: E402

from offline_store import cases, tickets  # noqa: E402
from offline_store.clock import SystemClock  # noqa: E402
from offline_store.site import Site, init_site  # noqa: E402
from sync.daemon import Daemon, SyncSettings, enrol  # noqa: E402
from sync.protocol import signing  # noqa: E402
from tests.support.faultproxy import FaultProxy  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402

BIANMIN = Path(sys.executable).parent / "bianmin"
SITE = "B01"
PERSON = {"name": "张秀英", "id_number": "110105194912310021", "phone": "13800138000"}
LINK_BYTES_S = 2_000_000 / 8


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def hub_process(directory: Path, database: str | None = None) -> Iterator[str]:
    port = free_port()
    command = [str(BIANMIN), "hub", "--data-dir", str(directory), "--port", str(port)]
    if database:
        command += ["--database", database]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                said = proc.stderr.read() if proc.stderr else ""
                raise SystemExit(f"the hub did not start: {said}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def enrol_code(directory: Path, database: str | None = None) -> str:
    command = [str(BIANMIN), "hub", "enrol-code", "--data-dir", str(directory), "--site", SITE,
               "--json"]
    if database:
        command += ["--database", database]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return str(json.loads(out)["code"])


def new_site(directory: Path) -> Site:
    site, _ = init_site(directory, clock=SystemClock())
    return site


def drain(daemon: Daemon, site: Site, limit_s: float) -> int:
    cycles, deadline = 0, time.monotonic() + limit_s
    while time.monotonic() < deadline:
        daemon.run_once()
        cycles += 1
        pending = site.store.query(
            "SELECT (SELECT count(*) FROM outbox WHERE state IN ('pending', 'claimed'))"
            " + (SELECT count(*) FROM blobs WHERE state IN ('local', 'uploading')) AS n")[0]["n"]
        if not pending:
            return cycles
    raise SystemExit("not drained in time")


def bench_drain(work: Path, n_ops: int) -> None:
    site = new_site(work / "drain-site")
    today = dt.date.today().isoformat()
    for _ in range(n_ops):
        tickets.issue(site, service_day=today, category="A", channel="kiosk")
    settings = SyncSettings(site_code=SITE, health_port=0)
    with hub_process(work / "drain-hub") as url:
        enrol(site, url, enrol_code(work / "drain-hub"), settings=settings)
        daemon = Daemon(site, settings)
        start = time.perf_counter()
        cycles = drain(daemon, site, 600)
        took = time.perf_counter() - start
        daemon.close()
    site.close()
    verdict = "ok" if took <= 30 or n_ops < 10_000 else "OVER"
    print(f"{n_ops:,} ops drained over loopback          {took:7.1f} s   {n_ops / took:7.0f} ops/s"
          f"   {cycles} cycles   target <= 30 s for 10,000: {verdict}")


def _pages_site(directory: Path, pages: list[bytes]) -> Site:
    site = new_site(directory)
    for start in range(0, len(pages), 10):  # a case of up to 10 pages
        cases.add_case(site, site_code=SITE, local_day=dt.date.today(), applicant=PERSON,
                       item_codes=["SMP-001"], catalogue_version="bench",
                       materials=[cases.MaterialRecord("M1", "captured",
                                                       pages[start:start + 10])])
    return site


def bench_link(work: Path, n_pages: int) -> None:
    pages = [os.urandom(1_000_000) for _ in range(n_pages)]
    site = _pages_site(work / "link-site", pages)
    settings = SyncSettings(site_code=SITE, health_port=0)
    with hub_process(work / "link-hub") as url:
        port = int(url.rsplit(":", 1)[1])
        with FaultProxy("127.0.0.1", port) as proxy:
            enrol(site, proxy.url, enrol_code(work / "link-hub"), settings=settings)
            proxy.throttle(int(LINK_BYTES_S), direction="up")
            daemon = Daemon(site, settings)
            start = time.perf_counter()
            drain(daemon, site, n_pages * 8 + 120)
            took = time.perf_counter() - start
            daemon.close()
            sent = proxy.stats().bytes_up
    site.close()
    page_bytes = sum(len(p) for p in pages)
    used = page_bytes / (took * LINK_BYTES_S)
    print(f"{n_pages} x 1 MB pages at 2 Mbit/s              {took:7.1f} s   link used "
          f"{used:6.1%} by pages ({sent / (took * LINK_BYTES_S):6.1%} by all bytes)"
          f"   target >= 80 %: {'ok' if used >= 0.8 else 'UNDER'}")


def _upload_once(work: Path, name: str, page: bytes, cut_at: int | None) -> int:
    site = _pages_site(work / f"{name}-site", [page])
    settings = SyncSettings(site_code=SITE, health_port=0, backoff_base_s=0.1)
    with hub_process(work / f"{name}-hub") as url:
        port = int(url.rsplit(":", 1)[1])
        with FaultProxy("127.0.0.1", port) as proxy:
            enrol(site, proxy.url, enrol_code(work / f"{name}-hub"), settings=settings)
            before = proxy.stats().bytes_up
            if cut_at is not None:
                proxy.cut_after(cut_at, direction="up")
            daemon = Daemon(site, settings)
            drain(daemon, site, 120)
            daemon.close()
            sent = proxy.stats().bytes_up - before
    site.close()
    return sent


def bench_cut(work: Path) -> None:
    page = os.urandom(4_000_000)
    clean = _upload_once(work, "clean", page, None)
    cut = _upload_once(work, "cut", page, 1_500_000)
    again = cut - clean
    chunk = SyncSettings().chunk_bytes
    print(f"bytes sent again after a cut mid-upload     {again:9,d} B   one chunk {chunk:,d} B"
          f"   target <= one chunk: {'ok' if again <= chunk else 'OVER'}")


def _signed_batches(url: str, key_id: str, key: object, n_batches: int) -> list[float]:
    latencies = []
    with httpx.Client(timeout=60) as http:
        for b in range(n_batches):
            ops = [{"op_id": str(uuid.uuid4()), "seq": b * 100 + i, "entity": "ticket",
                    "entity_id": str(uuid.uuid4()), "op": "issued",
                    "created_at": "2026-11-24T02:00:00.000Z", "clock_synced": True,
                    "payload": {"id": "x", "number": f"A{i:03d}", "category": "A",
                                "service_day": "2026-11-24", "channel": "kiosk",
                                "priority": 0, "issued_at": "2026-11-24T02:00:00.000Z",
                                "clock_synced": True}}
                   for i in range(100)]
            for op in ops:
                op["payload"]["id"] = op["entity_id"]
            body = json.dumps({"batch_id": str(uuid.uuid4()), "ops": ops}).encode()
            headers = signing.sign(key, keyid=key_id, site=SITE, method="POST",  # type: ignore[arg-type]
                                   path="/v1/ops", query="", body=body, created=int(time.time()))
            start = time.perf_counter()
            answer = http.post(url + "/v1/ops", content=body,
                               headers={**headers, "content-type": "application/json"})
            latencies.append(time.perf_counter() - start)
            if answer.status_code != 200 or any(
                    r["status"] != "applied" for r in answer.json()["results"]):
                raise SystemExit(f"the hub refused a batch: {answer.status_code} "
                                 f"{answer.text[:300]}")
    return latencies


def bench_apply(work: Path, n_batches: int, database: str | None, name: str) -> None:
    directory = work / f"apply-{name}"
    with hub_process(directory, database) as url:
        key = signing.new_key()
        answer = httpx.post(url + "/v1/enrol", json={
            "site": SITE, "code": enrol_code(directory, database),
            "public_key": signing.b64(signing.public_bytes(key)), "version": "bench"})
        answer.raise_for_status()
        lat = _signed_batches(url, answer.json()["key_id"], key, n_batches)
    ms = [x * 1000 for x in lat]
    print(f"hub apply on {name:<10}                   {100 * len(lat) / sum(lat):7.0f} ops/s"
          f"   batch of 100: p50 {statistics.median(ms):6.1f} ms  p95 {pct(ms, 95):6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    parser.add_argument("--pages", type=int, default=None, help="1 MB pages over 2 Mbit/s")
    args = parser.parse_args()
    n_pages = args.pages or (10 if args.quick else 200)
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    work.chmod(0o755)  # the PostgreSQL server runs as the postgres user and must reach it
    try:
        bench_drain(work, 1_000 if args.quick else 10_000)
        bench_cut(work)
        batches = 10 if args.quick else 50
        bench_apply(work, batches, None, "SQLite")
        with start_postgres(work / "pg", fsync=True) as pg_url:
            bench_apply(work, batches, pg_url, "PostgreSQL")
        bench_link(work, n_pages)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
