"""How the counter screen looks: sizes, colours, fonts and the two-language text helpers.

The counter is a clerk's PC (1366×768 is the common screen, at about 96 dpi) used all day
from arm's length and by touch: every button is at least 56 px tall (15 mm at 96 dpi,
DESIGN.md §7), body text 18 px and nothing under 16 px, dark text on a light ground (an
office screen: a dark board suits a hall, not a desk under daylight). Colours keep WCAG
AA contrast (4.5:1) or better for every text/background pair below. Chinese first,
English second, through Qt's translation system (``kiosk.ui.i18n``).
"""

from __future__ import annotations

from kiosk.ui.i18n import both
from kiosk.ui.qt import QtCore, QtWidgets

translate = QtCore.QCoreApplication.translate

SCREEN = (1366, 768)
"""The counter PC's screen the layout is made for; screenshots are taken at this size."""
TOUCH_PX = 56
"""Smallest height of anything to press: 15 mm at 96 dpi."""
TEXT_PX = 18
SMALL_PX = 16
"""The smallest text anywhere (English second lines, the strip)."""
TICKET_PX = 72
"""The number of the ticket at the window: read at a glance from the side."""
TITLE_PX = 22

FONT_FAMILIES = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                 "Droid Sans Fallback", "sans-serif"]

BG = "#eef1f5"
PANEL = "#ffffff"
TEXT = "#111827"
SECOND = "#4b5563"  # 7.6:1 on white
LINE = "#c9d0da"
PRIMARY = "#1d4ed8"  # white text on it: 6.7:1
PRIMARY_DOWN = "#1e3a8a"
GOOD = "#15803d"  # white on it: 5.0:1
BAD = "#b91c1c"  # white on it: 6.5:1
WARN_BG = "#fff4e5"
WARN_TEXT = "#7c2d12"
INFO_BG = "#e8f0fe"
DISABLED_BG = "#e5e7eb"
DISABLED_TEXT = "#6b7280"  # 4.6:1 on DISABLED_BG: a greyed button still reads


def two(context: str, source: str) -> tuple[str, str]:
    """(Chinese, English) of ``source`` (the English) in ``context``; (English, "") with no
    translation loaded."""
    return both(translate(context, source), source)


def lines(context: str, source: str) -> str:
    """Chinese over English, for a button or a heading."""
    zh, en = two(context, source)
    return f"{zh}\n{en}" if en else zh


def inline(context: str, source: str) -> str:
    """"中文 / English" on one line."""
    zh, en = two(context, source)
    return f"{zh} / {en}" if en else zh


def fill(context: str, source: str, *args: str | tuple[str, str]) -> str:
    """"中文 / English" of a ``%1``, ``%2``… template; an argument given as (Chinese,
    English) goes into each line in its own language."""
    zh, en = two(context, source)
    for n, arg in enumerate(args, 1):
        arg_zh, arg_en = (arg, arg) if isinstance(arg, str) else arg
        zh = zh.replace(f"%{n}", arg_zh)
        en = en.replace(f"%{n}", arg_en or arg_zh)
    return f"{zh} / {en}" if en else zh


def stylesheet() -> str:
    """The whole counter window's style sheet; widgets pick a look with a ``role``
    property."""
    families = ", ".join(f'"{f}"' if " " in f else f for f in FONT_FAMILIES)
    return "\n".join([
        f"QWidget {{ font-family: {families}; font-size: {TEXT_PX}px; color: {TEXT}; }}",
        f"QWidget#counter, QStackedWidget#pages {{ background: {BG}; }}",
        f"QScrollArea[role=\"page\"], QScrollArea[role=\"page\"] > QWidget, "
        f"QScrollArea[role=\"page\"] > QWidget > QWidget {{ background: {BG}; }}",
        f"QFrame[role=\"panel\"] {{ background: {PANEL}; border: 1px solid {LINE}; "
        "border-radius: 8px; }",
        "QLabel { background: transparent; }",
        f"QLabel[role=\"second\"] {{ color: {SECOND}; font-size: {SMALL_PX}px; }}",
        f"QLabel[role=\"title\"] {{ font-size: {TITLE_PX}px; font-weight: bold; }}",
        f"QLabel[role=\"ticket\"] {{ font-size: {TICKET_PX}px; font-weight: bold; "
        f"color: {PRIMARY_DOWN}; }}",
        f"QLabel[role=\"error\"] {{ color: {BAD}; font-size: {TEXT_PX}px; }}",
        f"QPushButton {{ min-height: {TOUCH_PX}px; padding: 2px 12px; background: {PANEL}; "
        f"border: 1px solid {LINE}; border-radius: 8px; font-size: {TEXT_PX}px; }}",
        f"QPushButton:pressed {{ background: {DISABLED_BG}; }}",
        f"QPushButton:disabled {{ background: {DISABLED_BG}; color: {DISABLED_TEXT}; "
        f"border-color: {DISABLED_BG}; }}",
        f"QPushButton[role=\"primary\"] {{ background: {PRIMARY}; color: white; "
        f"border-color: {PRIMARY}; font-weight: bold; }}",
        f"QPushButton[role=\"primary\"]:pressed {{ background: {PRIMARY_DOWN}; }}",
        f"QPushButton[role=\"primary\"]:disabled {{ background: {DISABLED_BG}; "
        f"color: {DISABLED_TEXT}; border-color: {DISABLED_BG}; }}",
        "QPushButton[role=\"nav\"] { border: none; border-bottom: 4px solid transparent; "
        "border-radius: 0; background: transparent; }",
        f"QPushButton[role=\"nav\"]:checked {{ border-bottom: 4px solid {PRIMARY}; "
        f"color: {PRIMARY_DOWN}; font-weight: bold; }}",
        f"QPushButton[role=\"level\"] {{ min-height: {TOUCH_PX + 8}px; }}",
        f"QPushButton[role=\"bad\"] {{ background: {BAD}; color: white; border-color: {BAD}; }}",
        f"QLineEdit, QPlainTextEdit, QComboBox {{ min-height: {TOUCH_PX - 12}px; "
        f"padding: 4px 8px; background: {PANEL}; border: 1px solid {LINE}; "
        f"border-radius: 6px; font-size: {TEXT_PX}px; }}",
        f"QTableWidget {{ background: {PANEL}; border: 1px solid {LINE}; "
        f"gridline-color: {LINE}; font-size: {TEXT_PX}px; }}",
        f"QHeaderView::section {{ background: {BG}; border: none; "
        f"border-bottom: 1px solid {LINE}; padding: 4px 8px; font-size: {SMALL_PX}px; }}",
        f"QTableWidget::item:selected {{ background: {INFO_BG}; color: {TEXT}; }}",
    ])


def set_role(widget: QtWidgets.QWidget, role: str) -> None:
    """Give ``widget`` the look of ``role`` (re-polished, so a change shows at once)."""
    widget.setProperty("role", role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def label(text: str = "", role: str | None = None,
          parent: QtWidgets.QWidget | None = None) -> QtWidgets.QLabel:
    made = QtWidgets.QLabel(text, parent)
    if role:
        made.setProperty("role", role)
    return made


def button(text: str, role: str | None = None,
           parent: QtWidgets.QWidget | None = None) -> QtWidgets.QPushButton:
    made = QtWidgets.QPushButton(text, parent)
    made.setMinimumHeight(TOUCH_PX)
    if role:
        made.setProperty("role", role)
    return made
