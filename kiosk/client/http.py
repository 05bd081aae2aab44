"""The station's HTTP API from a screen or the command line (docs/api/station.openapi.json).

Every POST carries an ``Idempotency-Key``: the client makes one per call and, when the
connection fails before an answer came, sends the same request with the same key once more,
so a lost answer never becomes a second ticket. Errors come back as :class:`StationError`
with the station's plain message, or :class:`StationUnreachable` when nothing answers.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

RETRIES = 1


class StationError(Exception):
    """The station refused: ``status`` (HTTP), ``code`` and ``message`` (中文 / English)."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.body = body or {}


class StationUnreachable(StationError):
    def __init__(self, url: str, why: str):
        super().__init__(0, "unreachable", f"连不上站点服务 {url} / cannot reach the station at "
                                           f"{url}: {why}")


class StationClient:
    def __init__(self, base_url: str, token: str | None, timeout_s: float = 5.0):
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing --------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(RETRIES + 1):
            try:
                return self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == RETRIES:
                    raise StationUnreachable(self.base_url, str(exc) or type(exc).__name__) \
                        from None
        raise AssertionError("unreachable")  # the loop returns or raises

    def _send(self, method: str, path: str, *, json: Any = None, params: Any = None,
              key: str | None = None, content: bytes | None = None,
              content_type: str | None = None) -> Any:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex} if method == "POST" else {}
        if content_type:
            headers["Content-Type"] = content_type
        response = self._request(method, path, json=json, params=params, headers=headers,
                                 content=content)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            if not isinstance(error, dict):
                raise StationError(response.status_code, "bad_answer",
                                   f"站点服务回答异常（HTTP {response.status_code}） / the "
                                   f"station answered HTTP {response.status_code}")
            raise StationError(response.status_code, str(error.get("code", "error")),
                               str(error.get("message", "")), error)
        if not isinstance(body, dict):
            raise StationError(response.status_code, "bad_answer",
                               "站点服务的回答不是 JSON / the station's answer is not JSON")
        return body

    # --- the API ---------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._send("GET", "/v1/health")

    def pair(self, code: str) -> dict[str, Any]:
        return self._send("POST", "/v1/pair", json={"code": code})

    def status(self) -> dict[str, Any]:
        return self._send("GET", "/v1/status")

    def kpi(self, day: str | None = None) -> dict[str, Any]:
        return self._send("GET", "/v1/kpi", params={"day": day} if day else None)

    def issue(self, category: str, *, id_card: dict[str, Any] | None = None,
              reasons: Sequence[str] = (), confirm: bool = False,
              key: str | None = None) -> dict[str, Any]:
        return self._send("POST", "/v1/tickets", key=key, json={
            "category": category, "id_card": id_card, "reasons": list(reasons),
            "confirm": confirm})

    def confirm(self, ticket_id: str, key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/tickets/{ticket_id}/confirm", key=key)

    def void(self, ticket_id: str, key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/tickets/{ticket_id}/void", key=key)

    def cancel(self, ticket_id: str, key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/tickets/{ticket_id}/cancel", key=key)

    def call(self, window: str, number: str | None = None,
             key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/windows/{window}/call", key=key,
                          json={"number": number} if number else None)

    def _at(self, window: str, action: str, key: str | None) -> dict[str, Any]:
        return self._send("POST", f"/v1/windows/{window}/{action}", key=key)

    def recall(self, window: str, key: str | None = None) -> dict[str, Any]:
        return self._at(window, "recall", key)

    def no_show(self, window: str, key: str | None = None) -> dict[str, Any]:
        return self._at(window, "no-show", key)

    def start(self, window: str, key: str | None = None) -> dict[str, Any]:
        return self._at(window, "start", key)

    def finish(self, window: str, key: str | None = None) -> dict[str, Any]:
        return self._at(window, "finish", key)

    def park(self, window: str, key: str | None = None) -> dict[str, Any]:
        return self._at(window, "park", key)

    def resume(self, window: str, number: str, key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/windows/{window}/resume", key=key,
                          json={"number": number})

    def transfer(self, window: str, *, category: str | None = None,
                 to_window: str | None = None, key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/windows/{window}/transfer", key=key,
                          json={"category": category, "window": to_window})

    def window_state(self, window: str, state: str, clerk: str | None = None,
                     key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/windows/{window}/state", key=key,
                          json={"state": state, "clerk": clerk})

    def announce(self, text: str, key: str | None = None) -> dict[str, Any]:
        return self._send("POST", "/v1/announcements", key=key, json={"text": text})

    # --- clerk accounts (docs/clerks.md) ---------------------------------------------------------

    def add_clerk(self, clerk_id: str, name: str, secret: str, *, manager: bool = False,
                  key: str | None = None) -> dict[str, Any]:
        return self._send("POST", "/v1/clerks", key=key, json={
            "id": clerk_id, "name": name, "secret": secret, "manager": manager})

    def reset_clerk_secret(self, clerk_id: str, secret: str,
                           key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/clerks/{clerk_id}/secret", key=key,
                          json={"secret": secret})

    def disable_clerk(self, clerk_id: str, key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/clerks/{clerk_id}/disable", key=key)

    def clerks(self) -> list[dict[str, Any]]:
        """Every account (manager token), without secrets or their hashes."""
        return list(self._send("GET", "/v1/clerks")["clerks"])

    def login(self, clerk_id: str, secret: str, window: str,
              key: str | None = None) -> dict[str, Any]:
        """Sign a clerk in at ``window``, which opens. A wrong secret raises
        :class:`StationError` with status 401; a locked account 423, with ``locked_until``
        in its ``body``."""
        return self._send("POST", "/v1/clerks/login", key=key,
                          json={"clerk": clerk_id, "secret": secret, "window": window})

    def logout(self, window: str, key: str | None = None) -> dict[str, Any]:
        """Sign the window's clerk out: the window pauses and names no clerk."""
        return self._send("POST", "/v1/clerks/logout", key=key, json={"window": window})

    # --- ratings and their follow-up (docs/cases.md) ------------------------------------------

    def rate(self, body: Mapping[str, Any], key: str | None = None) -> dict[str, Any]:
        """``POST /v1/ratings``: one rating per visit; a 差评 answers with its rectification."""
        return self._send("POST", "/v1/ratings", key=key, json=dict(body))

    def rectifications(self, closed: bool = False) -> dict[str, Any]:
        """``{"tasks": [...]}``, overdue first (manager token)."""
        return self._send("GET", "/v1/rectifications",
                          params={"closed": "true"} if closed else None)

    def rectification_step(self, task_id: str, step: str, body: Mapping[str, Any],
                           key: str | None = None) -> dict[str, Any]:
        return self._send("POST", f"/v1/rectifications/{task_id}/{step}", key=key,
                          json=dict(body))

    # --- cases (一窗受理) ------------------------------------------------------------------------

    def catalogue(self, full: bool = False) -> dict[str, Any]:
        """The current catalogue's items and bundles, each with its pinyin ``initials``;
        ``full``: with ``source``, the whole catalogue for working offline
        (``kiosk.domain.catalogue.parse_catalogue`` reads it)."""
        return self._send("GET", "/v1/catalogue", params={"full": "true"} if full else None)

    def upload_page(self, data: bytes, media_type: str = "image/jpeg") -> str:
        """Stage one page at the station (sealed there at once) and return its SHA-256, the
        name a case body gives it. A page the station holds already is not sent again."""
        sha = hashlib.sha256(data).hexdigest()
        path = f"/v1/uploads/{sha}"
        found = self._request("HEAD", path)
        if found.status_code == 200:
            return sha
        if found.status_code != 404:  # a HEAD answer has no body to read the error from
            code = {401: "unauthorized", 403: "forbidden"}.get(found.status_code, "bad_answer")
            raise StationError(found.status_code, code,
                               f"站点服务拒绝了页面上传（HTTP {found.status_code}） / the "
                               f"station refused the upload (HTTP {found.status_code})")
        self._send("PUT", path, content=data, content_type=media_type)
        return sha

    def preview_case(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """What accepting ``body`` would decide now (checklist, problems, notice, fees,
        promised date); writes nothing."""
        return self._send("POST", "/v1/cases/preview", json=dict(body))

    def accept_case(self, body: Mapping[str, Any], key: str | None = None) -> dict[str, Any]:
        """Accept the case. A 409 ``missing_uploads`` raises :class:`StationError` whose
        ``body["missing"]`` lists the pages to upload again; then retry with the SAME
        ``key``, so that the case is made once."""
        return self._send("POST", "/v1/cases", key=key, json=dict(body))

    def case_step(self, case_id: str, step: str, *, material: Mapping[str, Any] | None = None,
                  note: str = "", window: str | None = None,
                  key: str | None = None) -> dict[str, Any]:
        """``supply`` (补交) a deferred material, ``finish`` (办结) or ``withdraw`` (撤回) a
        case; upload a captured material's pages first."""
        body: dict[str, Any] = {"note": note, "window": window}
        if material is not None:
            body["material"] = dict(material)
        return self._send("POST", f"/v1/cases/{case_id}/{step}", json=body, key=key)

    def cases(self, day: str | None = None) -> dict[str, Any]:
        """``{"day", "cases": [...]}``: the cases accepted on ``day`` (today), masked."""
        return self._send("GET", "/v1/cases", params={"day": day} if day else None)

    def case(self, case_id: str) -> dict[str, Any]:
        """One case as its acceptance answered (masked), for a reprint."""
        return self._send("GET", f"/v1/cases/{case_id}")

    def audit(self, action: str, subject: str, screen: str, window: str | None = None,
              key: str | None = None) -> dict[str, Any]:
        """Record a view of personal data or a print (``id_card.read``, ``case.printed``):
        ``subject`` is a record id or ``-``, never the data itself."""
        return self._send("POST", "/v1/audit", key=key, json={
            "action": action, "subject": subject, "screen": screen, "window": window})

    # --- 办不成事 --------------------------------------------------------------------------------

    def report_unresolved(self, body: Mapping[str, Any],
                          key: str | None = None) -> dict[str, Any]:
        """``{"requester": {"name", "id_number"?, "phone"?}, "what", "why", "item_code"?,
        "window"?}``: what and why must not carry personal data."""
        return self._send("POST", "/v1/unresolved", key=key, json=dict(body))

    def unresolved(self, closed: bool = False) -> dict[str, Any]:
        """``{"requests": [...]}``, overdue first."""
        return self._send("GET", "/v1/unresolved",
                          params={"closed": "true"} if closed else None)

    def unresolved_step(self, request_id: str, step: str, body: Mapping[str, Any],
                        key: str | None = None) -> dict[str, Any]:
        """``escalate`` or ``close`` (with ``outcome``); body ``{"note", "by"}``."""
        return self._send("POST", f"/v1/unresolved/{request_id}/{step}", key=key,
                          json=dict(body))

    # --- the citizen kiosk (docs/citizen-api.md) ------------------------------------------------

    def citizen_cases(self, id_card: Mapping[str, Any] | None = None,
                      code: str | None = None) -> dict[str, Any]:
        """``{"cases", "ticket", "last_sync_at"}``: the card holder's own cases (``id_card``:
        ``{"id_number", "name"}`` from the chip), or the case or ticket of a scanned QR
        ``code``. A code that is not recognised raises :class:`StationError` 404
        ``not_found``; too many wrong codes 429 ``slow_down``."""
        body: dict[str, Any] = {"id_card": dict(id_card)} if id_card is not None \
            else {"code": code}
        return self._send("POST", "/v1/citizen/cases", json=body)

    def citizen_result(self, case_id: str, result_id: str,
                       id_card: Mapping[str, Any]) -> tuple[bytes, str]:
        """A result document's bytes and media type, for the applicant's own card (else
        :class:`StationError` 403 ``not_yours``)."""
        response = self._request("POST", f"/v1/citizen/results/{case_id}/{result_id}",
                                 json={"id_card": dict(id_card)})
        if response.status_code >= 400:
            try:
                error = response.json().get("error")
            except (ValueError, AttributeError):
                error = None
            if not isinstance(error, dict):
                raise StationError(response.status_code, "bad_answer",
                                   f"站点服务回答异常（HTTP {response.status_code}） / the "
                                   f"station answered HTTP {response.status_code}")
            raise StationError(response.status_code, str(error.get("code", "error")),
                               str(error.get("message", "")), error)
        media_type = response.headers.get("content-type", "application/octet-stream")
        return response.content, media_type.split(";")[0].strip()

    def find_appointments(self, code: str | None = None,
                          phone: str | None = None) -> dict[str, Any]:
        """``{"appointments": [...]}``: today's bookings by the scanned or typed ``code``
        (404 ``not_found`` when no booking has it) or by ``phone``."""
        body = {"code": code} if code is not None else {"phone": phone}
        return self._send("POST", "/v1/appointments/find", json=body)

    def check_in(self, appointment_id: str, key: str | None = None) -> dict[str, Any]:
        """Check a booking in: the reserved ticket (with ``code``); print it, then
        :meth:`confirm` (or :meth:`void`). 409 ``too_early``, ``too_late``, ``cancelled``,
        ``already_checked_in`` (``body["ticket"]`` to reprint)."""
        return self._send("POST", f"/v1/appointments/{appointment_id}/checkin", key=key)

    def ask_help(self, screen: str, key: str | None = None) -> dict[str, Any]:
        """我要帮办 from ``screen`` (``[a-z_]+``): ``{"id", "at", …}``; this screen's open
        call again while one is open."""
        return self._send("POST", "/v1/help", key=key, json={"screen": screen})

    def answer_help(self, help_id: str, key: str | None = None, *,
                    window: str | None = None) -> dict[str, Any]:
        """Staff are on their way (from ``window``, when a counter answers)."""
        return self._send("POST", f"/v1/help/{help_id}/answer", key=key,
                          json={"window": window})

    def help_requests(self) -> list[dict[str, Any]]:
        """The open calls for help, oldest first."""
        return list(self._send("GET", "/v1/help")["requests"])
