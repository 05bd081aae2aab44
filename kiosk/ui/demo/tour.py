"""The counter's main flow played by itself, off screen, against a station on loopback and
the simulated devices (``bianmin demo --tour DIR``; docs/counter.md "The tour").

A clerk signs in, a citizen's ticket is called, the simulated card is read, the 新生儿出生
bundle chosen, three materials captured from the synthetic camera, one deferred (容缺) with
its commitment printed and signed, the case accepted with its receipt and one-time notice
printed, and the rating terminal answers 不满意, which opens a rectification. Every step
leaves a numbered screenshot; what happened goes to ``tour.json``.

The tour drives the real widgets the way a clerk's clicks do (the buttons' own signals), and
waits on what the screen shows, each wait with a deadline: a step that does not happen in
time fails the tour with its name, never hangs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.client.http import StationClient
from kiosk.counter_ports import CounterDevices
from kiosk.ui.counter.app import CounterApp, application
from kiosk.ui.counter.queue_model import Action
from kiosk.ui.qt import QtCore, QtWidgets

BUNDLE = "SMP-YJS-001"
"""新生儿出生一件事 in the sample catalogue."""
CAPTURED = ("M001", "M008", "M004")
"""居民身份证, 申请表, 出生医学证明: captured from the camera."""
DEFERRED = "M007"
"""近期免冠证件照片: 容缺, brought later."""


class TourFailed(RuntimeError):
    """A step did not happen in time (the message names it)."""


@dataclass
class Tour:
    """What the tour is handed: the station, tokens, the clerk, the devices."""

    station: str
    counter_token: str
    kiosk_token: str
    clerk_id: str
    clerk_secret: str
    window: str
    devices: CounterDevices
    id_check: Callable[[str], bool]
    site_name: str
    out: Path
    printed: Callable[[], list[Any]]
    """The printer simulator's finished jobs so far (each with ``.save(path)``)."""
    step_timeout_s: float = 60.0
    screenshots: list[str] = field(default_factory=list)
    log: Callable[[str], None] = print


def wait(what: str, done: Callable[[], Any], timeout_s: float) -> Any:
    """Run Qt's events until ``done()`` is true; :class:`TourFailed` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        value = done()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TourFailed(f"等待超时 / timed out waiting for: {what}")
        time.sleep(0.01)


def run_tour(tour: Tour) -> dict[str, Any]:
    """Play the flow; returns what goes into ``tour.json`` (written here too)."""
    application()
    tour.out.mkdir(parents=True, exist_ok=True)
    counter = CounterApp(tour.station, tour.counter_token, window=tour.window,
                         devices=tour.devices, id_check=tour.id_check,
                         site_name=tour.site_name)
    window = counter.window
    window.resize(1366, 768)
    window.show()
    counter.start()
    try:
        return _play(tour, counter)
    finally:
        counter.stop()
        window.close()
        window.deleteLater()
        QtWidgets.QApplication.processEvents()


def _play(tour: Tour, counter: CounterApp) -> dict[str, Any]:
    window, t = counter.window, tour.step_timeout_s

    def shot(name: str) -> None:
        QtWidgets.QApplication.processEvents()
        path = tour.out / f"{len(tour.screenshots) + 1:02d}_{name}.png"
        if not counter.screenshot(path):
            raise TourFailed(f"截图失败 / could not write {path}")
        tour.screenshots.append(path.name)
        tour.log(f"  {path.name}")

    wait("the station's event stream", lambda: window.model.live, t)
    shot("login")
    window.login.clerk_id.setText(tour.clerk_id)
    window.login.secret.setText(tour.clerk_secret)
    window.login.button.click()
    wait("the clerk signed in", lambda: window.ctx.clerk is not None, t)

    if window.model.current is not None:  # left at the window by an earlier run
        window.do(Action.NO_SHOW if window.model.current_status == "called" else Action.FINISH)
        wait("the window free", lambda: window.model.current is None and not window.model.busy,
             t)
    with StationClient(tour.station, tour.kiosk_token) as kiosk:
        issued = kiosk.issue("A", confirm=True)  # a citizen takes a ticket at the kiosk
    wait("the ticket in the waiting list",
         lambda: window.model.waiting_here > 0 and window.model.allowed(Action.CALL), t)
    window.do(Action.CALL)
    current = wait("the ticket called", lambda: window.model.current, t)
    shot("called")

    window.do(Action.START)
    view = window.acceptance
    wait("the acceptance page", lambda: window.page == "acceptance", t)
    wait("the catalogue", lambda: view.items.loaded, t)
    wait("the ID card read", lambda: view.draft.applicant.name, t)
    applicant = (view.draft.applicant.name, view.draft.applicant.id_number)
    view.items.choose(BUNDLE)
    wait("the checklist", lambda: view.draft.preview is not None
         and any(m.code == DEFERRED for m in view.draft.materials()), t)
    shot("card_and_bundle")

    for code in CAPTURED:
        view.checklist.select(code)
        def captured(code: str = code) -> bool:
            return bool(view.draft.material(code).pages)

        try:
            wait(f"a page of {code} captured by itself", captured, 20)
        except TourFailed:  # the camera's page was taken already: the clerk's button
            view.capture.capture.click()
            wait(f"a page of {code} captured", captured, t)
        if code == CAPTURED[1]:
            shot("capture")

    view.checklist.select(DEFERRED)
    view.material.findChild(QtWidgets.QPushButton, "way_defer").click()
    before = len(tour.printed())
    view.material.defer.print_button.click()
    wait("the commitment printed", lambda: len(tour.printed()) > before, t)
    view.material.defer.signed.click()
    wait("the case ready to accept", lambda: view.draft.preview is not None
         and view.draft.preview.get("ok") and not view._timer.isActive(), t)
    shot("ready")

    answers: list[dict[str, Any]] = []
    view.finished.connect(answers.append)
    rated: list[Any] = []
    window.rating.rated.connect(rated.append)
    printed_before = len(tour.printed())
    view.accept_button.click()
    case = wait("the case accepted and printed", lambda: answers, t)[0]
    wait("the receipt and the notice printed", lambda: len(tour.printed()) >= printed_before + 2,
         t)
    jobs = tour.printed()
    papers = {"commitment": jobs[before], "receipt": jobs[printed_before],
              "notice": jobs[printed_before + 1]}
    for name, job in papers.items():
        job.save(tour.out / f"{name}.png")
    rating = wait("the rating from the terminal", lambda: rated, t)[0]
    shot("rated")

    facts = {
        "ticket_number": current.get("number") or issued.get("number"),
        "receipt_number": case["receipt_no"],
        "case_id": case["id"],
        "applicant_name": applicant[0],
        "applicant_id_number": applicant[1],
        "materials": [{"name": m["name"], "state": m["state"]} for m in case["materials"]],
        "rating_level": rating.get("level"),
        "rectification_deadline": (rating.get("rectification") or {}).get("deadline"),
        "printed": {name: f"{name}.png" for name in papers},
        "screenshots": list(tour.screenshots),
    }
    return facts
