"""The kiosk's two languages, switched by the citizen: 中文 (the default) or English.

The words are the screens' English sources, marked with ``QT_TRANSLATE_NOOP("Kiosk", …)`` so
that ``pyside6-lupdate`` collects them into ``kiosk/translations/bianmin_zh_CN.ts`` (docs/
display.md says how to update it). The kiosk keeps its own :class:`QtCore.QTranslator`
rather than installing one for the process: in ``bianmin demo`` the counter and the hall
display share the process and stay in Chinese while a citizen reads the kiosk in English.

Every word shown is remembered, and those without a Chinese translation are listed
(:attr:`Language.untranslated`): the tour reports them, and a test wants none.
"""

from __future__ import annotations

from kiosk.ui.i18n import CATALOGUE, LOCALE, TRANSLATIONS
from kiosk.ui.qt import QtCore

CONTEXT = "Kiosk"
LANGUAGES = ("zh", "en")


class Language:
    """Which language the screens show now, and the words they showed."""

    def __init__(self, code: str = "zh", translator: QtCore.QTranslator | None = None):
        if code not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {code!r}")
        self.code = code
        self._zh = translator if translator is not None else load_chinese()
        self.untranslated: set[str] = set()

    @property
    def chinese(self) -> bool:
        return self.code == "zh"

    def toggle(self) -> None:
        self.code = "en" if self.code == "zh" else "zh"

    def t(self, source: str, *args: object) -> str:
        """``source`` in the current language, ``%1``, ``%2``… filled in."""
        text = source
        if self.code == "zh":
            found = self._zh.translate(CONTEXT, source) if self._zh is not None else ""
            if found:
                text = found
            elif any(ch.isalpha() for ch in source):
                self.untranslated.add(source)
        for n, arg in enumerate(args, 1):
            text = text.replace(f"%{n}", str(arg))
        return text

    def pick(self, zh: str, en: str) -> str:
        """Data that comes in both languages (a catalogue name and its ``name_en``): the
        current one, or the Chinese when the English is missing."""
        return en if self.code == "en" and en else zh

    def half(self, message: str) -> str:
        """The station's and the devices' messages are "中文 / English": the current
        language's half (the whole message when it has no " / ")."""
        if " / " not in message:
            return message
        zh, en = message.split(" / ", 1)
        return zh if self.code == "zh" else en


def load_chinese() -> QtCore.QTranslator | None:
    translator = QtCore.QTranslator()
    if not translator.load(f"{CATALOGUE}_{LOCALE}", str(TRANSLATIONS)):
        return None
    return translator
