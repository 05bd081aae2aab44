"""Benchmark of the device layer (issue #3 targets):

- ID card: time from the card being placed on the simulated SAM reader to the parsed fields
  reaching the application's callback, with the reader's bytes paced at a real 115200-baud
  link and the role's default polling (target p95 <= 1.0 s). Baseline: the link time of the
  1,295-byte read reply alone (10 bit times a byte), the floor no driver can beat.
- Printer: building the test page's bytes (encode), and interpreting and rendering them to
  a PNG in the printer simulator.

    python bench/devices.py [--cards N] [--pages N] [--read-delay S]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

# Run as `python bench/devices.py`, this file's folder comes first on sys.path and its own
# name would hide the `devices` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from devices.id_card_reader import IdCardReader  # noqa: E402
from drivers.escpos_printer import EscPosProfile, encode_job, test_page  # noqa: E402
from drivers.sim.escpos_printer import EscPosSim, EscPosSimConfig  # noqa: E402
from drivers.sim.sam_reader import SamReaderSim, SamSimConfig  # noqa: E402
from drivers.transports import SerialTransport  # noqa: E402

READ_REPLY_BYTES = 1295


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def line(name: str, values_ms: list[float], extra: str = "") -> None:
    print(f"{name:<44} p50 {statistics.median(values_ms):8.1f} ms   p95 {p95(values_ms):8.1f} ms"
          f"   {extra}")


def bench_card(n: int, read_delay_s: float) -> None:
    sim = SamReaderSim(SamSimConfig(baudrate=115200, read_delay_s=read_delay_s))
    reader = IdCardReader(lambda: SerialTransport(sim.path, 115200))
    arrived = threading.Event()
    reader.on_card_placed(lambda card, photo: arrived.set())
    removed = threading.Event()
    reader.on_card_removed(removed.set)
    reader.start()
    times = []
    try:
        for i in range(n):
            arrived.clear()
            removed.clear()
            time.sleep(0.05 + (i % 7) * 0.043)  # place at varying points of the poll cycle
            start = time.perf_counter()
            sim.place("resident_elderly")
            if not arrived.wait(5):
                raise SystemExit("the card was never reported")
            times.append((time.perf_counter() - start) * 1000)
            sim.remove()
            if not removed.wait(5):
                raise SystemExit("the removal was never reported")
    finally:
        reader.stop()
        sim.unplug()
    link_ms = READ_REPLY_BYTES * 10 / 115200 * 1000
    verdict = "meets" if p95(times) <= 1000 else "MISSES"
    line(f"card placed -> fields (read delay {read_delay_s:g} s)", times,
         f"target p95 <= 1000 ms: {verdict}; reply on the link alone {link_ms:.0f} ms, "
         f"ratio p50 {statistics.median(times) / link_ms:.1f}x")


def bench_page(n: int) -> None:
    for paper in (80, 58):
        profile = EscPosProfile.for_paper(paper)
        encode_ms, render_ms = [], []
        size = 0
        for _ in range(n):
            start = time.perf_counter()
            data = encode_job(test_page("演示镇便民服务中心", profile), profile)
            encode_ms.append((time.perf_counter() - start) * 1000)
            sim = EscPosSim(EscPosSimConfig(width=paper))
            start = time.perf_counter()
            sim.feed(data)
            job = sim.finish() if not sim.jobs else sim.jobs[-1]
            assert job is not None
            job.image.tobytes()
            render_ms.append((time.perf_counter() - start) * 1000)
            size = len(data)
        line(f"test page {paper} mm: encode ({size} bytes)", encode_ms)
        line(f"test page {paper} mm: interpret + render PNG", render_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=30)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--read-delay", type=float, default=0.0,
                        help="seconds the simulated reader spends on the RF read (real: 0.3-1)")
    args = parser.parse_args()
    bench_card(args.cards, args.read_delay)
    bench_page(args.pages)


if __name__ == "__main__":
    main()
