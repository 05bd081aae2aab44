"""What every Qt screen's process needs once: the QApplication with the Chinese
translation, and Qt's event loop that still hears Ctrl-C and SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys

from kiosk.ui.i18n import install_translator
from kiosk.ui.qt import QtCore, QtWidgets

log = logging.getLogger(__name__)


def application(name: str) -> QtWidgets.QApplication:
    """The process's QApplication (made once, named ``name``), with the Chinese translation
    loaded (English only, and a warning, when it is missing)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName(name)
        if install_translator(app) is None:
            log.warning("%s: no Chinese translation found; showing English only", name)
    assert isinstance(app, QtWidgets.QApplication)
    return app


def exec_until_closed(app: QtWidgets.QApplication) -> None:
    """Qt's event loop until the last window closes, Ctrl-C or SIGTERM. Qt's loop runs no
    Python signal handler by itself: a timer wakes it so that the handler gets its turn."""
    previous = {sig: signal.signal(sig, lambda *_: app.quit())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    waker = QtCore.QTimer()
    waker.timeout.connect(lambda: None)
    waker.start(200)
    try:
        app.exec()
    finally:
        waker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
