"""With no material chosen the camera's picture asks for one; it says the camera is
starting only when a material is chosen and the camera is on its way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.kiosk.station.case_station import CaseStation, case_station

from .test_view import Page, wait_until


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("idle") / "site") as made:
        yield made


def test_the_empty_picture_asks_for_a_material(qapp: Any, station: CaseStation) -> None:
    page = Page(station)
    try:
        view = page.view
        page.begin(None)
        assert view.capture.preview._idle
        assert not view.capture.running
        page.choose_bundle_by_initials()
        page.select("M008")
        wait_until(lambda: page.scanner is not None and page.scanner.running)
        assert not view.capture.preview._idle
        view.reset()
        assert view.capture.preview._idle  # the case is gone: nothing is being captured
    finally:
        page.close()
