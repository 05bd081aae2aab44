"""``bianmin demo --tour DIR``: the counter's main flow, played off screen against a station
on loopback and the demo site's simulated devices (docs/counter.md "The tour").

This side sets the stage (the station, its tokens, a demo clerk, the devices built from the
demo configuration with the tour's own simulator settings) and writes ``tour.json``; the
flow itself is :mod:`kiosk.ui.demo.tour`, loaded here and only here (Qt).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.gb11643 import is_valid

from .client.http import StationClient, StationError
from .config import SiteConfig
from .counter_devices import build_counter_devices
from .station.auth import pair
from .station.server import start_background

CLERK_ID, CLERK_NAME, CLERK_SECRET = "demo01", "演示柜员", "246810"
WINDOW = "1"
TOUR_PORTS = {
    # every capture from an A4 page the script lays, rendered as fast as it is read: the
    # tour's timing does not depend on how busy the machine is
    "document_camera": "sim://camera?script=a4&realtime=false",
    # the citizen presses 不满意 (2): the tour shows the rectification it opens
    "rating_terminal": "sim://rating?auto=2",
}


def tour_config(config: SiteConfig) -> SiteConfig:
    """The demo configuration with the tour's simulator settings (nothing written)."""
    devices = dict(config.devices)
    for role, port in TOUR_PORTS.items():
        if role in devices:
            devices[role] = devices[role].model_copy(update={"port": port})
    return config.model_copy(update={"devices": devices})


def play_tour(directory: Path, config: SiteConfig, out: Path, *,
              echo: Callable[[str], None] = print) -> int:
    """Run the tour; 0 when every step happened, 1 when one did not (named on stderr)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt loads
    out.mkdir(parents=True, exist_ok=True)
    running = start_background(directory, config, port=0)
    devices = None
    try:
        site = running.station.site
        counter, kiosk, manager = (running.station.writer.submit(pair, site, role).result()
                                   for role in ("counter", "kiosk", "manager"))
        demo_clerk(running.url, manager.token)
        devices = build_counter_devices(tour_config(config))
        printer = devices.simulators.get("receipt_printer")
        if printer is None:
            echo("演示需要模拟小票打印机 / the tour needs the simulated receipt printer")
            return 1
        from .ui.demo.tour import Tour, TourFailed, run_tour

        echo(f"柜台演示 / counter tour: station {running.url}, window {WINDOW}")
        tour = Tour(station=running.url, counter_token=counter.token,
                    kiosk_token=kiosk.token, clerk_id=CLERK_ID, clerk_secret=CLERK_SECRET,
                    window=WINDOW, devices=devices, id_check=is_valid,
                    site_name=config.site.name, out=out,
                    printed=lambda: list(printer.sim.jobs), log=echo)
        try:
            facts: dict[str, Any] = run_tour(tour)
        except TourFailed as exc:
            echo(str(exc))
            _write(out, {"failed": str(exc), "screenshots": tour.screenshots,
                         "data_dir": str(directory.resolve())})
            return 1
        facts["data_dir"] = str(directory.resolve())
        _write(out, facts)
        echo(f"完成 / done: {out / 'tour.json'}")
        return 0
    finally:
        if devices is not None:
            with contextlib.suppress(Exception):
                devices.close()
        running.stop()


def demo_clerk(url: str, manager_token: str) -> None:
    """The demo's clerk, made once per data directory (its secret set again when it is
    there already: a previous tour may have left it locked out)."""
    with StationClient(url, manager_token) as client:
        try:
            client.add_clerk(CLERK_ID, CLERK_NAME, CLERK_SECRET)
        except StationError as exc:
            if exc.status != 409:
                raise
            client.reset_clerk_secret(CLERK_ID, CLERK_SECRET)


def _write(out: Path, facts: dict[str, Any]) -> None:
    (out / "tour.json").write_text(json.dumps(facts, ensure_ascii=False, indent=2) + "\n",
                                   "utf-8")
