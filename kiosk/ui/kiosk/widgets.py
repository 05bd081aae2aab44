"""The kiosk's few building blocks: a tile to press, a line of text, a number pad and a
page that rebuilds itself from its state.

Each widget paints with the colours of one :class:`~kiosk.ui.kiosk.look.Tone` and keeps it
(``widget.tone``), so the accessibility audit measures what is painted, not a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from . import look
from .look import Theme, Tone


def paint_ground(widget: QtWidgets.QWidget, tone: Tone) -> None:
    """Fill ``widget``'s background with ``tone.bg`` and write on it in ``tone.fg``."""
    palette = widget.palette()
    palette.setColor(QtGui.QPalette.ColorRole.Window, look.color(tone.bg))
    palette.setColor(QtGui.QPalette.ColorRole.WindowText, look.color(tone.fg))
    palette.setColor(QtGui.QPalette.ColorRole.Base, look.color("#ffffff"))
    palette.setColor(QtGui.QPalette.ColorRole.Text, look.color("#000000"))
    widget.setPalette(palette)
    widget.setAutoFillBackground(True)
    widget.tone = tone  # type: ignore[attr-defined]


class Text(QtWidgets.QLabel):
    """Words on the ground of the widget under them, in that ground's tone."""

    def __init__(self, text: str, px: int, tone: Tone, *, bold: bool = False,
                 align: QtCore.Qt.AlignmentFlag = QtCore.Qt.AlignmentFlag.AlignLeft,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(text, parent)
        self.tone = tone
        self.setFont(look.font(px, bold=bold))
        self.setWordWrap(True)
        self.setAlignment(align | QtCore.Qt.AlignmentFlag.AlignVCenter)
        palette = self.palette()
        palette.setColor(QtGui.QPalette.ColorRole.WindowText, look.color(tone.fg))
        self.setPalette(palette)
        self.setTextFormat(QtCore.Qt.TextFormat.PlainText)


class Tile(QtWidgets.QAbstractButton):
    """A large button: a title and an optional line under it, painted on its own ground.
    A disabled tile says why on its second line (``why``)."""

    def __init__(self, title: str, theme: Theme, *, subtitle: str = "", tone: Tone | None = None,
                 big: bool = False, height: int | None = None,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.title = title
        self.subtitle = subtitle
        self.why = ""
        self.enabled_tone = tone or theme.plain
        self.title_px = theme.tile_px if big else theme.body_px
        self.sub_px = theme.small_px
        self.setText(title)
        self.setAccessibleName(title)
        self.setMinimumHeight(height or (theme.tile_h if big else theme.touch_px))
        self.setMinimumWidth(theme.touch_px)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                           QtWidgets.QSizePolicy.Policy.Fixed if not big
                           else QtWidgets.QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)

    @property
    def tone(self) -> Tone:
        return self.enabled_tone if self.isEnabled() else self.theme.disabled

    def disable(self, why: str) -> None:
        self.why = why
        self.setEnabled(False)
        self.update()

    def enable(self) -> None:
        self.why = ""
        self.setEnabled(True)
        self.update()

    def lines(self) -> list[tuple[str, int, bool]]:
        """(text, px, bold) of what the tile shows, top to bottom."""
        shown = [(self.title, self.title_px, True)]
        second = self.why if not self.isEnabled() and self.why else self.subtitle
        if second:
            shown.append((second, self.sub_px, False))
        return shown

    def sizeHint(self) -> QtCore.QSize:
        shown = self.lines()
        metrics = [QtGui.QFontMetrics(look.font(px, bold=b)) for _, px, b in shown]
        height = sum(m.height() for m in metrics) + 2 * self.theme.gap
        width = max(m.horizontalAdvance(text) for m, (text, _, _) in zip(metrics, shown,
                                                                          strict=True))
        return QtCore.QSize(max(self.minimumWidth(), width + 2 * self.theme.gap),
                            max(self.minimumHeight(), height))

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        tone = self.tone
        ground = look.color(tone.bg)
        if self.isDown():
            ground = ground.darker(115)
        # a light tile on a light page needs its outline; a coloured one is its own edge
        painter.setPen(QtGui.QPen(look.color(tone.fg), 2) if tone is self.theme.plain
                       else QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(ground)
        painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 16, 16)
        painter.setPen(look.color(tone.fg))
        inner = self.rect().adjusted(self.theme.gap, self.theme.gap // 2,
                                     -self.theme.gap, -self.theme.gap // 2)
        shown = self.lines()
        heights = []
        for text, px, bold in shown:
            metrics = QtGui.QFontMetrics(look.font(px, bold=bold))
            heights.append(metrics.boundingRect(inner, int(QtCore.Qt.TextFlag.TextWordWrap),
                                                text).height())
        y = inner.top() + max(0, (inner.height() - sum(heights)) // 2)
        for (text, px, bold), h in zip(shown, heights, strict=True):
            painter.setFont(look.font(px, bold=bold))
            painter.drawText(QtCore.QRect(inner.left(), y, inner.width(), h),
                             int(QtCore.Qt.AlignmentFlag.AlignCenter
                                 | QtCore.Qt.TextFlag.TextWordWrap), text)
            y += h
        painter.end()


class Keypad(QtWidgets.QWidget):
    """Digits (or letters) to press, for a phone number or pinyin initials: no system
    keyboard opens on a locked kiosk."""

    def __init__(self, keys: Sequence[str], theme: Theme, on_key: Callable[[str], None], *,
                 columns: int = 3, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        grid = QtWidgets.QGridLayout(self)
        grid.setSpacing(theme.gap // 2)
        grid.setContentsMargins(0, 0, 0, 0)
        self.keys: dict[str, Tile] = {}
        for n, key in enumerate(keys):
            tile = Tile(key, theme, tone=theme.plain)
            tile.title_px = theme.title_px if len(key) <= 2 else theme.body_px
            tile.clicked.connect(lambda _=False, k=key: on_key(k))
            grid.addWidget(tile, n // columns, n % columns)
            self.keys[key] = tile


def clear_layout(layout: QtWidgets.QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())
