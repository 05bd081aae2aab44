"""The window sign role (窗口屏): shows the number being called at a counter window, on a
serial LED sign spoken to through a configurable framing (drivers.led_sign).

The role owns the link: it opens the transport the first time it is needed; after the link
fails (a pulled USB-serial adapter, a sign that stops acknowledging) it closes it and opens
a fresh one on the next call. A sign loses its text when it loses power, so after a
reconnect the role shows the current text again. :meth:`WindowSign.show` never raises: it
returns whether the sign took the text, and :meth:`WindowSign.health` says why not.

Most signs answer nothing (no ACK in their framing). For those, "ok" can only mean the
port opened and the bytes went out; :meth:`health` also notices a link that died (a read on
an unplugged adapter fails) without disturbing what the sign shows.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from drivers.led_sign import LedSign, ShowResult, SignError, SignFraming
from drivers.transports import Transport, TransportError, TransportTimeout

from .health import HINT_CABLE, HINT_PERMISSION, DeviceState, Health, HealthReport, not_opened

log = logging.getLogger(__name__)

NOT_CONNECTED = "找不到窗口屏 / The window sign is not connected"
NO_ANSWER = "窗口屏没有应答 / The window sign does not answer"
HINT_NO_ANSWER = ("检查数据线、电源、波特率和屏地址 / "
                  "Check the cable, the power, the baud rate and the sign's address")


def _replaced_note(result: ShowResult, replacement: str) -> str:
    notes = []
    if result.replaced:
        notes.append(f"有 {len(result.replaced)} 个字窗口屏无法显示，已显示为 {replacement} / "
                     f"{len(result.replaced)} character(s) the sign cannot show are shown as "
                     f"{replacement}")
    if result.truncated:
        notes.append(f"文字太长，末尾 {result.truncated} 个字未显示 / the text is too long; "
                     f"the last {result.truncated} character(s) were cut")
    return "; ".join(notes)


class WindowSign:
    """Text on a window LED sign, with health in plain words.

    :param open_transport: opens the sign's link (serial, USB-serial, TCP-serial server);
        raises :class:`~drivers.transports.TransportError` when it cannot.
    :param framing: how the sign's controller frames text (drivers.led_sign presets or a
        site's own description).
    :param timeout_s: longest wait for the sign's ACK, in seconds (framings with an ACK).
    """

    def __init__(self, open_transport: Callable[[], Transport], framing: SignFraming, *,
                 timeout_s: float = 1.0):
        self._open_transport = open_transport
        self.framing = framing
        self.timeout_s = timeout_s
        self._lock = threading.RLock()
        self._sign: LedSign | None = None
        self._text: str | None = None
        self._report = HealthReport(not_opened("窗口屏", "window sign"), "window sign")
        self.last_result: ShowResult | None = None
        """What the last successful show sent (shown text, replaced characters, cut)."""
        self.reconnects = 0
        """Times the link was opened again after it had failed."""
        self._had_link = False

    @property
    def text(self) -> str | None:
        """The text the role wants on the sign (None: never set)."""
        with self._lock:
            return self._text

    @property
    def last_health(self) -> Health:
        """The health as of the last call, without touching the sign."""
        return self._report.get()

    def on_health_changed(self, callback: Callable[[Health], None]) -> None:
        self._report.subscribe(callback)

    def show(self, text: str) -> bool:
        """Show ``text``; True when the sign took it (acknowledged it, or, for a sign that
        never answers, the bytes went out). Never raises."""
        with self._lock:
            self._text = text
            return self._send(lambda sign: sign.show(text))

    def clear(self) -> bool:
        """Blank the sign (as :meth:`show`)."""
        with self._lock:
            self._text = ""
            return self._send(lambda sign: sign.clear())

    def refresh(self) -> bool:
        """Send the current text again (e.g. from a timer, for signs that forget)."""
        with self._lock:
            if self._text is None:
                return self._ensure_open() is not None
            return self._send(lambda sign: sign.show(self._text or "") if self._text
                              else sign.clear())

    def health(self) -> Health:
        """MISSING when the link cannot be opened or has died, or the sign did not answer;
        ERROR when it answered with a NAK or garbage; OK otherwise (with a note when
        characters had to be replaced). A dead link is reopened here, and the current text
        shown again, so replugging the sign is all it takes."""
        with self._lock:
            sign = self._sign
            if sign is not None:
                try:
                    sign.transport.read(256, 0)  # raises on an unplugged adapter
                except TransportError as exc:
                    self._lost(exc)
            if self._sign is None:
                self._reopen_and_restore()
            return self._report.get()

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- internals (all under self._lock)

    def _reopen_and_restore(self) -> None:
        if self._text is None:
            self._ensure_open()
        else:
            self.refresh()

    def _ensure_open(self) -> LedSign | None:
        if self._sign is not None:
            return self._sign
        try:
            transport = self._open_transport()
        except TransportError as exc:
            hint = HINT_PERMISSION if "permission" in str(exc).lower() else HINT_CABLE
            self._set_health(Health(DeviceState.MISSING, f"{NOT_CONNECTED} ({exc})", hint))
            return None
        except Exception as exc:  # a bad URL, a driver bug: report, retry on the next call
            self._set_health(Health(DeviceState.MISSING, f"{NOT_CONNECTED} ({exc})",
                                    HINT_CABLE))
            return None
        if self._had_link:
            self.reconnects += 1
        self._had_link = True
        self._sign = LedSign(transport, self.framing, self.timeout_s)
        if self._report.get().state is DeviceState.MISSING:
            self._set_health(Health(DeviceState.OK))
        return self._sign

    def _send(self, action: Callable[[LedSign], ShowResult]) -> bool:
        reopened = self._sign is None
        sign = self._ensure_open()
        if sign is None:
            return False
        try:
            result = action(sign)
        except TransportTimeout as exc:
            self._lost(exc, Health(DeviceState.MISSING, f"{NO_ANSWER} ({exc})", HINT_NO_ANSWER))
            return False
        except TransportError as exc:
            self._lost(exc)
            if reopened:
                return False
            # the link was open from before and has died: one fresh attempt, so the first
            # show after a replug is not lost
            return self._send(action)
        except SignError as exc:
            self._set_health(Health(DeviceState.ERROR, exc.message, exc.hint))
            return False
        self.last_result = result
        note = _replaced_note(result, self.framing.replacement)
        self._set_health(Health(DeviceState.OK, note))
        return True

    def _lost(self, exc: TransportError, health: Health | None = None) -> None:
        self._drop()
        hint = HINT_PERMISSION if "permission" in str(exc).lower() else HINT_CABLE
        self._set_health(health or Health(DeviceState.MISSING, f"{NOT_CONNECTED} ({exc})", hint))

    def _drop(self) -> None:
        sign, self._sign = self._sign, None
        if sign is not None:
            with contextlib.suppress(Exception):
                sign.transport.close()

    def _set_health(self, health: Health) -> None:
        if self._report.set(health) and not health.ok:
            log.info("window sign: %s", health.message)


SIGN_OPTIONS: dict[str, type] = {
    "preset": str, "address": int, "encoding": str, "checksum": str, "checksum_over": str,
    "checksum_byteorder": str, "length": str, "prefix": str, "suffix": str,
    "escape_byte": int, "escape_bytes": str, "escape_xor": int, "max_chars": int,
    "show_template": str, "clear_template": str, "line": int, "effect": int, "ack": str,
    "nak": str, "replacement": str, "timeout_s": float,
}
"""Options of the ``led-sign`` driver (``[devices.window_sign] options``): a preset name,
any framing field to override (drivers.led_sign.SignFraming.from_options), and
``timeout_s``, the longest wait for the ACK."""
DEFAULT_BAUD = 9600
"""Serial LED controllers ship at 9600 8N1 more often than at any other rate."""


def sign_from_options(open_transport: Callable[[], Transport],
                      options: dict[str, object] | None = None) -> WindowSign:
    """A :class:`WindowSign` from ``led-sign`` options.

    :raises ValueError: an unknown option or a framing that cannot work, in plain words.
    """
    options = dict(options or {})
    if unknown := set(options) - set(SIGN_OPTIONS):
        raise ValueError(f"unknown option(s) for led-sign: {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(SIGN_OPTIONS))})")
    timeout = options.pop("timeout_s", 1.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ValueError(f"timeout_s must be a number, not {timeout!r}")
    return WindowSign(open_transport, SignFraming.from_options(options),
                      timeout_s=float(timeout))
