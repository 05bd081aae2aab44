"""``bianmin demo --tour DIR``: the counter's main flow, then the citizen kiosk's, played off
screen against a station on loopback and the demo site's simulated devices (docs/counter.md
and docs/kiosk.md, "The tour").

This side sets the stage (the station, its tokens, a demo clerk, finished cases of the demo
card's holder for the kiosk to show and rate, the devices built from the demo configuration
with the tour's own simulator settings) and writes ``tour.json``; the flows themselves are
:mod:`kiosk.ui.demo.tour` and :mod:`kiosk.ui.demo.kiosk_tour`, loaded here and only here
(Qt).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from drivers.gb11643 import is_valid
from drivers.sim.sam_reader import card_spec
from offline_store import cases as case_store
from offline_store import sync_state
from offline_store.clock import iso
from offline_store.site import Site

from . import catalogue_loader
from .client.http import StationClient, StationError
from .config import SiteConfig
from .counter_devices import build_counter_devices
from .kiosk_devices import build_kiosk_devices
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


KIOSK_PORTS = {
    # the card is placed and taken away by the tour, each time a citizen swipes it
    "id_card_reader": "sim://idcard",
}
DEMO_CARD = "resident_elderly"
"""The sample card the demo's readers hold: 王秀英, born 1949 (the green channel)."""
FINISHED_CASES = 4
"""Cases of the demo card's holder the county has finished: one to rate in each of the
kiosk tour's four settings."""


def tour_config(config: SiteConfig, ports: dict[str, str] | None = None) -> SiteConfig:
    """The demo configuration with the tour's simulator settings (nothing written)."""
    devices = dict(config.devices)
    for role, port in (TOUR_PORTS if ports is None else ports).items():
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
        devices.close()
        devices = None
        facts["data_dir"] = str(directory.resolve())
        try:
            facts["kiosk"] = _kiosk_tour(running, config, kiosk.token, out, echo)
        except TourFailed as exc:
            echo(str(exc))
            _write(out, {**facts, "failed": str(exc)})
            return 1
        facts["accessibility"] = facts["kiosk"].pop("accessibility")
        _write(out, facts)
        echo(f"完成 / done: {out / 'tour.json'}")
        return 0
    finally:
        if devices is not None:
            with contextlib.suppress(Exception):
                devices.close()
        running.stop()


def _kiosk_tour(running: Any, config: SiteConfig, token: str, out: Path,
                echo: Callable[[str], None]) -> dict[str, Any]:
    """The kiosk's flows after the counter's, against the same station."""
    from .ui.demo.kiosk_tour import KioskTour, run_kiosk_tour
    from .ui.demo.tour import TourFailed

    site = running.station.site
    holder = card_spec(DEMO_CARD)
    running.station.writer.submit(finished_cases, site, config, holder).result()
    devices = build_kiosk_devices(tour_config(config, KIOSK_PORTS))
    try:
        printer, reader = (devices.simulators.get(r) for r in ("ticket_printer",
                                                               "id_card_reader"))
        if printer is None or reader is None:
            raise TourFailed("演示需要模拟取号打印机和读卡器 / the tour needs the simulated "
                             "ticket printer and card reader")
        echo(f"自助终端演示 / kiosk tour: station {running.url}")
        tour = KioskTour(station=running.url, kiosk_token=token, devices=devices,
                         site_name=config.site.name, out=out,
                         printed=lambda: list(printer.sim.jobs),
                         place_card=lambda: reader.place(DEMO_CARD), remove_card=reader.remove,
                         dpi=config.kiosk.screen_dpi or 96.0, timezone=config.site.timezone,
                         log=echo)
        return run_kiosk_tour(tour)
    finally:
        devices.close()


def finished_cases(site: Site, config: SiteConfig, holder: dict[str, Any]) -> list[str]:
    """Cases of ``holder`` accepted earlier and since finished by the county (the state the
    sync daemon leaves when it pulls 办结), so that the kiosk has something to show and to
    rate: as many as are still unrated are made up to :data:`FINISHED_CASES`."""
    mine = case_store.find_by_id_number(site, str(holder["id_number"]))
    done = [c["id"] for c in mine if site.store.query(  # finished and not yet rated
        "SELECT 1 FROM cases WHERE id = ? AND county_status = 'done' AND NOT EXISTS"
        " (SELECT 1 FROM ratings WHERE case_id = cases.id)", [c["id"]])]
    found = catalogue_loader.current(site)
    if found is None:
        return done
    catalogue = found[0]
    items = [code for code, item in catalogue.items.items() if item.promised_days][:8]
    now = site.clock.now()
    today = now.astimezone(ZoneInfo(config.site.timezone)).date()
    while len(done) < FINISHED_CASES and items:
        made = case_store.add_case(
            site, site_code=config.site.code or "DEMO", local_day=today,
            applicant={"name": holder["name"], "id_number": holder["id_number"]},
            item_codes=[items[len(done) % len(items)]], catalogue_version=catalogue.version,
            materials=[])
        with site.store.write() as conn:
            sync_state.apply_case_status(conn, site.clock, {
                "case_id": made["id"], "status": "done",
                "step": {"status": "done", "at": iso(now), "note": "县级平台办结 / finished"}})
        done.append(made["id"])
    sync_state.save(site.store, site.clock, last_pull=iso(now))
    return done


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
