"""How the citizen kiosk looks, in its two modes: normal and 大字模式 (elderly mode).

The kiosk is a standing touchscreen (a 32-inch portrait panel, 1080×1920, is the common
取号机) read from half a metre by people who may see poorly. Its measured promises (issue 9;
the tour checks them on every screen, :mod:`kiosk.ui.kiosk.audit`): nothing to press under
15 mm, body text 24 px or more (32 px in elderly mode), text contrast 4.5:1 or more (7:1 in
elderly mode) as WCAG 2.x computes contrast. Colours are set through palettes, not style
sheets, so that the audit reads exactly the colours the screen paints.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.ui.qt import QtGui

SCREEN = (1080, 1920)
"""The panel the layout is made for (portrait); screenshots are taken at this size."""

FONT_FAMILIES = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                 "Droid Sans Fallback", "sans-serif"]

MIN_TOUCH_MM = 15.0
MIN_CONTRAST = 4.5
MIN_CONTRAST_ELDERLY = 7.0
MIN_FONT_PX = 24
MIN_FONT_PX_ELDERLY = 32


@dataclass(frozen=True)
class Tone:
    """A text colour on its ground."""

    fg: str
    bg: str


@dataclass(frozen=True)
class Theme:
    """Sizes (px) and colours of one mode."""

    elderly: bool
    body_px: int
    small_px: int
    """The smallest text on the screen (English second lines, hints)."""
    title_px: int
    tile_px: int
    huge_px: int
    """A ticket number on the screen."""
    touch_px: int
    """The smallest height (and width) of anything to press."""
    tile_h: int
    gap: int
    per_page: int
    """List entries on one screen (fewer in elderly mode)."""
    page: Tone
    panel: Tone
    second: Tone
    primary: Tone
    plain: Tone
    warn: Tone
    bad: Tone
    good: Tone
    disabled: Tone
    header: Tone


NORMAL = Theme(
    elderly=False, body_px=26, small_px=24, title_px=40, tile_px=38, huge_px=120,
    touch_px=96, tile_h=200, gap=20, per_page=6,
    page=Tone("#111827", "#eef2f7"),        # 15.8:1
    panel=Tone("#111827", "#ffffff"),       # 17.7:1
    second=Tone("#374151", "#ffffff"),      # 10.3:1
    primary=Tone("#ffffff", "#1d4ed8"),     # 6.7:1
    plain=Tone("#0f2a5f", "#ffffff"),       # 13.9:1
    warn=Tone("#7c2d12", "#fff4e5"),        # 8.6:1
    bad=Tone("#ffffff", "#b91c1c"),         # 6.5:1
    good=Tone("#ffffff", "#166534"),        # 7.1:1
    disabled=Tone("#4b5563", "#e5e7eb"),    # 6.1:1: a greyed tile still reads
    header=Tone("#ffffff", "#1e3a8a"),      # 10.4:1
)

ELDERLY = Theme(
    elderly=True, body_px=36, small_px=32, title_px=52, tile_px=50, huge_px=160,
    touch_px=130, tile_h=260, gap=24, per_page=3,
    page=Tone("#000000", "#ffffff"),        # 21:1
    panel=Tone("#000000", "#e8edf3"),       # 17.8:1, set off from the white page
    second=Tone("#1f2937", "#e8edf3"),      # 12.5:1
    primary=Tone("#ffffff", "#1e3a8a"),     # 10.4:1
    plain=Tone("#000000", "#fef3c7"),       # 18.9:1, a warm ground that stands out
    warn=Tone("#000000", "#fde68a"),        # 16.9:1
    bad=Tone("#ffffff", "#7f1d1d"),         # 10.0:1
    good=Tone("#ffffff", "#14532d"),        # 9.1:1
    disabled=Tone("#1f2937", "#d1d5db"),    # 10.0:1
    header=Tone("#ffffff", "#000000"),      # 21:1
)


def theme(elderly: bool) -> Theme:
    return ELDERLY if elderly else NORMAL


def font(px: int, *, bold: bool = False) -> QtGui.QFont:
    made = QtGui.QFont()
    made.setFamilies(FONT_FAMILIES)
    made.setPixelSize(px)
    made.setBold(bold)
    return made


def color(hex_rgb: str) -> QtGui.QColor:
    return QtGui.QColor(hex_rgb)


def _linear(channel: float) -> float:
    c = channel / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    r, g, b = (_linear(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    """WCAG 2.x contrast ratio, 1.0 (none) to 21.0 (black on white)."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def rgb(hex_rgb: str) -> tuple[int, int, int]:
    c = QtGui.QColor(hex_rgb)
    return c.red(), c.green(), c.blue()
