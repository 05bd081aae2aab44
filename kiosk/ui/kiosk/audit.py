"""Measures a kiosk screen as it is shown: the smallest thing to press (mm), the smallest
text (px) and the lowest text contrast (WCAG 2.x ratio), over every visible widget.

The kiosk paints with palettes from :mod:`kiosk.ui.kiosk.look` and each widget keeps the
:class:`~kiosk.ui.kiosk.look.Tone` it paints with, so a ratio here is the ratio of the
colours on the screen: a text's own colour against the ground of the nearest widget under
it that fills its background. Millimetres come from the screen's dots per inch (the
configured panel's, or what the screen reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.ui.qt import QtWidgets

from . import look
from .widgets import Text, Tile

MM_PER_INCH = 25.4


@dataclass
class Measure:
    """The worst of each measure on one screen, and where it was."""

    min_touch_mm: float = float("inf")
    min_contrast: float = float("inf")
    min_font_px: int = 10**6
    where: dict[str, str] = field(default_factory=dict)

    def touch(self, mm: float, what: str) -> None:
        if mm < self.min_touch_mm:
            self.min_touch_mm, self.where["touch"] = mm, what

    def contrast(self, ratio: float, what: str) -> None:
        if ratio < self.min_contrast:
            self.min_contrast, self.where["contrast"] = ratio, what

    def font(self, px: int, what: str) -> None:
        if px < self.min_font_px:
            self.min_font_px, self.where["font"] = px, what

    def merge(self, other: Measure, screen: str) -> None:
        """The worst of this and ``other`` (the measures of ``screen``)."""
        self.touch(other.min_touch_mm, f"{screen}: {other.where.get('touch', '')}")
        self.contrast(other.min_contrast, f"{screen}: {other.where.get('contrast', '')}")
        self.font(other.min_font_px, f"{screen}: {other.where.get('font', '')}")

    def as_dict(self) -> dict[str, Any]:
        return {"min_touch_mm": round(self.min_touch_mm, 1),
                "min_contrast": round(self.min_contrast, 2),
                "min_font_px": self.min_font_px, "where": dict(self.where)}


def _ground(widget: QtWidgets.QWidget) -> str:
    """The background colour under ``widget``: the nearest ancestor that paints one."""
    parent = widget.parentWidget()
    while parent is not None:
        tone = getattr(parent, "tone", None)
        if tone is not None and parent.autoFillBackground():
            return tone.bg
        parent = parent.parentWidget()
    return "#ffffff"


def measure(window: QtWidgets.QWidget, dpi: float) -> Measure:
    """The measures of what ``window`` shows now."""
    px_per_mm = dpi / MM_PER_INCH
    found = Measure()
    for widget in window.findChildren(QtWidgets.QWidget):
        if not widget.isVisibleTo(window) or widget.width() <= 0:
            continue
        if isinstance(widget, Tile):
            what = f"tile {widget.title!r}"
            found.touch(min(widget.width(), widget.height()) / px_per_mm, what)
            tone = widget.tone
            found.contrast(look.contrast(look.rgb(tone.fg), look.rgb(tone.bg)), what)
            for _, px, _ in widget.lines():
                found.font(px, what)
        elif isinstance(widget, Text):
            if not widget.text().strip():
                continue
            what = f"text {widget.text()[:30]!r}"
            found.contrast(look.contrast(look.rgb(widget.tone.fg),
                                         look.rgb(_ground(widget))), what)
            found.font(widget.font().pixelSize(), what)
        elif isinstance(widget, QtWidgets.QLineEdit):
            what = "text field"
            found.touch(widget.height() / px_per_mm, what)
            found.font(widget.font().pixelSize(), what)
            palette = widget.palette()
            fg, bg = palette.text().color(), palette.base().color()
            found.contrast(look.contrast((fg.red(), fg.green(), fg.blue()),
                                         (bg.red(), bg.green(), bg.blue())), what)
    return found


def screen_dpi(widget: QtWidgets.QWidget, configured: float = 0.0) -> float:
    """The configured panel's dots per inch, else what the screen reports."""
    if configured > 0:
        return configured
    screen = widget.screen() or QtWidgets.QApplication.primaryScreen()
    return float(screen.physicalDotsPerInch()) if screen is not None else 96.0
