"""The Qt binding the screens are built on must not lose references when a signal is
emitted from Python: PySide6 6.12.0 dropped one reference to ``True`` per ``emit()``, and the
counter (10 previews a second) and the hall display aborted with ``bool_dealloc`` within
minutes. pyproject.toml excludes that release; this test keeps a future one honest."""

from __future__ import annotations

import sys

from kiosk.ui.qt import QtCore


class _Sender(QtCore.QObject):
    fired = QtCore.Signal(object)


def test_emitting_from_python_keeps_every_reference():
    app = QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])
    assert app is not None
    sender = _Sender()
    got: list[object] = []
    sender.fired.connect(got.append)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for n in range(300):  # 6.12.0 lost 300 references to True here
        sender.fired.emit(n)
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert len(got) == 300
    assert abs(after[0] - before[0]) < 20 and abs(after[1] - before[1]) < 20
