"""Blocking work (station requests, printing, a rating prompt) off the GUI thread, with its
outcome delivered back on the GUI thread.

The screen never waits on the network or a device: a click starts a job on a small pool and
returns; ``done(result)`` or ``failed(exc)`` runs later on the GUI thread through a queued
signal (Qt queues an emission whose receiver lives on another thread). The same bridge
carries device callbacks (a card placed, a page captured) from their threads: ``post``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from kiosk.ui.qt import QtCore

log = logging.getLogger(__name__)
T = TypeVar("T")


class Runner(QtCore.QObject):
    """Runs ``fn`` on a worker thread and its continuation on the GUI thread.

    :param workers: threads for station requests and printing; a rating prompt holds one
        for up to its timeout, so there are at least two.
    """

    _posted = QtCore.Signal(object)

    def __init__(self, parent: QtCore.QObject | None = None, workers: int = 3,
                 name: str = "counter"):
        super().__init__(parent)
        self.name = name
        self._pool = ThreadPoolExecutor(max(2, workers), thread_name_prefix=name)
        self._posted.connect(self._run_posted)
        self._closed = False

    def post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the GUI thread soon (callable from any thread)."""
        if not self._closed:
            self._posted.emit(fn)

    def run(self, fn: Callable[[], T], done: Callable[[T], None] | None = None,
            failed: Callable[[BaseException], None] | None = None) -> Future[T]:
        """``fn()`` on a worker; then ``done(result)`` or ``failed(exc)`` on the GUI thread.
        An exception with no ``failed`` is logged (never shown as a trace). After
        :meth:`close` (a timer of a closing page may still fire) nothing runs: the future
        comes back cancelled."""
        if self._closed:
            future: Future[T] = Future()
            future.cancel()
            return future
        future = self._pool.submit(fn)

        def finished(f: Future[Any]) -> None:
            exc = f.exception()
            if exc is not None:
                if failed is not None:
                    self.post(lambda: failed(exc))
                else:
                    log.error("%s: a background job failed: %s", self.name,
                              type(exc).__name__)
            elif done is not None:
                result = f.result()
                self.post(lambda: done(result))

        future.add_done_callback(finished)
        return future

    def close(self, wait: bool = True) -> None:
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)

    @QtCore.Slot(object)
    def _run_posted(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # a screen update failed: logged, the screen keeps what it had
            log.exception("%s: an update on the GUI thread failed", self.name)
