"""What every part of the counter screen is handed: the station client, the runner that
keeps blocking work off the GUI thread, the window's devices, and who sits at the window.

Qt-free on purpose (the runner is typed by what it does), so the logic that uses a context
is tested without a screen.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.client.http import StationClient
from kiosk.counter_ports import CounterDevices

if TYPE_CHECKING:
    from .offline import OfflineWork


class RunnerLike(Protocol):
    def post(self, fn: Callable[[], None]) -> None: ...

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
            failed: Callable[[BaseException], None] | None = None) -> Future[Any]: ...


@dataclass
class Clerk:
    id: str
    name: str


@dataclass
class CounterContext:
    client: StationClient
    runner: RunnerLike
    devices: CounterDevices
    window: str
    """The window this counter serves ("3")."""
    site_name: str = ""
    window_name: str = ""
    query_url: str = ""
    """Where a citizen follows a case; ``{receipt_no}`` is filled in (the receipt's QR)."""
    id_check: Callable[[str], bool] = lambda number: True
    """The GB 11643 check (``drivers.gb11643.is_valid``, handed in: the screens may not
    import drivers). Typed numbers are checked as they are typed; the station checks too."""
    mode: str = "counter"
    """counter, agent (帮办代办 at a village point) or home_visit (上门服务)."""
    clerk: Clerk | None = None
    """Who is signed in at the window (None before login)."""
    site_code: str = ""
    """The site's code (the receipt number's prefix), from the site configuration; the
    station's ``hello`` corrects it."""
    offline: OfflineWork | None = None
    """Work with no station reachable (home_visit and agent modes, ``offline.py``); None in
    counter mode, whose every step needs the station."""
    extra: dict[str, Any] = field(default_factory=dict)

    def audit(self, action: str, subject: str = "-", screen: str = "counter") -> None:
        """Tell the station that personal data was seen or a case touched (who, what, when,
        which screen; never the data). Off the GUI thread; a lost report is logged, or kept
        for the station when this counter works offline."""
        client, window, offline = self.client, self.window, self.offline
        if offline is not None:
            self.runner.run(lambda: offline.audit(client, action, subject, screen, window))
        else:
            self.runner.run(lambda: client.audit(action, subject, screen, window=window))
