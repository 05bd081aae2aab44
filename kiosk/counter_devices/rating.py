"""The rating terminal (评价器) behind :class:`kiosk.counter_ports.RatingPort`:
``devices.rating_terminal.RatingTerminal`` (our serial protocol, docs/protocols/
rating-terminal.md, or a 5-key keypad), one prompt per visit (一次一评)."""

from __future__ import annotations

import logging

from devices.rating_terminal import RatingTerminal
from kiosk.counter_ports import DeviceStatus, RatingAnswer

from .status import status_of

log = logging.getLogger(__name__)

HINT_SHORTER = "缩短姓名或窗口名称 / Use a shorter name or window name"


def window_number(window: str) -> int:
    """The window's number for the terminal's card (0-255, 0: none), from "3" or "03";
    a window named otherwise shows by its name only."""
    text = window.strip()
    return int(text) if text.isdigit() and int(text) <= 0xFF else 0


class RatingAdapter:
    """:class:`~kiosk.counter_ports.RatingPort` over a :class:`RatingTerminal`."""

    def __init__(self, terminal: RatingTerminal, role: str = "rating_terminal"):
        self.terminal = terminal
        self.role = role

    def show_staff(self, name: str, window: str, window_name: str = "") -> DeviceStatus:
        try:
            health = self.terminal.show_staff(name, window_no=window_number(window),
                                              window_name=window_name)
        except ValueError as exc:  # a name over the protocol's 60 bytes
            return DeviceStatus(self.role, False, f"评价器显示不下 / the rating terminal cannot "
                                f"show this ({exc})", HINT_SHORTER)
        return status_of(self.role, health)

    def ask(self, ref: str, timeout_s: float = 30) -> RatingAnswer:
        try:
            outcome = self.terminal.ask(ref, timeout_s)
        except ValueError as exc:  # an empty or over-long case number: the screen's mistake
            log.error("rating prompt refused: %s", exc)
            return RatingAnswer(None, error=f"无法发起评价 / the rating cannot be asked ({exc})",
                                hint="重试 / Try again")
        return RatingAnswer(outcome.level, tuple(outcome.reasons), timed_out=outcome.timed_out,
                            cancelled=outcome.cancelled, error=outcome.error, hint=outcome.hint)

    def cancel(self) -> None:
        self.terminal.cancel()

    def status(self) -> DeviceStatus:
        return status_of(self.role, self.terminal.health())
