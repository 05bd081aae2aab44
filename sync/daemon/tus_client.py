"""A plain tus 1.0 client (https://tus.io/protocols/resumable-upload): core, creation,
checksum and expiration, against any tus server that has the creation extension.

- ``OPTIONS`` learns the server's extensions and checksum algorithms; ``Upload-Checksum``
  is sent only when the server has the checksum extension.
- ``POST`` creates an upload, ``HEAD`` learns how far it got (the server's offset is the
  truth, never ours), ``PATCH`` sends one chunk at a time.
- ``409`` (the offset is not the server's): ``HEAD`` and go on from there. ``460`` (the
  checksum did not match, the chunk was discarded): the same chunk again. ``404``/``410``
  (unknown or expired): create the upload again. ``422`` after the last chunk (the whole
  blob's hash did not match, the server discarded it): start over, once.
- After every chunk the caller is told the upload's URL and offset, so a killed process
  resumes where it was, losing at most the chunk in flight.
- A token bucket caps the upload bandwidth; its clock and sleep are handed in.

The HTTP call is handed in too: the daemon signs every request to the hub with it, a test
sends plain requests to a standard tus server.
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from sync.protocol import clock as hub_clock
from sync.protocol import tus

from .errors import HubUnavailable, Refused, SyncError
from .transport import Answer, error_for

HttpCall = Callable[[str, str, Mapping[str, str], bytes | None], Answer]
"""``(method, url, headers, body) -> Answer``; raises :class:`HubUnavailable` when no answer
came."""

PREFERRED_CHECKSUMS = ("sha256", "sha1", "md5")


class TokenBucket:
    """Upload bandwidth cap: ``rate`` bytes a second on average, bursts of ``burst`` bytes.

    A chunk larger than what is in the bucket is sent after waiting for the difference, so
    a long upload averages the rate whatever the chunk size.
    """

    def __init__(self, rate: float, burst: float, *, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if rate <= 0:
            raise ValueError("a token bucket needs a positive rate")
        self.rate = rate
        self.burst = burst
        self._now = now
        self._sleep = sleep
        self._tokens = burst
        self._at = now()

    def take(self, n: int) -> float:
        """Wait until ``n`` bytes may go; returns the seconds waited."""
        now = self._now()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        self._tokens -= n
        if self._tokens >= 0:
            return 0.0
        wait = -self._tokens / self.rate
        self._sleep(wait)
        # The debt is paid by the time waited: account for it without trusting the sleep.
        self._at = self._at + wait
        self._tokens = 0.0
        return wait


@dataclass(frozen=True)
class ServerInfo:
    version: str
    extensions: frozenset[str]
    checksum_algorithms: tuple[str, ...]
    max_size: int | None

    @property
    def checksum(self) -> str | None:
        if "checksum" not in self.extensions:
            return None
        return next((a for a in PREFERRED_CHECKSUMS if a in self.checksum_algorithms), None)


@dataclass(frozen=True)
class UploadState:
    """Where one upload stands, as the caller keeps it between runs."""

    url: str | None = None
    offset: int = 0
    expires: str | None = None


class UploadGone(Exception):
    """``404``/``410``: the server does not know the upload (never made, or expired)."""


class TusClient:
    """Uploads to one tus endpoint."""

    def __init__(self, call: HttpCall, endpoint: str, *, chunk_size: int,
                 bucket: TokenBucket | None = None, max_checksum_retries: int = 3,
                 max_restarts: int = 2, now: Callable[[], float] = time.time,
                 retry_cap_s: float = 900.0):
        self.call = call
        self.now = now
        self.retry_cap_s = retry_cap_s
        self.endpoint = endpoint
        self.chunk_size = chunk_size
        self.bucket = bucket
        self.max_checksum_retries = max_checksum_retries
        self.max_restarts = max_restarts
        self._info: ServerInfo | None = None

    def server_info(self) -> ServerInfo:
        """``OPTIONS`` once; a server that does not answer it is taken to have core and
        creation only."""
        if self._info is None:
            answer = self.call("OPTIONS", self.endpoint, {}, None)
            if 200 <= answer.status < 300 and answer.headers.get("tus-version"):
                self._info = ServerInfo(
                    version=answer.headers.get("tus-version", ""),
                    extensions=frozenset(_list(answer.headers.get("tus-extension"))),
                    checksum_algorithms=tuple(_list(answer.headers.get(
                        "tus-checksum-algorithm"))),
                    max_size=_int(answer.headers.get("tus-max-size")))
            elif answer.status >= 500 or answer.status == 429:
                raise self._unexpected(answer, "OPTIONS")
            else:
                self._info = ServerInfo(tus.VERSION, frozenset({"creation"}), (), None)
        return self._info

    # --- the three requests --------------------------------------------------------------

    def create(self, length: int, metadata: Mapping[str, str]) -> UploadState:
        answer = self.call("POST", self.endpoint, {
            "Tus-Resumable": tus.VERSION, "Upload-Length": str(length),
            "Upload-Metadata": tus.encode_metadata(metadata)}, b"")
        if answer.status != 201 or not answer.headers.get("location"):
            raise self._unexpected(answer, "POST (create an upload)")
        url = urllib.parse.urljoin(self.endpoint, answer.headers["location"])
        return UploadState(url, 0, _expires(answer))

    def offset(self, url: str) -> int:
        answer = self.call("HEAD", url, {"Tus-Resumable": tus.VERSION}, None)
        if answer.status in (404, 410):
            raise UploadGone(url)
        if answer.status not in (200, 204):
            raise self._unexpected(answer, "HEAD")
        try:
            return tus.parse_offset(answer.headers.get("upload-offset"))
        except tus.TusError as exc:
            raise Refused(f"HEAD: {exc}", status=answer.status) from None

    def _patch(self, url: str, offset: int, chunk: bytes, algorithm: str | None) -> Answer:
        headers = {"Tus-Resumable": tus.VERSION, "Upload-Offset": str(offset),
                   "Content-Type": tus.OFFSET_CONTENT_TYPE}
        if algorithm:
            headers["Upload-Checksum"] = tus.checksum_header(algorithm, chunk)
        if self.bucket is not None:
            self.bucket.take(len(chunk))
        return self.call("PATCH", url, headers, chunk)

    # --- a whole upload ------------------------------------------------------------------

    def upload(self, data: bytes, *, metadata: Mapping[str, str], state: UploadState,
               on_progress: Callable[[UploadState], None] = lambda _s: None,
               between_chunks: Callable[[], None] = lambda: None,
               stop: Callable[[], bool] = lambda: False) -> bool:
        """Upload ``data``, resuming ``state``; True when the server has all of it, False
        when ``stop()`` said to stop between chunks.

        :param on_progress: told the state after creation and after every chunk.
        :param between_chunks: called after every chunk (the daemon pushes ops that became
            ready, so metadata is never stuck behind a slow page).
        """
        info = self.server_info()
        if info.max_size is not None and len(data) > info.max_size:
            raise Refused(f"the upload is {len(data)} bytes, the server takes {info.max_size}")
        algorithm = info.checksum
        restarts = 0
        while True:
            if state.url is None:
                state = self.create(len(data), metadata)
                on_progress(state)
            try:
                finished = self._send_all(data, state, algorithm, on_progress, between_chunks,
                                          stop)
            except UploadGone:
                finished = None
            if finished is not None:
                return finished
            restarts += 1
            if restarts > self.max_restarts:
                raise Refused(f"the upload was lost {restarts} times; giving up for now")
            state = UploadState()
            on_progress(state)

    def _send_all(self, data: bytes, state: UploadState, algorithm: str | None,
                  on_progress: Callable[[UploadState], None],
                  between_chunks: Callable[[], None], stop: Callable[[], bool]) -> bool | None:
        """Send the rest; None when the upload must be created again."""
        assert state.url is not None
        offset = self.offset(state.url)
        if offset != state.offset:
            state = replace(state, offset=offset)
            on_progress(state)
        bad_checksums = conflicts = 0
        while offset < len(data):
            if stop():
                return False
            chunk = data[offset:offset + self.chunk_size]
            answer = self._patch(state.url, offset, chunk, algorithm)
            if answer.status in (200, 204):
                new = self._new_offset(answer, offset, len(data))
                offset, bad_checksums, conflicts = new, 0, 0
                state = replace(state, offset=offset, expires=_expires(answer) or state.expires)
                on_progress(state)
                if offset < len(data):
                    between_chunks()
            elif answer.status == 409:
                conflicts += 1
                if conflicts > self.max_checksum_retries:
                    raise HubUnavailable(f"the offset was refused {conflicts} times in a row")
                offset = self.offset(state.url)
                state = replace(state, offset=offset)
                on_progress(state)
            elif answer.status == tus.CHECKSUM_MISMATCH:
                bad_checksums += 1
                if bad_checksums > self.max_checksum_retries:
                    raise HubUnavailable(f"a chunk arrived damaged {bad_checksums} times in a "
                                         "row; the link is corrupting data")
            elif answer.status in (404, 410):
                raise UploadGone(state.url)
            elif answer.status == 422 and offset + len(chunk) >= len(data):
                return None  # the whole blob's hash did not match: the server discarded it
            else:
                raise self._unexpected(answer, "PATCH")
        return True

    @staticmethod
    def _new_offset(answer: Answer, offset: int, length: int) -> int:
        try:
            new = tus.parse_offset(answer.headers.get("upload-offset"))
        except tus.TusError as exc:
            raise Refused(f"PATCH: {exc}", status=answer.status) from None
        if not offset < new <= length:
            raise Refused(f"PATCH: the server says offset {new} after {offset} of {length}",
                          status=answer.status)
        return new

    def _unexpected(self, answer: Answer, what: str) -> SyncError:
        return error_for(answer, what=what, hub_now=self.now(), cap=self.retry_cap_s)


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _expires(answer: Answer) -> str | None:
    """``Upload-Expires`` (an HTTP date) as ISO 8601 UTC, or None."""
    when = hub_clock.parse_date(answer.headers.get("upload-expires"))
    if when is None:
        return None
    return dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
