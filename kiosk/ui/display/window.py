"""The hall display: a full-screen board read from across the hall.

What it shows is issue 6, "Hall display": the latest calls with the newest standing out,
each window's current number, waiting counts and estimated waits per category, the words
being spoken as a caption, a scrolling notice. How it shows it is DESIGN.md §7: body text at
least 24 px, Chinese first and English second (smaller), through Qt's translation system
(kiosk.ui.i18n). Sizes are for a 1920×1080 screen: signage reads at about 1 mm of letter
height per 200–250 mm of distance, a 55-inch screen has 0.63 mm pixels and digits are 0.73
of the font size tall, so the newest call (150 px) reads from about 15 m, the windows'
numbers (84 px, 72 px with four rows) from about 9 m and the waiting counts (64 px) from
about 7 m. On another screen everything scales with the height, never below 24 px.

While the station is away the board says so in a band at the top and greys every number
(they are the last known, not the current ones: issue 6, "Faults"). Nothing here can show a
stack trace: the screen draws from :class:`~kiosk.ui.display.model.HallBoard` only.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable

from kiosk.ui.i18n import both
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from .model import CallView, CategoryView, HallBoard, WindowView

translate = QtCore.QCoreApplication.translate
Qt = QtCore.Qt

CONTEXT = "HallWindow"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
# The board's words, marked where pyside6-lupdate finds them (a call with literals);
# shown through translate() in _t.
NOW_CALLING = QT_TRANSLATE_NOOP("HallWindow", "Now calling")
EARLIER_CALLS_TITLE = QT_TRANSLATE_NOOP("HallWindow", "Earlier calls")
WINDOWS = QT_TRANSLATE_NOOP("HallWindow", "Windows")
WAITING_NOW = QT_TRANSLATE_NOOP("HallWindow", "Waiting now")
WINDOW_N = QT_TRANSLATE_NOOP("HallWindow", "Window %1")
FREE = QT_TRANSLATE_NOOP("HallWindow", "Free")
PAUSED = QT_TRANSLATE_NOOP("HallWindow", "Paused")
CLOSED = QT_TRANSLATE_NOOP("HallWindow", "Closed")
NO_MORE_TICKETS = QT_TRANSLATE_NOOP("HallWindow", "No more tickets today")
WAITING_UNIT = QT_TRANSLATE_NOOP("HallWindow", "waiting")
MIN_WAIT_UNIT = QT_TRANSLATE_NOOP("HallWindow", "min")
RECONNECTING = QT_TRANSLATE_NOOP("HallWindow", "Reconnecting…")
STALE_NOTE = QT_TRANSLATE_NOOP("HallWindow", "The numbers below are the last known, not current.")
CONNECTING = QT_TRANSLATE_NOOP("HallWindow", "Connecting to the station…")
NO_CALLS = QT_TRANSLATE_NOOP("HallWindow", "No calls yet")
RECALL = QT_TRANSLATE_NOOP("HallWindow", "Recall")
FONT_FAMILIES = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                 "Droid Sans Fallback", "sans-serif"]
"""Noto Sans CJK is a dependency of the package (packaging/debian-packages.txt)."""
BASE_HEIGHT = 1080
MIN_TEXT_PX = 24
"""DESIGN.md §7: no text under 24 px."""
EARLIER_CALLS = 5
COMPACT_BELOW = 1000
"""Screens less tall than this (px) show a little less (see HallWindow._restyle)."""
"""Calls under the newest one (six in all, model.SHOWN_CALLS)."""
MARQUEE_PX_S = 110.0
"""Notice scroll speed at 1080 px: about four characters a second, slow enough for the
elderly to read. Unit: px/s."""

# High contrast on near-black (WCAG AAA for every text/background pair below).
BG = "#05070d"
PANEL = "#0f1626"
TEXT = "#ffffff"
SECOND = "#c7d0dd"  # English lines: still 12:1 on BG
NUMBER = "#ffd84a"
FRESH_BG = "#ffd84a"
FRESH_TEXT = "#000000"
STALE = "#7b8494"  # numbers that are not current: visibly grey, still legible
BANNER_BG = "#b3470b"
CAPTION_BG = "#13306b"
TILE = "#18223a"
WARN = "#ffb347"


def _t(source: str) -> tuple[str, str]:
    """(Chinese, English) of one of this screen's strings."""
    return both(translate(CONTEXT, source), source)


class Marquee(QtWidgets.QWidget):
    """A line of text that scrolls right to left when it is wider than the screen, and
    stands still when it fits."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._text = ""
        self._offset = 0.0
        self._speed = MARQUEE_PX_S
        self._last = time.monotonic()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(33)  # 30 frames a second: smooth enough, cheap on 2 cores
        self._timer.timeout.connect(self._step)
        self._timer.start()

    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self._offset = 0.0
            self.update()

    def set_speed(self, px_s: float) -> None:
        self._speed = px_s

    def sizeHint(self) -> QtCore.QSize:
        metrics = QtGui.QFontMetrics(self.font())
        return QtCore.QSize(200, metrics.height() + 12)

    def _text_width(self) -> int:
        return QtGui.QFontMetrics(self.font()).horizontalAdvance(self._text)

    def _step(self) -> None:
        now = time.monotonic()
        elapsed, self._last = min(now - self._last, 0.2), now
        width = self._text_width()
        if width <= self.width():
            return
        gap = self.width() // 3
        self._offset = (self._offset + self._speed * elapsed) % (width + gap)
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        rect = self.rect()
        radius = rect.height() / 6
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(PANEL))
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(QtGui.QColor(TEXT))
        painter.setFont(self.font())
        width = self._text_width()
        if width <= rect.width():
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self._text)
            return
        gap = rect.width() // 3
        x = rect.left() + 16 - int(self._offset)
        flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        while x < rect.right():
            painter.drawText(QtCore.QRect(x, rect.top(), width + 4, rect.height()), flags,
                             self._text)
            x += width + gap


class _FitLabel(QtWidgets.QLabel):
    """A one-line label whose text never widens the screen: a text too long for its width is
    set smaller (down to ``min_px``), then cut with "…"; the whole text stays in
    :meth:`full_text`, the tooltip and the accessible name."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(" ", parent)
        self._full = ""
        self.base_px: int | None = None
        self.min_px: int | None = None
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                           QtWidgets.QSizePolicy.Policy.Preferred)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        if text != self._full:
            self._full = text
            self.refit()

    def set_sizes(self, base_px: int | None, min_px: int | None = None) -> None:
        self.base_px, self.min_px = base_px, min_px
        self.refit()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self.refit()

    def refit(self) -> None:
        text = self._full or " "
        width = self.contentsRect().width()
        font = QtGui.QFont(self.font())
        size = self.base_px
        if size:
            font.setPixelSize(size)
            while (self.min_px and size > self.min_px and width > 0
                   and QtGui.QFontMetrics(font).horizontalAdvance(text) > width):
                size -= 2
                font.setPixelSize(size)
        own = f"font-size: {size}px;" if size and size != self.base_px else ""
        if self.styleSheet() != own:
            self.setStyleSheet(own)
        shown = text if width <= 0 else QtGui.QFontMetrics(font).elidedText(
            text, Qt.TextElideMode.ElideRight, width)
        if self.text() != shown:
            self.setText(shown)
        self.setAccessibleName(text)
        self.setToolTip(text if shown != text else "")


def _label(name: str, parent: QtWidgets.QWidget | None = None, *, role: str,
           align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
           fits: bool = False) -> QtWidgets.QLabel:
    """A label with a style ``role``. ``fits``: its text never widens the screen (a
    :class:`_FitLabel`: the board must fit the hall's screen whatever the names)."""
    label = _FitLabel(parent) if fits else QtWidgets.QLabel(" ", parent)
    label.setObjectName(name)
    label.setAlignment(align)
    label.setTextFormat(Qt.TextFormat.PlainText)  # text from the network is never markup
    label.setProperty("role", role)
    return label


def _role(label: QtWidgets.QLabel, role: str) -> None:
    """Change a label's style role; the style sheet only looks again when told to."""
    if label.property("role") != role:
        label.setProperty("role", role)
        label.style().unpolish(label)
        label.style().polish(label)


def _set(label: QtWidgets.QLabel, text: str) -> None:
    if isinstance(label, _FitLabel):
        label.set_full_text(text)
        return
    text = text or " "
    if label.text() != text:
        label.setText(text)


class _Title(QtWidgets.QWidget):
    """A section title: Chinese, then the English beside it, smaller."""

    def __init__(self, name: str, source: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        zh, en = _t(source)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(16)
        self.zh = _label(f"{name}_zh", self, role="title")
        self.en = _label(f"{name}_en", self, role="second")
        _set(self.zh, zh)
        _set(self.en, en)
        row.addWidget(self.zh, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.en, 0, Qt.AlignmentFlag.AlignBottom)
        row.addStretch(1)


class _WindowTile(QtWidgets.QFrame):
    """``1号窗口`` over ``综合窗口  Window 1`` on the left; on the right the number at the
    window, or why there is none (``暂停服务`` over ``Paused``)."""

    def __init__(self, number: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("window_tile")
        self.number = number
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(12, 4, 12, 4)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(0)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        self.name = _label(f"window_{number}_name", self, role="tile_name", fits=True)
        self.sub = _label(f"window_{number}_en", self, role="second", fits=True)
        self.current = _label(f"window_{number}_number", self, role="tile_number", align=right)
        self.state = _label(f"window_{number}_state", self, role="tile_state", align=right)
        self.state_en = _label(f"window_{number}_state_en", self, role="second", align=right)
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.sub, 1, 0)
        grid.addWidget(self.current, 0, 1, 2, 1)
        grid.addWidget(self.state, 0, 1)
        grid.addWidget(self.state_en, 1, 1)
        grid.setColumnStretch(0, 1)

    def show_window(self, window: WindowView) -> None:
        zh, en = _t(WINDOW_N)
        zh, en = zh.replace("%1", window.number), en.replace("%1", window.number)
        _set(self.name, zh)
        name = window.name if window.name and window.name != zh else ""
        _set(self.sub, f"{name}  {en}".strip())
        state = {"paused": PAUSED, "closed": CLOSED}.get(window.state)
        if state is None and not window.current:
            state = FREE
        self.current.setVisible(state is None)
        self.state.setVisible(state is not None)
        self.state_en.setVisible(state is not None)
        if state is None:
            _set(self.current, window.current or "—")
            _set(self.state, "")
            _set(self.state_en, "")
            return
        state_zh, state_en = _t(state)
        _set(self.current, "")
        _set(self.state, state_zh)
        _set(self.state_en, state_en)


class _CategoryCard(QtWidgets.QFrame):
    """``A 综合受理`` / ``General services`` / how many wait, and for about how long."""

    def __init__(self, prefix: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("category_card")
        p = f"category_{prefix}"
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(14, 6, 14, 6)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(0)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        self.name = _label(f"{p}_name", self, role="card_name", fits=True)
        self.name_en = _label(f"{p}_name_en", self, role="second", fits=True)
        self.waiting = _label(f"{p}_waiting", self, role="card_number", align=right)
        self.waiting_unit = _label(f"{p}_waiting_unit", self, role="unit")
        self.wait = _label(f"{p}_wait", self, role="card_number", align=right)
        self.wait_unit = _label(f"{p}_wait_unit", self, role="unit")
        grid.addWidget(self.name, 0, 0, 1, 4)
        grid.addWidget(self.name_en, 1, 0, 1, 4)
        grid.addWidget(self.waiting, 2, 0)
        grid.addWidget(self.waiting_unit, 2, 1)
        grid.addWidget(self.wait, 2, 2)
        grid.addWidget(self.wait_unit, 2, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

    def show_category(self, category: CategoryView) -> None:
        _set(self.name, f"{category.prefix}  {category.name}")
        if category.open_now:
            _set(self.name_en, category.name_en)
        else:
            closed_zh, closed_en = _t(NO_MORE_TICKETS)
            _set(self.name_en, f"{closed_zh}  {closed_en}".strip())
        _set(self.waiting, str(category.waiting))
        waiting_zh, waiting_en = _t(WAITING_UNIT)
        _set(self.waiting_unit, f"{waiting_zh}\n{waiting_en}".strip())
        minutes = category.wait_minutes
        _set(self.wait, "—" if minutes is None else str(minutes))
        wait_zh, wait_en = _t(MIN_WAIT_UNIT)
        _set(self.wait_unit, f"{wait_zh}\n{wait_en}".strip())


class HallWindow(QtWidgets.QWidget):
    """The board. Call :meth:`refresh` after the board changed (the screen also looks for
    changes four times a second, for the newest call's highlight and the clock).

    :param board: what to show.
    :param clock: monotonic seconds (the newest call stands out for a while).
    :param wall_clock: local time for the clock in the corner.
    """

    def __init__(self, board: HallBoard, *, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], dt.datetime] = dt.datetime.now,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.board = board
        self._clock = clock
        self._wall_clock = wall_clock
        self._drawn: tuple[object, ...] | None = None
        self._style_key: tuple[object, ...] | None = None
        self._sizes: dict[str, int] = {}
        self.setObjectName("hall")
        self.setWindowTitle("便民叫号 / Hall display")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._build()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    # -- building

    def _build(self) -> None:
        root = QtWidgets.QVBoxLayout(self)
        root.setContentsMargins(24, 10, 24, 8)
        root.setSpacing(8)
        # The screen's size is the board's size: the layout must never grow the window for
        # a moment's larger minimum (new tiles before their sizes are set), as a top-level
        # window does not shrink back. That it all fits is what the tests check.
        root.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
        self._root = root

        # The header and the connection banner take turns in one place: while the station
        # is away, what the hall needs to know is that, not the clock.
        self.header = QtWidgets.QWidget(self)
        header = QtWidgets.QHBoxLayout(self.header)
        header.setContentsMargins(0, 0, 0, 0)
        self.site_name = _label("site_name", self.header, role="header", fits=True)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        self.date_label = _label("date", self.header, role="second", align=right)
        self.clock_label = _label("clock", self.header, role="header", align=right)
        header.addWidget(self.site_name, 1)
        header.addWidget(self.date_label)
        header.addWidget(self.clock_label)
        root.addWidget(self.header)

        self.banner = QtWidgets.QFrame(self)
        self.banner.setObjectName("banner")
        banner = QtWidgets.QVBoxLayout(self.banner)
        banner.setContentsMargins(24, 8, 24, 8)
        banner.setSpacing(0)
        self.banner_title = _label("connection_banner", self.banner, role="banner",
                                   fits=True)
        self.banner_detail = _label("connection_detail", self.banner, role="banner_detail",
                                    fits=True)
        banner.addWidget(self.banner_title)
        banner.addWidget(self.banner_detail)
        root.addWidget(self.banner)

        main = QtWidgets.QHBoxLayout()
        main.setSpacing(16)
        main.addWidget(self._build_calls(), 10)
        self.windows_panel = self._build_windows()
        main.addWidget(self.windows_panel, 11)
        root.addLayout(main, 1)

        self.categories_panel = QtWidgets.QFrame(self)
        self.categories_panel.setObjectName("panel")
        self.cards_row = QtWidgets.QHBoxLayout(self.categories_panel)
        self.cards_row.setContentsMargins(12, 10, 12, 10)
        self.cards_row.setSpacing(12)
        self._cards: dict[str, _CategoryCard] = {}
        root.addWidget(self.categories_panel)

        self.caption_band = QtWidgets.QFrame(self)
        self.caption_band.setObjectName("caption_band")
        band = QtWidgets.QVBoxLayout(self.caption_band)
        band.setContentsMargins(24, 2, 24, 4)
        band.setSpacing(0)
        center = Qt.AlignmentFlag.AlignCenter
        self.caption = _label("caption", self.caption_band, role="caption", align=center,
                              fits=True)
        self.caption_en = _label("caption_en", self.caption_band, role="caption_en",
                                 align=center, fits=True)
        band.addWidget(self.caption)
        band.addWidget(self.caption_en)
        root.addWidget(self.caption_band)

        self.marquee = Marquee(self)
        self.marquee.setObjectName("marquee")
        root.addWidget(self.marquee)

        self.device_warning = _label("device_warning", self, role="warning", fits=True)
        root.addWidget(self.device_warning)

    def _build_calls(self) -> QtWidgets.QWidget:
        panel = QtWidgets.QFrame(self)
        panel.setObjectName("panel")
        box = QtWidgets.QVBoxLayout(panel)
        box.setContentsMargins(20, 6, 20, 10)
        box.setSpacing(4)
        box.addWidget(_Title("calls_title", NOW_CALLING, panel))

        self.newest = QtWidgets.QFrame(panel)
        self.newest.setObjectName("newest")
        row = QtWidgets.QGridLayout(self.newest)
        row.setContentsMargins(24, 4, 24, 4)
        row.setHorizontalSpacing(32)
        row.setVerticalSpacing(0)
        self.newest_number = _label("newest_number", self.newest, role="newest_number")
        self.newest_window = _label("newest_window", self.newest, role="newest_window",
                                    fits=True)
        self.newest_window_en = _label("newest_window_en", self.newest, role="newest_en",
                                       fits=True)
        row.addWidget(self.newest_number, 0, 0, 2, 1)
        row.addWidget(self.newest_window, 0, 1, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.newest_window_en, 1, 1, Qt.AlignmentFlag.AlignTop)
        row.setColumnStretch(1, 1)
        box.addWidget(self.newest, 1)

        self.earlier_title = _Title("earlier_title", EARLIER_CALLS_TITLE, panel)
        box.addWidget(self.earlier_title)
        grid = QtWidgets.QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(0)
        self.earlier: list[QtWidgets.QLabel] = []
        for i in range(EARLIER_CALLS):
            label = _label(f"call_{i + 1}", panel, role="earlier", fits=True)
            grid.addWidget(label, i // 2, i % 2)  # newest first, read left to right
            self.earlier.append(label)
        box.addLayout(grid)
        return panel

    def _build_windows(self) -> QtWidgets.QWidget:
        panel = QtWidgets.QFrame(self)
        panel.setObjectName("panel")
        box = QtWidgets.QVBoxLayout(panel)
        box.setContentsMargins(20, 6, 20, 10)
        box.setSpacing(4)
        box.addWidget(_Title("windows_title", WINDOWS, panel))
        self.tiles_grid = QtWidgets.QGridLayout()
        self.tiles_grid.setSpacing(8)
        box.addLayout(self.tiles_grid, 1)  # the tiles share the panel's height
        self._tiles: dict[str, _WindowTile] = {}
        return panel

    # -- drawing

    def refresh(self) -> None:
        """Redraw what changed since the last call (cheap when nothing did)."""
        board = self.board
        fresh = board.is_fresh(self._clock())
        stamp = self._wall_clock()
        key = (board.version, fresh, stamp.strftime("%Y-%m-%d %H:%M"), self.width(),
               self.height())
        self._restyle(fresh)
        if key == self._drawn:
            return
        self._drawn = key
        _set(self.clock_label, stamp.strftime("%H:%M"))
        _set(self.date_label, stamp.strftime("%Y-%m-%d"))
        _set(self.site_name, board.site_name)
        self._draw_banner()
        self._draw_calls()
        self._draw_windows()
        self._draw_categories()
        self._draw_caption()
        self.marquee.set_text(board.notice)
        self.marquee.setVisible(bool(board.notice))
        # Why the station is away is for the staff, not the hall: the small line at the
        # bottom, with the devices' troubles.
        warnings = [board.connection_reason] if board.connection_reason and not board.live \
            else []
        warnings += list(board.device_warnings.values())
        _set(self.device_warning, "⚠ " + "；  ".join(warnings) if warnings else "")
        self.device_warning.setVisible(bool(warnings))
        if self._style_key is None:
            # new tiles or cards: size them now, before the layout grows the window for
            # labels that do not have their sizes yet
            self._restyle(fresh)

    def _draw_banner(self) -> None:
        board = self.board
        self.header.setVisible(board.live)
        self.banner.setVisible(not board.live)
        if board.live:
            return
        if board.synced:
            title_zh, title_en = _t(RECONNECTING)
            note_zh, note_en = _t(STALE_NOTE)
            detail = f"{note_zh} {note_en}".strip()
        else:
            title_zh, title_en = _t(CONNECTING)
            detail = ""
        _set(self.banner_title, f"{title_zh}  {title_en}".strip())
        _set(self.banner_detail, detail)
        self.banner_detail.setVisible(bool(detail))

    def _draw_calls(self) -> None:
        calls = self.board.shown_calls
        if calls:
            newest = calls[0]
            _set(self.newest_number, newest.number)
            zh, en = self._window_words(newest)
            _set(self.newest_window, zh)
            if newest.recall:  # first, so that a narrow screen cuts the window's English
                recall_zh, recall_en = _t(RECALL)
                en = f"{recall_zh} {recall_en}  ·  {en}".strip()
            _set(self.newest_window_en, en)
        else:
            _set(self.newest_number, "")
            zh, en = _t(NO_CALLS)
            _set(self.newest_window, zh)
            _set(self.newest_window_en, en)
        self.earlier_title.setVisible(len(calls) > 1 and self.height() >= COMPACT_BELOW)
        for i, label in enumerate(self.earlier):
            call = calls[i + 1] if i + 1 < len(calls) else None
            if call is None or not label.isVisibleTo(self):
                _set(label, "")
                continue
            zh, _ = self._window_words(call)
            mark = _t(RECALL)[0] if call.recall else ""
            _set(label, f"{call.number} → {zh}{mark}")

    @staticmethod
    def _window_words(call: CallView) -> tuple[str, str]:
        zh, en = _t(WINDOW_N)
        return zh.replace("%1", call.window), en.replace("%1", call.window)

    def _draw_windows(self) -> None:
        windows = self.board.shown_windows
        numbers = [w.number for w in windows]
        if list(self._tiles) != numbers:
            for tile in self._tiles.values():
                self.tiles_grid.removeWidget(tile)
                tile.deleteLater()
            self._tiles = {}
            columns = 2 if len(numbers) <= 8 else 3
            for i, number in enumerate(numbers):
                tile = _WindowTile(number, self)
                self.tiles_grid.addWidget(tile, i // columns, i % columns)
                self._tiles[number] = tile
            self._style_key = None  # new labels need the sizes of the current scale
        self.windows_panel.setVisible(bool(windows))  # none before the first snapshot
        for window in windows:
            self._tiles[window.number].show_window(window)

    def _draw_categories(self) -> None:
        categories = self.board.shown_categories
        prefixes = [c.prefix for c in categories]
        if list(self._cards) != prefixes:
            for card in self._cards.values():
                self.cards_row.removeWidget(card)
                card.deleteLater()
            self._cards = {}
            for prefix in prefixes:
                card = _CategoryCard(prefix, self)
                self.cards_row.addWidget(card, 1)
                self._cards[prefix] = card
            self._style_key = None
        self.categories_panel.setVisible(bool(prefixes))
        for category in categories:
            self._cards[category.prefix].show_category(category)

    def _draw_caption(self) -> None:
        board = self.board
        self.caption_band.setVisible(bool(board.caption))
        _set(self.caption, board.caption)
        call = board.caption_call
        if call is None:
            _set(self.caption_en, "")
            return
        en = f"Number {call.number}, please go to window {call.window}"
        _set(self.caption_en, f"Recall: {en}" if call.recall else en)

    # -- style

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._style_key = None
        self.refresh()

    def _restyle(self, fresh: bool) -> None:
        unit = max(0.4, min(self.height() / BASE_HEIGHT, self.width() / 1920))
        key = (round(unit, 3), self.height() < COMPACT_BELOW, self.board.stale, fresh,
               len(self._tiles), len(self._cards))
        if key == self._style_key:
            return
        self._style_key = key
        self._sizes = sizes(unit, windows=len(self._tiles), categories=len(self._cards))
        # Under 1000 lines the 24 px floor leaves no room for everything: the earlier calls
        # lose their title and their last row (four instead of five), spacing tightens.
        compact = self.height() < COMPACT_BELOW
        self.earlier_title.setVisible(not compact and len(self.board.shown_calls) > 1)
        for label in self.earlier[4:]:
            label.setVisible(not compact)
        self._root.setSpacing(4 if compact else 8)
        self._root.setContentsMargins(24, 4 if compact else 10, 24, 4 if compact else 8)
        self.setStyleSheet(stylesheet(self._sizes, stale=self.board.stale, fresh=fresh,
                                      radius=_px(12, unit)))
        # Big text in a CJK font has a line 1.45 times its size, mostly empty above and
        # below digits; these labels are cut shorter (TIGHT_ROLES) so the hall's numbers
        # can be large and the board still fits 1080 px.
        for label in self.findChildren(QtWidgets.QLabel):
            role = str(label.property("role"))
            if role in TIGHT_ROLES:
                label.setFixedHeight(round(self._sizes[role] * TIGHT_ROLES[role]))
            if isinstance(label, _FitLabel):
                label.set_sizes(self._sizes.get(role),
                                self._sizes["caption_min"] if role == "caption" else None)
        font = QtGui.QFont()
        font.setFamilies(FONT_FAMILIES)
        font.setPixelSize(self._sizes["marquee"])
        self.marquee.setFont(font)
        self.marquee.set_speed(MARQUEE_PX_S * unit)
        self.marquee.setFixedHeight(QtGui.QFontMetrics(font).height() + 8)


TIGHT_ROLES = {"newest_number": 1.15, "newest_window": 1.15, "tile_number": 1.15,
               "card_number": 1.15, "caption": 1.2, "header": 1.32, "banner": 1.32}
"""Label roles cut to this many times their font size: capitals, digits and Hanzi stay
whole at 1.15; lines with lower-case English keep their descenders (g, p, y) at 1.32."""


def _px(base: float, unit: float) -> int:
    """A size at this screen's scale, never under the 24 px floor."""
    return max(MIN_TEXT_PX, round(base * unit))


def sizes(unit: float, *, windows: int = 7, categories: int = 4) -> dict[str, int]:
    """Font sizes in px per label role, at a scale (1.0 = a 1080 px high screen)."""
    rows = max(1, math.ceil(windows / (2 if windows <= 8 else 3)))
    crowded = min(1.0, 4 / max(rows, 1))  # more than four rows of windows: smaller tiles
    card = min(1.0, 4 / max(categories, 1))
    out = {
        "header": 38, "second": 24, "title": 32, "banner": 44, "banner_detail": 26,
        "newest_number": 150, "newest_window": 84, "newest_en": 32, "earlier": 46,
        "tile_name": 32 * crowded, "tile_number": 84 if rows <= 3 else 72 * crowded,
        "tile_state": 34 * crowded,
        "card_name": 32 * card, "card_number": 64 * card, "unit": 24,
        "caption": 54, "caption_min": 32, "caption_en": 28, "warning": 24, "marquee": 34,
        "label": 28,
    }
    return {role: _px(px, unit) for role, px in out.items()}


def stylesheet(px: dict[str, int], *, stale: bool, fresh: bool, radius: int = 12) -> str:
    """The board's look at the sizes of :func:`sizes`. ``stale`` greys every number;
    ``fresh`` lights up the newest call."""
    number = STALE if stale else NUMBER
    text = STALE if stale else TEXT
    newest_bg = FRESH_BG if fresh else PANEL
    newest_fg = FRESH_TEXT if fresh else number
    newest_window_fg = FRESH_TEXT if fresh else text
    newest_en_fg = FRESH_TEXT if fresh else SECOND
    families = ", ".join(f'"{f}"' if " " in f else f for f in FONT_FAMILIES)

    def role(name: str, extra: str = "") -> str:
        return f'QLabel[role="{name}"] {{ font-size: {px[name]}px; {extra} }}'

    return "\n".join([
        f"QWidget#hall {{ background: {BG}; }}",
        f"QWidget {{ font-family: {families}; color: {TEXT}; }}",
        f"QFrame#panel {{ background: {PANEL}; border-radius: {radius}px; }}",
        f"QFrame#newest {{ background: {newest_bg}; border-radius: {radius}px; }}",
        f"QFrame#window_tile, QFrame#category_card {{ background: {TILE}; "
        f"border-radius: {radius}px; }}",
        f"QFrame#banner {{ background: {BANNER_BG}; border-radius: {radius}px; }}",
        f"QFrame#caption_band {{ background: {CAPTION_BG}; border-radius: {radius}px; }}",
        f"QLabel {{ background: transparent; font-size: {px['label']}px; }}",
        role("header", "font-weight: bold;"),
        role("second", f"color: {SECOND};"),
        role("title", "font-weight: bold;"),
        role("banner", "font-weight: bold;"),
        role("banner_detail"),
        role("newest_number", f"color: {newest_fg}; font-weight: bold;"),
        role("newest_window", f"color: {newest_window_fg}; font-weight: bold;"),
        role("newest_en", f"color: {newest_en_fg};"),
        role("earlier", f"color: {text};"),
        role("tile_name", "font-weight: bold;"),
        role("tile_number", f"color: {number}; font-weight: bold;"),
        role("tile_state", f"color: {SECOND};"),
        role("card_name", "font-weight: bold;"),
        role("card_number", f"color: {number}; font-weight: bold;"),
        role("unit", f"color: {SECOND};"),
        role("caption", f"color: {NUMBER}; font-weight: bold;"),
        role("caption_en", f"color: {TEXT};"),
        role("warning", f"color: {WARN};"),
    ])
