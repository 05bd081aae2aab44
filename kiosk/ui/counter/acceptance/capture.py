"""Capturing one material with the document camera (高拍仪): the live preview with the
detected page outlined and the auto-capture hint, the clerk's capture button, and the strip
of pages taken (reorder ◀ ▶, delete, retake).

Threads: the scanner port calls back from the camera's threads. A preview is turned into a
``QImage`` there (its own copy of the pixels: the numpy frame is reused or freed once the
callback returns) and only the newest one waits for the GUI thread, so a slow paint never
queues frames; a page's thumbnail is decoded there too. Both reach the screen through
``runner.post`` (kiosk/ui/runner.py). The camera runs only while a material is being
captured (issue 7, "Capture"): :meth:`CapturePanel.bind` starts it for a captured-type
material and stops it for anything else.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import numpy as np

from kiosk.counter_ports import DeviceStatus, Page, Preview, ScannerPort
from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from .draft import MaterialDraft, PageDraft

Qt = QtCore.Qt
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP

CAPTURE_NOW = QT_TRANSLATE_NOOP("CounterAcceptance", "Capture now")
RETAKE = QT_TRANSLATE_NOOP("CounterAcceptance", "Retake")
DELETE = QT_TRANSLATE_NOOP("CounterAcceptance", "Delete")
LEFT = QT_TRANSLATE_NOOP("CounterAcceptance", "◀ Earlier")
RIGHT = QT_TRANSLATE_NOOP("CounterAcceptance", "Later ▶")
PAGE_N = QT_TRANSLATE_NOOP("CounterAcceptance", "Page %1")
NO_CAMERA = QT_TRANSLATE_NOOP("CounterAcceptance", "Document camera not connected")
NO_CAMERA_HINT = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Check its USB cable and restart the counter; meanwhile mark the material "
    "waived or deferred where allowed, everything else works")
WAITING = QT_TRANSLATE_NOOP("CounterAcceptance", "Starting the camera…")
CHOOSE_MATERIAL = QT_TRANSLATE_NOOP("CounterAcceptance", "Choose a material on the list")
NO_PAGES = QT_TRANSLATE_NOOP("CounterAcceptance", "No page yet: lay the page under the camera")

CTX = "CounterAcceptance"
OUTLINE = {"stable": look.GOOD, "captured": look.GOOD, "busy": "#d97706",
           "locked": look.PRIMARY, "idle": "#9ca3af"}
"""The detected page's outline by auto-capture state: green when it is taken or about to be."""
THUMB_H = 90
"""Thumbnails in the strip (the port sends them at most 160 px tall). Unit: px."""


def preview_image(rgb: object) -> QtGui.QImage:
    """A ``QImage`` owning a copy of ``rgb`` (numpy uint8, HxWx3 RGB or HxW grey)."""
    array = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = array.shape[:2]
    fmt = QtGui.QImage.Format.Format_RGB888 if array.ndim == 3 else \
        QtGui.QImage.Format.Format_Grayscale8
    return QtGui.QImage(array.data, width, height, array.strides[0], fmt).copy()


class PreviewView(QtWidgets.QWidget):
    """The camera's picture fitted into the widget, the detected page outlined in the colour
    of the auto-capture state, the hint on a band at the bottom; or a note when there is no
    picture (no camera, camera starting)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("capture_preview")
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                           QtWidgets.QSizePolicy.Policy.Expanding)
        self._image: QtGui.QImage | None = None
        self._quad: tuple[tuple[float, float], ...] | None = None
        self._state = ""
        self._hint = ""
        self._note = ""
        self._note_hint = ""
        self._idle = True
        self.frames = 0
        """Pictures shown since the widget was made (tests and the bench read it)."""

    def set_frame(self, image: QtGui.QImage, quad: tuple[tuple[float, float], ...] | None,
                  state: str, hint: str) -> None:
        self._image, self._quad, self._state, self._hint = image, quad, state, hint
        self.frames += 1
        self.update()

    def set_note(self, note: str, hint: str = "") -> None:
        """A note instead of the picture (empty: show the picture again)."""
        self._note, self._note_hint = note, hint
        if note:
            self._image = None
        self.update()

    def note(self) -> str:
        return self._note

    def clear(self) -> None:
        self._image, self._quad, self._hint = None, None, ""
        self.update()

    def set_idle(self, idle: bool) -> None:
        """No material chosen: the empty picture asks for one rather than saying the
        camera is starting (it is not)."""
        self._idle = idle
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        rect = self.rect()
        painter.fillRect(rect, QtGui.QColor("#1f2937"))
        if self._image is None or self._note:
            self._paint_note(painter, rect)
            return
        image = self._image
        scale = min(rect.width() / image.width(), rect.height() / image.height())
        width, height = image.width() * scale, image.height() * scale
        left = rect.left() + (rect.width() - width) / 2
        top = rect.top() + (rect.height() - height) / 2
        target = QtCore.QRectF(left, top, width, height)
        painter.drawImage(target, image)
        if self._quad:
            pen = QtGui.QPen(QtGui.QColor(OUTLINE.get(self._state, look.PRIMARY)), 4)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(left + x * scale, top + y * scale)
                                                 for x, y in self._quad]))
        if self._hint:
            band = QtCore.QRectF(rect.left(), rect.bottom() - 44, rect.width(), 44)
            painter.fillRect(band, QtGui.QColor(0, 0, 0, 170))
            painter.setPen(QtGui.QColor("white"))
            font = QtGui.QFont(self.font())
            font.setPixelSize(look.TEXT_PX)
            painter.setFont(font)
            painter.drawText(band, int(Qt.AlignmentFlag.AlignCenter), self._hint)

    def _paint_note(self, painter: QtGui.QPainter, rect: QtCore.QRect) -> None:
        """The note (bold) and its hint under it, centred as one block, wrapped."""
        inner = rect.adjusted(20, 12, -20, -12)
        wrap = int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap)
        bold = QtGui.QFont(self.font())
        bold.setPixelSize(look.TEXT_PX)
        bold.setBold(True)
        small = QtGui.QFont(self.font())
        small.setPixelSize(look.SMALL_PX)
        note = self._note or look.inline(CTX, CHOOSE_MATERIAL if self._idle else WAITING)
        blocks = [(note, bold, QtGui.QColor("white"))]
        if self._note_hint:
            blocks.append((self._note_hint, small, QtGui.QColor("#e5e7eb")))
        boxes = [QtGui.QFontMetrics(font).boundingRect(inner, wrap, text)
                 for text, font, _ in blocks]
        gap = 10
        top = inner.top() + max(0, (inner.height() - sum(b.height() for b in boxes)
                                    - gap * (len(boxes) - 1)) // 2)
        for (text, font, colour), box in zip(blocks, boxes, strict=True):
            painter.setFont(font)
            painter.setPen(colour)
            painter.drawText(QtCore.QRect(inner.left(), top, inner.width(), box.height()),
                             wrap, text)
            top += box.height() + gap


class PageStrip(QtWidgets.QWidget):
    """The material's pages in order, as thumbnails, with the buttons that act on the chosen
    one: move it earlier or later, delete it, retake it."""

    moved = QtCore.Signal(int, int)
    """(index, delta)"""
    deleted = QtCore.Signal(int)
    retaken = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.list = QtWidgets.QListWidget(self)
        self.list.setObjectName("page_strip")
        self.list.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        self.list.setFlow(QtWidgets.QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QtWidgets.QListView.Movement.Static)
        self.list.setIconSize(QtCore.QSize(THUMB_H * 3 // 4 + 20, THUMB_H))
        self.list.setSpacing(4)
        self.list.setFixedHeight(THUMB_H + 52)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(self._selection_changed)
        self.empty = look.label(look.inline(CTX, NO_PAGES), "second", self)
        self.empty.setObjectName("strip_empty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setFixedHeight(THUMB_H + 52)  # the strip's place, kept while it is empty
        # the arrows speak for themselves: Chinese on the button, both in the tooltip
        self.left = look.button(look.two(CTX, LEFT)[0], None, self)
        self.right = look.button(look.two(CTX, RIGHT)[0], None, self)
        self.left.setToolTip(look.inline(CTX, LEFT))
        self.right.setToolTip(look.inline(CTX, RIGHT))
        self.left.setObjectName("page_left")
        self.right.setObjectName("page_right")
        self.delete = look.button(look.lines(CTX, DELETE), None, self)
        self.delete.setObjectName("page_delete")
        self.retake = look.button(look.lines(CTX, RETAKE), None, self)
        self.retake.setObjectName("page_retake")
        self.left.clicked.connect(lambda: self._act(self.moved, -1))
        self.right.clicked.connect(lambda: self._act(self.moved, +1))
        self.delete.clicked.connect(lambda: self._act(self.deleted))
        self.retake.clicked.connect(lambda: self._act(self.retaken))
        buttons = QtWidgets.QHBoxLayout()
        buttons.setSpacing(8)
        for button in (self.left, self.right, self.delete, self.retake):
            buttons.addWidget(button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.list.hide()
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self._pixmaps: dict[str, QtGui.QPixmap] = {}
        self._selection_changed(-1)

    def show_pages(self, pages: list[PageDraft], select: int | None = None,
                   thumbnails: dict[str, QtGui.QImage] | None = None) -> None:
        """Show ``pages`` (``select`` the one to act on next; default: keep the row, else
        the last page)."""
        keep = self.list.currentRow()
        self.list.blockSignals(True)
        self.list.clear()
        for n, page in enumerate(pages, 1):
            item = QtWidgets.QListWidgetItem(self._pixmap(page, thumbnails),
                                             look.two(CTX, PAGE_N)[0].replace("%1", str(n)))
            item.setSizeHint(QtCore.QSize(THUMB_H * 3 // 4 + 28, THUMB_H + 40))
            self.list.addItem(item)
        self.list.blockSignals(False)
        if pages:
            row = select if select is not None else (keep if 0 <= keep < len(pages)
                                                     else len(pages) - 1)
            self.list.setCurrentRow(max(0, min(row, len(pages) - 1)))
        self._selection_changed(self.list.currentRow())
        # hide before show: both in the layout at once would make the page taller
        self._show_list(bool(pages))
        alive = {p.sha256 for p in pages}
        self._pixmaps = {k: v for k, v in self._pixmaps.items() if k in alive}

    def forget(self) -> None:
        self._pixmaps.clear()
        self.list.clear()
        self._show_list(False)
        self._selection_changed(-1)

    def _show_list(self, shown: bool) -> None:
        """The strip or, with no page, the note in its place. Hide before show (both in the
        layout at once would make the page taller), then tell the layout above."""
        if self.list.isVisibleTo(self) == shown and self.empty.isVisibleTo(self) != shown:
            return
        (self.empty if shown else self.list).hide()
        (self.list if shown else self.empty).show()
        self.updateGeometry()

    def _pixmap(self, page: PageDraft,
                thumbnails: dict[str, QtGui.QImage] | None) -> QtGui.QIcon:
        pixmap = self._pixmaps.get(page.sha256)
        if pixmap is None:
            image = (thumbnails or {}).get(page.sha256)
            if image is None:
                image = QtGui.QImage.fromData(page.thumbnail)
            pixmap = QtGui.QPixmap.fromImage(image)
            self._pixmaps[page.sha256] = pixmap
        return QtGui.QIcon(pixmap)

    def _act(self, signal: QtCore.SignalInstance, *extra: int) -> None:
        row = self.list.currentRow()
        if row >= 0:
            signal.emit(row, *extra)

    def _selection_changed(self, row: int) -> None:
        count = self.list.count()
        self.left.setEnabled(row > 0)
        self.right.setEnabled(0 <= row < count - 1)
        self.delete.setEnabled(row >= 0)
        self.retake.setEnabled(row >= 0)


class CapturePanel(QtWidgets.QWidget):
    """The preview, the capture button and the strip for the material being captured."""

    pages_changed = QtCore.Signal(str)
    """A page was added, moved or removed (the material's code)."""

    def __init__(self, scanner: ScannerPort | None, post: Callable[[Callable[[], None]], None],
                 problem: DeviceStatus | None = None,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.scanner = scanner
        self._post = post
        self._problem = problem
        self.material: MaterialDraft | None = None
        self.running = False
        self._latest: Preview | None = None
        self._latest_image: QtGui.QImage | None = None
        self._lock = threading.Lock()
        self._frame_waiting = False
        self._generation = 0
        """Counts the materials bound: a page is kept only for the one it was taken for."""
        self._thumbs: dict[str, QtGui.QImage] = {}
        self.preview = PreviewView(self)
        self.capture = look.button(look.lines(CTX, CAPTURE_NOW), "primary", self)
        self.capture.setObjectName("capture_now")
        self.capture.clicked.connect(self._capture_now)
        self.strip = PageStrip(self)
        self.strip.moved.connect(self._move)
        self.strip.deleted.connect(self._delete)
        self.strip.retaken.connect(self._retake)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.capture)
        layout.addWidget(self.strip)
        if scanner is None:
            self._camera_missing(problem)
        else:
            me = weakref.ref(self)
            # the port keeps these callbacks for its lifetime: a weak reference lets the
            # panel go with its page without the port keeping it alive
            scanner.on_preview(lambda p: _call(me, "_preview_arrived", p))
            scanner.on_page(lambda p: _call(me, "_page_arrived", p))
            scanner.on_status(lambda s: _call(me, "_status_arrived", s))

    # --- which material ------------------------------------------------------------------------

    def bind(self, material: MaterialDraft | None) -> None:
        """Capture ``material`` (None: nothing; the camera stops). Another material stops
        the camera and starts it again: a page taken for the last one is not this one's."""
        if material is not self.material:
            self.stop()
            self._generation += 1
        self.material = material
        self.preview.clear()
        self.preview.set_idle(material is None)
        self._show_pages()
        if material is not None and self.isVisibleTo(self.window()):
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        if self.scanner is None or self.running or self.material is None:
            return
        self.running = True
        status = self.scanner.status()
        self._status_arrived_gui(status)
        self.scanner.start()

    def stop(self) -> None:
        if self.scanner is not None and self.running:
            self.running = False
            self.scanner.stop()
        with self._lock:
            self._latest, self._latest_image = None, None

    def forget(self) -> None:
        """Drop every picture (the case is done or cancelled)."""
        self.stop()
        self.material = None
        self._thumbs.clear()
        self.preview.clear()
        self.preview.set_idle(True)
        self.strip.forget()

    # --- from the camera's threads ------------------------------------------------------------

    def _preview_arrived(self, preview: Preview) -> None:
        image = preview_image(preview.rgb)  # here, off the GUI thread
        with self._lock:
            self._latest, self._latest_image = preview, image
            if self._frame_waiting:
                return  # the GUI has not shown the last one yet: it will show this one
            self._frame_waiting = True
        self._post(self._show_latest)

    def _page_arrived(self, page: Page) -> None:
        generation = self._generation
        thumb = QtGui.QImage.fromData(page.thumbnail)  # decoded here, off the GUI thread
        self._post(lambda: self._add_page(page, thumb, generation))

    def _status_arrived(self, status: DeviceStatus) -> None:
        self._post(lambda: self._status_arrived_gui(status))

    # --- on the GUI thread ----------------------------------------------------------------------

    def _show_latest(self) -> None:
        with self._lock:
            preview, image = self._latest, self._latest_image
            self._frame_waiting = False
        if preview is None or image is None or not self.running:
            return
        self.preview.set_frame(image, preview.quad, preview.state, preview.hint)

    def _add_page(self, page: Page, thumb: QtGui.QImage, generation: int) -> None:
        material = self.material
        if material is None or not self.running or generation != self._generation:
            return  # taken before the clerk moved on: not this material's
        made = PageDraft(upload=page.upload, thumbnail=page.thumbnail, width=page.width,
                         height=page.height, size_name=page.size_name, codes=page.codes)
        if not thumb.isNull():
            self._thumbs[made.sha256] = thumb
        index = material.add_page(made)
        self._show_pages(select=index)
        self.pages_changed.emit(material.code)

    def _status_arrived_gui(self, status: DeviceStatus) -> None:
        if status.ok:
            self.preview.set_note("")
            self.capture.setEnabled(True)
        else:
            self.preview.set_note(status.message, status.hint)
            self.capture.setEnabled(False)

    def _camera_missing(self, problem: DeviceStatus | None) -> None:
        note = look.inline(CTX, NO_CAMERA)
        hint = look.inline(CTX, NO_CAMERA_HINT)
        if problem is not None and problem.message:
            note = f"{note}\n{problem.message}"
            hint = problem.hint or hint
        self.preview.set_note(note, hint)
        self.capture.setEnabled(False)

    def _capture_now(self) -> None:
        if self.scanner is not None and self.running:
            self.scanner.capture_now()

    def _move(self, index: int, delta: int) -> None:
        if self.material is not None:
            to = self.material.move_page(index, delta)
            self._show_pages(select=to)
            self.pages_changed.emit(self.material.code)

    def _delete(self, index: int) -> None:
        if self.material is not None:
            gone = self.material.delete_page(index)
            self._thumbs.pop(gone.sha256, None)
            self._show_pages(select=min(index, len(self.material.pages) - 1))
            self.pages_changed.emit(self.material.code)

    def _retake(self, index: int) -> None:
        """Delete the page and let the camera take the same page again (it would otherwise
        refuse a page it has just taken)."""
        self._delete(index)
        if self.scanner is not None and self.running:
            self.scanner.same_page_again()

    def _show_pages(self, select: int | None = None) -> None:
        pages = self.material.pages if self.material is not None else []
        self.strip.show_pages(pages, select, self._thumbs)
        self.strip.setEnabled(self.material is not None)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if self.material is not None:
            self.start()

    def hideEvent(self, event: QtGui.QHideEvent) -> None:
        super().hideEvent(event)
        self.stop()


def _call(ref: weakref.ref[CapturePanel], name: str, arg: object) -> None:
    panel = ref()
    if panel is not None:
        getattr(panel, name)(arg)
