"""The ID card reader role: watches a GA 467 SAM reader and reports cards as they are placed
and removed, and the reader's health, in plain words.

Presence is polled, as hev-idcard-reader does (../shared/research/hardware.md §1.2): every
``poll_interval_s`` a find (20 01). When a card is found and none is known, select (20 02)
and read (30 01 or 30 10) follow and ``card_placed`` is emitted once. While find keeps
succeeding the card is not read again. After ``removal_misses`` consecutive "no card"
answers, ``card_removed`` is emitted.

Limits, by design of the protocol:

- a card swapped for another faster than one poll interval is not noticed (find succeeds on
  every poll, so the new card is taken for the old one);
- some readers answer find with "no card" after a completed read until the card is lifted
  and placed again (``find_after_read = "absent"`` in the simulator). With those,
  ``card_removed`` follows shortly after ``card_placed`` although the card still lies there,
  and the card is not read again until it is placed again. The placed event carries the
  whole card, so nothing is lost; a screen should not clear a form on ``card_removed``.

Failures never escape the polling thread: a lost link (:class:`TransportError`, including a
reader that stops answering) closes the transport, reports ``MISSING``, emits
``card_removed`` if a card was known, and reopens through ``open_transport`` every
``reopen_interval_s`` until it works again; an SW3 error, a bad frame or unreadable card
text reports ``ERROR`` until the next good poll.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from drivers.sam_ga467 import CardTextError, FrameError, IdCard, SamReader, SamStatusError
from drivers.transports import Transport, TransportError, TransportTimeout

from .health import HINT_CABLE, HINT_PERMISSION, OK, DeviceState, Health, HealthReport, not_opened

log = logging.getLogger(__name__)

PlacedCallback = Callable[[IdCard, bytes | None], None]
RemovedCallback = Callable[[], None]
HealthCallback = Callable[[Health], None]
PhotoDecoder = Callable[[bytes], bytes]

HINT_NO_ANSWER = ("检查数据线、电源和波特率设置 / "
                  "Check the cable, the power and the baud rate setting")
HINT_RETRY = "把证件拿开再重新放上 / Lift the card off and place it again"


class NoCardError(TimeoutError):
    """No card was placed within the time allowed (:meth:`IdCardReader.read_once`)."""


def _missing(exc: TransportError) -> Health:
    text = str(exc)
    if isinstance(exc, TransportTimeout):
        return Health(DeviceState.MISSING, text, HINT_NO_ANSWER)
    hint = HINT_PERMISSION if "permission" in text.lower() else HINT_CABLE
    return Health(DeviceState.MISSING,
                  f"身份证阅读器未连接 / the ID card reader is not reachable ({text})", hint)


class IdCardReader:
    """Cards placed on and removed from a SAM reader, as callbacks from a polling thread.

    :param open_transport: opens the reader's transport (called again after a failure).
    :param poll_interval_s: seconds between find commands.
    :param removal_misses: consecutive "no card" answers that mean the card was removed.
    :param fingerprints: read with fingerprints (30 10); see :attr:`last_fingerprints`.
    :param wlt_decoder: ``decode(wlt) -> bmp`` from :func:`drivers.wlt_plugin.load_decoder`,
        or None: cards are reported without a photo.
    :param clock: monotonic seconds (injected for tests).
    :param timeout_s: the longest one exchange with the reader may take, in seconds.
    :param reopen_interval_s: seconds between attempts to reopen a lost reader.
    """

    def __init__(
        self,
        open_transport: Callable[[], Transport],
        *,
        poll_interval_s: float = 0.3,
        removal_misses: int = 2,
        fingerprints: bool = False,
        wlt_decoder: PhotoDecoder | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout_s: float = 5.0,
        reopen_interval_s: float = 3.0,
    ):
        self._open_transport = open_transport
        self.poll_interval_s = poll_interval_s
        self.removal_misses = max(1, removal_misses)
        self.fingerprints = fingerprints
        self._decoder = wlt_decoder
        self._clock = clock
        self.timeout_s = timeout_s
        self.reopen_interval_s = reopen_interval_s
        self._placed: list[PlacedCallback] = []
        self._removed: list[RemovedCallback] = []
        self._cond = threading.Condition()
        self._report = HealthReport(not_opened("身份证阅读器", "ID card reader"), "ID card reader")
        self._card: IdCard | None = None
        self._photo: bytes | None = None
        self.last_fingerprints: bytes | None = None
        """Fingerprint data of the card last read (``fingerprints=True``), else None."""
        self._misses = 0
        self._reader: SamReader | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- subscriptions and state

    def on_card_placed(self, callback: PlacedCallback) -> None:
        """``callback(card, photo_bmp_or_None)`` once per placed card, from the poll thread."""
        self._placed.append(callback)

    def on_card_removed(self, callback: RemovedCallback) -> None:
        self._removed.append(callback)

    def on_health_changed(self, callback: HealthCallback) -> None:
        self._report.subscribe(callback)

    def health(self) -> Health:
        return self._report.get()

    @property
    def card(self) -> IdCard | None:
        """The card lying on the reader as far as the poll knows, else None."""
        with self._cond:
            return self._card

    # -- lifecycle

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="id-card-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and close the transport; returns within one exchange timeout."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(self.timeout_s + self.poll_interval_s + 1.0)
        self._thread = None
        self._close()

    # -- polling thread

    def _run(self) -> None:
        next_open = self._clock()
        while not self._stop.is_set():
            try:
                if self._reader is None:
                    wait = next_open - self._clock()
                    if wait > 0:
                        self._stop.wait(min(wait, self.poll_interval_s))
                        continue
                    if not self._open():
                        next_open = self._clock() + self.reopen_interval_s
                        continue
                self._poll()
            except TransportError as exc:
                self._lost(exc)
                next_open = self._clock() + self.reopen_interval_s
                continue
            except SamStatusError as exc:
                self._set_health(Health(DeviceState.ERROR, exc.message, exc.hint))
            except FrameError as exc:
                self._set_health(Health(
                    DeviceState.ERROR,
                    f"阅读器应答有误 / the reader's answer was garbled ({exc})", HINT_CABLE))
            except CardTextError as exc:
                self._set_health(Health(
                    DeviceState.ERROR, f"证件信息无法识别 / the card's text cannot be read "
                    f"({exc})", HINT_RETRY))
            except Exception as exc:  # never let the thread die
                log.exception("id card reader poll failed")
                self._set_health(Health(DeviceState.ERROR, f"读卡程序出错 / reader software "
                                        f"error: {type(exc).__name__}", HINT_RETRY))
            self._stop.wait(self.poll_interval_s)

    def _open(self) -> bool:
        try:
            transport = self._open_transport()
        except TransportError as exc:
            self._set_health(_missing(exc))
            return False
        except Exception as exc:  # a bad URL, a driver bug: report, retry later
            self._set_health(Health(DeviceState.MISSING, f"身份证阅读器无法打开 / cannot open "
                                    f"the ID card reader: {exc}", HINT_CABLE))
            return False
        reader = SamReader(transport, timeout_s=self.timeout_s)
        try:
            well = reader.sam_status()
        except (TransportError, FrameError) as exc:
            transport.close()
            if isinstance(exc, TransportError):
                self._set_health(_missing(exc))
            else:
                self._set_health(Health(DeviceState.ERROR, f"阅读器应答有误 / the reader's "
                                        f"answer was garbled ({exc})", HINT_CABLE))
            return False
        self._reader = reader
        if well:
            self._set_health(OK)
        else:
            error = SamStatusError(reader.last_response.sw3 if reader.last_response else 0,
                                   "SAM status (11 FF)")
            self._set_health(Health(DeviceState.ERROR, error.message, error.hint))
        return True

    def _poll(self) -> None:
        reader = self._reader
        assert reader is not None
        if reader.find_card():
            self._misses = 0
            if self.card is None and reader.select_card():
                read = reader.read_card(self.fingerprints)
                photo = self._decode_photo(read.card)
                self.last_fingerprints = read.fingerprints
                self._set_health(OK)
                with self._cond:
                    self._card, self._photo = read.card, photo
                    self._cond.notify_all()
                self._emit(self._placed, read.card, photo)
                return
        elif self.card is not None:
            self._misses += 1
            if self._misses >= self.removal_misses:
                self._forget_card()
        self._set_health(OK)

    def _decode_photo(self, card: IdCard) -> bytes | None:
        if self._decoder is None or not card.photo_wlt:
            return None
        try:
            return self._decoder(card.photo_wlt)
        except Exception as exc:  # a vendor library's failure costs the photo, not the card
            log.warning("photo decoder failed: %s", exc)
            return None

    def _forget_card(self) -> None:
        with self._cond:
            had = self._card is not None
            self._card, self._photo, self._misses = None, None, 0
        if had:
            self._emit(self._removed)

    def _lost(self, exc: TransportError) -> None:
        self._close()
        self._set_health(_missing(exc))
        self._forget_card()

    def _close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                reader.transport.close()

    def _set_health(self, health: Health) -> None:
        self._report.set(health)

    @staticmethod
    def _emit(callbacks: list, *args: object) -> None:
        for callback in list(callbacks):
            try:
                callback(*args)
            except Exception:
                log.exception("id card reader callback %r failed", callback)

    # -- one-shot

    def read_once(self, timeout_s: float) -> IdCard:
        """Wait up to ``timeout_s`` for a card and return it (for ``bianmin doctor read-id``).

        While :meth:`start` has the reader, this waits for the polling thread's card (or
        returns the one lying there). Otherwise it opens the transport itself, polls, and
        closes it; each exchange is limited to the time left (at least 1 s).

        :raises NoCardError: no card within ``timeout_s``.
        :raises TransportError: the reader cannot be reached (plain message).
        :raises SamStatusError: the reader reported an error.
        """
        deadline = self._clock() + timeout_s
        if self._thread is not None and self._thread.is_alive():
            with self._cond:
                while self._card is None:
                    left = deadline - self._clock()
                    if left <= 0:
                        raise NoCardError(_no_card_message(timeout_s))
                    self._cond.wait(min(left, 0.1))
                return self._card
        transport = self._open_transport()
        try:
            reader = SamReader(transport, timeout_s=self.timeout_s)
            while True:
                left = deadline - self._clock()
                exchange_s = max(1.0, min(self.timeout_s, left))
                read = reader.read_card_flow(self.fingerprints, timeout_s=exchange_s)
                if read is not None:
                    self.last_fingerprints = read.fingerprints
                    return read.card
                left = deadline - self._clock()
                if left <= 0:
                    raise NoCardError(_no_card_message(timeout_s))
                time.sleep(min(self.poll_interval_s, left))
        finally:
            transport.close()


def _no_card_message(timeout_s: float) -> str:
    return (f"{timeout_s:g} 秒内没有放置证件 / no card was placed on the reader within "
            f"{timeout_s:g} s")
