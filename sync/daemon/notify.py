"""systemd's service notifications (sd_notify(3)): ``READY=1`` once started,
``WATCHDOG=1`` from the main loop only, ``STATUS=`` with the queue depths.

Nothing is sent when ``NOTIFY_SOCKET`` is unset (run by hand, in tests): every call is then
a no-op. The watchdog is fed only by the loop that does the work, never by a timer thread,
so a loop stuck in a call past its timeouts is killed and restarted (``WatchdogSec=``).
"""

from __future__ import annotations

import os
from typing import Protocol

import sdnotify


class Notifier(Protocol):
    def ready(self) -> None: ...

    def watchdog(self) -> None: ...

    def status(self, text: str) -> None: ...

    def stopping(self) -> None: ...


class SystemdNotifier:
    """sd_notify through the ``sdnotify`` package (abstract ``@`` sockets included)."""

    def __init__(self) -> None:
        self._notifier = sdnotify.SystemdNotifier() if os.environ.get("NOTIFY_SOCKET") else None

    def _send(self, line: str) -> None:
        if self._notifier is not None:
            self._notifier.notify(line)

    def ready(self) -> None:
        self._send("READY=1")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def status(self, text: str) -> None:
        # One line: systemd shows it in `systemctl status`.
        self._send("STATUS=" + " ".join(text.split())[:200])

    def stopping(self) -> None:
        self._send("STOPPING=1")


def status_line(figures: dict[str, object]) -> str:
    """``STATUS=`` text: the queue depths and the last error's presence, no personal data."""
    pending_mb = int(figures.get("blobs_pending_bytes") or 0) / 1e6
    line = (f"outbox {figures.get('outbox_pending', 0)}, pages {pending_mb:.1f} MB, "
            f"rejected {figures.get('rejected', 0)}, last push {figures.get('last_push') or '-'}")
    if not figures.get("enrolled", True):
        line += ", not enrolled"
    return line
