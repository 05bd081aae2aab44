"""The citizen kiosk's flows played by themselves, off screen, against the station and the
simulated devices (``bianmin demo --tour DIR``; docs/kiosk.md "The tour").

In each of four settings (中文 and English, normal and 大字模式) a citizen takes a ticket
after swiping the ID card, browses the 退休 bundle among the life events and prints its
notice of what to bring, asks after their cases with the card, and rates a finished one.
Every step leaves a screenshot and is measured (:mod:`kiosk.ui.kiosk.audit`); the printed
tickets and notices are saved as the printer simulator rendered them.

The tour presses the real tiles (their own ``clicked`` signals) and places the card on the
simulated reader; every wait has a deadline, so a step that does not happen fails the tour
with its name rather than hanging it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.kiosk_ports import KioskDevices
from kiosk.ui.kiosk.app import KioskApp, application
from kiosk.ui.kiosk.audit import Measure, measure
from kiosk.ui.kiosk.look import (
    MIN_CONTRAST,
    MIN_CONTRAST_ELDERLY,
    MIN_FONT_PX,
    MIN_FONT_PX_ELDERLY,
    MIN_TOUCH_MM,
    SCREEN,
)
from kiosk.ui.kiosk.widgets import Tile
from kiosk.ui.qt import QtWidgets

from .tour import TourFailed, wait

SETTINGS = (("zh", False), ("zh", True), ("en", False), ("en", True))
LIFE_EVENT = "退休"
CATEGORIES = ("A", "B", "C", "D")
"""Each setting takes its ticket in another category (one open ticket per category and
card: the same one again would be a reprint)."""
CARD_GONE_S = 1.5
"""Five of the reader's polls (devices/id_card_reader.py polls every 0.3 s). Unit: s."""
SWIPES = 3
LEVELS = (5, 2, 4, 1)
"""What the citizen answers in each setting (2 and 1 are 差评: the reasons are asked)."""


@dataclass
class KioskTour:
    station: str
    kiosk_token: str
    devices: KioskDevices
    site_name: str
    out: Path
    printed: Callable[[], list[Any]]
    """The kiosk printer simulator's finished jobs so far (each with ``.save(path)``)."""
    place_card: Callable[[], None]
    remove_card: Callable[[], None]
    dpi: float = 96.0
    timezone: str = "Asia/Shanghai"
    step_timeout_s: float = 30.0
    screenshots: list[str] = field(default_factory=list)
    log: Callable[[str], None] = print


def run_kiosk_tour(tour: KioskTour) -> dict[str, Any]:
    application()
    tour.out.mkdir(parents=True, exist_ok=True)
    kiosk = KioskApp(tour.station, tour.kiosk_token, devices=tour.devices,
                     site_name=tour.site_name, timezone=tour.timezone, locked=False,
                     idle_s=3600.0)
    kiosk.window.resize(*SCREEN)
    kiosk.window.show()
    kiosk.start()
    try:
        return _play(tour, kiosk)
    finally:
        kiosk.stop()
        kiosk.window.quitting = True
        kiosk.window.close()
        kiosk.window.deleteLater()
        QtWidgets.QApplication.processEvents()


def _tiles(page: QtWidgets.QWidget) -> dict[str, Tile]:
    return {t.title: t for t in page.findChildren(Tile) if t.isVisibleTo(page)}


def _press(page: QtWidgets.QWidget, title: str, what: str, more: str = "") -> None:
    """Press the tile ``title``; with ``more`` (the words of the next-page tile), turn the
    list's pages until it shows."""
    for _ in range(20):
        tile = _tiles(page).get(title)
        if tile is not None and tile.isEnabled():
            tile.click()
            return
        following = [t for name, t in _tiles(page).items()
                     if more and name.startswith(more) and t.isEnabled()]
        if not following:
            break
        following[0].click()
    raise TourFailed(f"没有可按的“{title}” / no tile {title!r} to press ({what})")


def _play(tour: KioskTour, kiosk: KioskApp) -> dict[str, Any]:
    window, ctx, t = kiosk.window, kiosk.ctx, tour.step_timeout_s
    worst = {False: Measure(), True: Measure()}
    papers: dict[str, str] = {}
    tickets: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    window.poll()
    wait("the station's queue state", lambda: ctx.station_ok and ctx.status.get("categories"),
         t)

    asked = [time.monotonic()]

    def devices_ready() -> bool:
        if all(ctx.problem(role) is None for role in ("id_card_reader", "ticket_printer")):
            return True
        if time.monotonic() - asked[0] > 0.5:  # the reader is "not opened" until it polls
            asked[0] = time.monotonic()
            window.poll()
        return False

    wait("the card reader and the printer ready", devices_ready, t)

    def shot(name: str) -> None:
        wait("the screen settled", lambda: not window.current.busy, t)
        QtWidgets.QApplication.processEvents()
        path = tour.out / f"k{len(tour.screenshots) + 1:02d}_{name}.png"
        if not kiosk.screenshot(path):
            raise TourFailed(f"截图失败 / could not write {path}")
        worst[ctx.elderly].merge(measure(window, tour.dpi), path.name)
        tour.screenshots.append(path.name)
        tour.log(f"  {path.name}")

    def paper(name: str, before: int) -> None:
        job = wait(f"the {name} printed", lambda: tour.printed()[before:], t)[-1]
        job.save(tour.out / f"{name}.png")
        papers[name] = f"{name}.png"

    def swipe(what: str, seen: Callable[[], Any]) -> None:
        """Place the card, wait for the page to take it, take it away; a read the page did
        not get (the reader still saw the last card) is tried again, as a citizen would."""
        for attempt in range(SWIPES):
            tour.place_card()
            try:
                wait(f"the ID card read ({what})", seen, t if attempt == SWIPES - 1 else 6.0)
                return
            except TourFailed:
                if attempt == SWIPES - 1:
                    raise
            finally:
                tour.remove_card()
                # the reader polls for the card: it must see it gone before the next swipe
                until = time.monotonic() + CARD_GONE_S
                wait("the card taken away", lambda until=until: time.monotonic() > until, t)

    for n, (language, elderly) in enumerate(SETTINGS):
        ctx.lang.code, ctx.elderly = language, elderly
        window.restyle()
        window.go("home")
        tag = f"{language}_{'elderly' if elderly else 'normal'}"
        shot(f"{tag}_home")

        # 取号 with the card
        window.go("ticket")
        page = window.current
        swipe("ticket", lambda page=page: page.card is not None)
        shot(f"{tag}_ticket_card")
        category = next(c for c in ctx.status["categories"] if c["prefix"] == CATEGORIES[n])
        before = len(tour.printed())
        _press(page, ctx.lang.pick(category["name"], category.get("name_en", "")), "ticket",
               more=ctx.t("More"))
        wait("the ticket issued", lambda page=page: page.done or page.duplicate, t)
        if page.duplicate is not None:  # a tour played before on this day: the reprint
            shot(f"{tag}_ticket_held_already")
            _press(page, ctx.t("Print it again"), "reprint")
        done = wait("the ticket printed", lambda page=page: page.done, t)
        if not done.printed:
            raise TourFailed(f"小票没有打印 / the ticket did not print: {done.words}")
        paper(f"ticket_{tag}", before)
        shot(f"{tag}_ticket_printed")
        tickets.append({"number": done.ticket["number"], "priority": bool(
            done.ticket.get("reasons")), "setting": tag})

        # 办事指南: the 退休 bundle, and its notice on paper
        window.go("guide")
        page = window.current
        wait("the catalogue", lambda: ctx.catalogue is not None, t)
        _press(page, ctx.t("Life events"), "life events")
        bundle = next(b for b in ctx.catalogue.bundles.values() if b.life_event == LIFE_EVENT)
        title = ctx.lang.pick(bundle.name, bundle.name_en)
        shot(f"{tag}_guide_life_events")
        _press(page, title, "the 退休 bundle", more=ctx.t("More"))
        shot(f"{tag}_guide_bundle")
        before = len(tour.printed())
        _press(page, ctx.t("Print what to bring"), "print the notice")
        paper(f"notice_{tag}", before)

        # 进度查询 with the card
        window.go("progress")
        page = window.current
        shot(f"{tag}_progress_ask")
        swipe("progress", lambda page=page: page.found is not None)
        shot(f"{tag}_progress_cases")
        cases = len(page.cases())

        # 服务评价 of a finished case
        window.go("rating")
        page = window.current
        swipe("rating", lambda page=page: page.found is not None)
        choices = page.choices()
        if not choices:
            raise TourFailed("没有可评价的办件 / nothing to rate")
        shot(f"{tag}_rating_choose")
        _press(page, choices[0][0], "the case to rate")
        shot(f"{tag}_rating_levels")
        from kiosk.domain.ratings import LEVELS as LEVEL_NAMES
        from kiosk.domain.ratings import REASONS
        from kiosk.ui.kiosk.citizen import LEVELS_EN, REASONS_EN

        level = LEVELS[n]
        _press(page, ctx.lang.pick(LEVEL_NAMES[level], LEVELS_EN[level]), "a level")
        reasons: list[str] = []
        if level <= 2:
            for code in ("long_wait", "slow"):
                _press(page, ctx.lang.pick(REASONS[code], REASONS_EN[code]), "a reason")
                reasons.append(code)
            shot(f"{tag}_rating_reasons")
            _press(page, ctx.t("Send"), "send the rating")
        wait("the rating sent", lambda page=page: page.thanked, t)
        shot(f"{tag}_rating_thanks")
        ratings.append({"setting": tag, "level": level, "reasons": reasons, "cases_seen": cases})

    window.go("home")
    normal, elderly = worst[False], worst[True]
    report = {
        "min_touch_mm": round(min(normal.min_touch_mm, elderly.min_touch_mm), 1),
        "min_contrast": round(normal.min_contrast, 2),
        "min_contrast_elderly": round(elderly.min_contrast, 2),
        "min_font_px": normal.min_font_px,
        "min_font_px_elderly": elderly.min_font_px,
        "untranslated": sorted(ctx.lang.untranslated),
        "dpi": tour.dpi,
        "targets": {"min_touch_mm": MIN_TOUCH_MM, "min_contrast": MIN_CONTRAST,
                    "min_contrast_elderly": MIN_CONTRAST_ELDERLY, "min_font_px": MIN_FONT_PX,
                    "min_font_px_elderly": MIN_FONT_PX_ELDERLY},
        "worst_at": {"normal": normal.where, "elderly": elderly.where},
    }
    return {"tickets": tickets, "ratings": ratings, "printed": papers,
            "screenshots": list(tour.screenshots), "accessibility": report}

