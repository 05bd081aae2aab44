"""The daemon's one HTTP client of the hub: signing, hub time, bounded answers, plain errors.

- One ``httpx.Client`` with connect and read timeouts, so nothing waits past a timeout.
- Every request but enrolment is signed (RFC 9421, ``sync.protocol.signing``) with
  ``created`` in hub time: the local clock plus the offset learned from the ``Date`` of
  every answer (``sync.protocol.clock``). A ``401 stale`` corrects the offset from its own
  ``Date`` and the request is signed and sent again at once, once.
- Answers are read up to a size limit: a hostile hub sending a gigabyte gets a plain error.
- Failures are classified as docs/sync-protocol.md (Errors) says: :class:`HubUnavailable`
  (connection errors, timeouts, 5xx, 429 and 503 with ``Retry-After`` capped at 15 min),
  :class:`AuthRefused` (401), :class:`Refused` (any other 4xx, an unreadable answer).
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ValidationError

from offline_store.clock import Clock
from sync.protocol import clock as hub_clock
from sync.protocol import signing
from sync.protocol.messages import ErrorBody

from .errors import AuthRefused, HubUnavailable, Refused, SyncError, safe_code
from .settings import SyncSettings

log = logging.getLogger("bianmin.sync")
M = TypeVar("M", bound=BaseModel)
MAX_JSON_ANSWER = 1024 * 1024
"""An answer other than a pull page or a document is small: more is hostile."""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read whole (within its limit)."""

    status: int
    headers: httpx.Headers
    content: bytes

    def error_code(self) -> str | None:
        """The refusal's code: from the JSON body, or from ``Bianmin-Error`` when there is no
        body (an answer to ``HEAD``)."""
        try:
            return ErrorBody.model_validate_json(self.content).error.code
        except (ValidationError, ValueError):
            return self.headers.get("bianmin-error")


TRANSIENT_401 = ("stale", "replayed")
"""Signature refusals a new signature cures; any other 401 is the key's."""
RESIGN_ATTEMPTS = 3


def retry_after(value: str | None, now: float, cap: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` (RFC 9110 §10.2.3: seconds or a date),
    capped; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    when = hub_clock.parse_date(value)
    return None if when is None else max(0.0, min(when - now, cap))


def error_for(answer: Answer, *, what: str, hub_now: float, cap: float) -> SyncError:
    """The plain error for an answer the caller did not expect."""
    code = answer.error_code()
    detail = f"{what}: HTTP {answer.status}" + (f" {safe_code(code)}" if code else "")
    if answer.status in (429, 503) or answer.status >= 500:
        wait = retry_after(answer.headers.get("retry-after"), hub_now, cap)
        return HubUnavailable(detail, status=answer.status, code=code, retry_after=wait)
    if answer.status == 401 and code in TRANSIENT_401:
        # Our nonce was used before our request arrived: the request was duplicated or
        # replayed on the way (a proxy, an attacker). Not a key problem: try again later.
        return HubUnavailable(detail, status=401, code=code)
    if answer.status == 401:
        return AuthRefused(detail, status=401, code=code)
    return Refused(detail, status=answer.status, code=code)


@dataclass(frozen=True)
class Signer:
    """Who signs: the site code and the key the hub gave an id at enrolment."""

    site: str
    key_id: str
    private_key: Ed25519PrivateKey


class HubClient:
    """Requests to one hub. One role: turn a call into bytes on the wire and back."""

    def __init__(self, base_url: str, *, settings: SyncSettings, clock: Clock,
                 signer: Signer | None = None, offset_s: float = 0.0,
                 http: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.clock = clock
        self.signer = signer
        self.offset_s = offset_s
        """The hub's clock minus ours, learned from every answer."""
        self.offset_known = False
        self.answered = False
        """Whether an answer came since the caller last cleared it (the daemon records the
        offset and its success only after a cycle that talked to the hub)."""
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
            follow_redirects=False, trust_env=False)
        self._own_http = http is None

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def hub_now(self) -> float:
        return self.clock.now().timestamp() + self.offset_s

    # --- the wire ------------------------------------------------------------------------

    def request(self, method: str, target: str, *, query: Mapping[str, Any] | None = None,
                body: bytes | None = None, headers: Mapping[str, str] | None = None,
                signed: bool = True, max_bytes: int = MAX_JSON_ANSWER) -> Answer:
        """Send one request and read its answer, whatever its status.

        :param target: a path under the hub's URL (``/v1/ops``) or a whole URL (a tus
            ``Location``).
        :raises HubUnavailable: no answer (refused, cut, timed out).
        :raises Refused: an answer larger than ``max_bytes``.
        """
        url = target if "://" in target else self.url(target)
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        answer = self._send(method, url, body, headers, signed, max_bytes)
        for _ in range(RESIGN_ATTEMPTS):
            if not (answer.status == 401 and signed and answer.error_code() in TRANSIENT_401):
                break
            # stale: the offset was just corrected from this answer's Date. replayed: a copy
            # of the request got there first. Either way a fresh signature goes through.
            log.info("hub refused a signature as %s; signing again (offset %.1f s)",
                     answer.error_code(), self.offset_s)
            answer = self._send(method, url, body, headers, signed, max_bytes)
        return answer

    def _send(self, method: str, url: str, body: bytes | None,
              headers: Mapping[str, str] | None, signed: bool, max_bytes: int) -> Answer:
        all_headers = dict(headers or {})
        if signed:
            all_headers.update(self._signature(method, url, body))
        sent_at = self.clock.now().timestamp()
        try:
            with self._http.stream(method, url, content=body, headers=all_headers) as reply:
                content = _read_bounded(reply, max_bytes, method, url)
                answer = Answer(reply.status_code, reply.headers, content)
        except httpx.TimeoutException as exc:
            raise HubUnavailable(f"{method} {_path(url)}: timed out ({type(exc).__name__})"
                                 ) from exc
        except httpx.TransportError as exc:
            raise HubUnavailable(f"{method} {_path(url)}: {type(exc).__name__}") from exc
        self._learn_offset(answer, sent_at)
        return answer

    def _signature(self, method: str, url: str, body: bytes | None) -> dict[str, str]:
        if self.signer is None:
            raise AuthRefused("no key: the site is not enrolled")
        parts = urllib.parse.urlsplit(url)
        return signing.sign(self.signer.private_key, keyid=self.signer.key_id,
                            site=self.signer.site, method=method, path=parts.path or "/",
                            query=parts.query, body=body, created=int(self.hub_now()),
                            nonce=secrets.token_urlsafe(16))

    def _learn_offset(self, answer: Answer, sent_at: float) -> None:
        # One Date per answer; a proxy that adds its own is not the hub's clock.
        dates = answer.headers.get_list("date")
        offset = hub_clock.offset_from(dates[0] if dates else None, sent_at,
                                       self.clock.now().timestamp())
        self.answered = True
        if offset is not None:
            self.offset_s = offset
            self.offset_known = True

    # --- JSON calls ----------------------------------------------------------------------

    def call(self, method: str, path: str, model: type[M], *, json_body: Any = None,
             body: bytes | None = None, headers: Mapping[str, str] | None = None,
             query: Mapping[str, Any] | None = None, expect: tuple[int, ...] = (200,),
             signed: bool = True, max_bytes: int = MAX_JSON_ANSWER) -> M:
        """A JSON request whose answer is validated with ``model``; any other status, or an
        answer that does not validate, is a classified :class:`SyncError`."""
        send_headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            send_headers.setdefault("Content-Type", "application/json")
        answer = self.request(method, path, query=query, body=body, headers=send_headers,
                              signed=signed, max_bytes=max_bytes)
        return self.parse(answer, model, what=f"{method} {path}", expect=expect)

    def parse(self, answer: Answer, model: type[M], *, what: str,
              expect: tuple[int, ...] = (200,)) -> M:
        if answer.status not in expect:
            raise error_for(answer, what=what, hub_now=self.hub_now(),
                            cap=self.settings.backoff_cap_s)
        try:
            return model.model_validate_json(answer.content)
        except (ValidationError, ValueError) as exc:
            # The validation text may quote the answer: say only where it failed.
            where = ""
            if isinstance(exc, ValidationError) and exc.errors():
                where = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise Refused(f"{what}: the answer is not what the protocol says"
                          + (f" (at {where})" if where else ""), status=answer.status) from None


def _read_bounded(reply: httpx.Response, max_bytes: int, method: str, url: str) -> bytes:
    if method.upper() == "HEAD":
        return b""  # its Content-Length may describe the resource (tus HEAD does)
    declared = reply.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise Refused(f"{method} {_path(url)}: the answer is {declared} bytes, more than "
                      f"{max_bytes}", status=reply.status_code)
    chunks, size = [], 0
    for chunk in reply.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise Refused(f"{method} {_path(url)}: the answer is larger than {max_bytes} bytes",
                          status=reply.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def _path(url: str) -> str:
    """The path of a URL for a message (never its query: a cursor is harmless, but keep
    messages short)."""
    return urllib.parse.urlsplit(url).path
