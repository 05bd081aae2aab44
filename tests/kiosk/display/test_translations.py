"""The committed translation is complete and current: pyside6-lupdate over the screens finds
exactly the strings the ``.ts`` holds, each has its Chinese, and the committed ``.qm`` is
what pyside6-lrelease makes of the ``.ts`` (kiosk/translations/update.py refreshes both)."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from kiosk.translations import update
from kiosk.ui.qt import QtCore


def messages(ts: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(context, source) → (translation, its type attribute)."""
    out = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            out[(name, message.findtext("source") or "")] = (translation.text or "",
                                                              translation.get("type"))
    return out


def test_the_ts_holds_exactly_the_screens_strings(tmp_path: Path) -> None:
    committed = update.ts_path("zh_CN")
    fresh = tmp_path / committed.name
    shutil.copy(committed, fresh)
    update.lupdate(fresh, "zh_CN")  # adds what the code has and the file lacks, drops the rest
    assert messages(fresh) == messages(committed), "run python -m kiosk.translations.update"
    assert ("HallWindow", "Reconnecting…") in messages(committed)


def test_every_string_has_its_chinese() -> None:
    unfinished = {key: value for key, value in messages(update.ts_path("zh_CN")).items()
                  if value[1] is not None or not value[0]}
    assert unfinished == {}


def test_the_committed_qm_is_the_compiled_ts(tmp_path: Path) -> None:
    compiled = tmp_path / "fresh.qm"
    update.lrelease(update.ts_path("zh_CN"), compiled)
    assert compiled.read_bytes() == update.qm_path("zh_CN").read_bytes(), \
        "run python -m kiosk.translations.update"


def test_the_screens_speak_chinese_with_it(qapp: Any) -> None:
    translate = QtCore.QCoreApplication.translate
    assert translate("HallWindow", "Window %1").replace("%1", "3") == "3号窗口"
    assert translate("HallWindow", "Reconnecting…") == "正在重新连接…"
