"""Chinese first, English second, through Qt's translation system (DESIGN.md §7).

The screens' source strings are English; ``kiosk/translations/bianmin_zh_CN.ts`` holds
their Chinese, compiled to ``bianmin_zh_CN.qm`` (both committed; docs/display.md says how
to update them and tests/kiosk/display/test_translations.py fails when they drift). A
screen shows ``translate(context, source)`` large and the English source under it, smaller.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.ui.qt import QtCore

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
"""Package data: the committed ``.ts`` sources and the compiled ``.qm`` files."""
CATALOGUE = "bianmin"
LOCALE = "zh_CN"


def install_translator(app: QtCore.QCoreApplication, locale: str = LOCALE,
                       folder: Path = TRANSLATIONS) -> QtCore.QTranslator | None:
    """Load ``bianmin_<locale>.qm`` into ``app``; None when it is missing (the screens then
    show their English source text only, rather than failing)."""
    translator = QtCore.QTranslator(app)
    if not translator.load(f"{CATALOGUE}_{locale}", str(folder)):
        return None
    app.installTranslator(translator)
    return translator


def both(zh: str, en: str) -> tuple[str, str]:
    """(first line, second line): the Chinese and the English, or the English once when no
    translation is loaded (the same text twice would only be noise)."""
    return (zh, en) if zh != en else (en, "")
