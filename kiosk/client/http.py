"""The station's HTTP API from a screen or the command line (docs/api/station.openapi.json).

Every POST carries an ``Idempotency-Key``: the client makes one per call and, when the
connection fails before an answer came, sends the same request with the same key once more,
so a lost answer never becomes a second ticket. Errors come back as :class:`StationError`
with the station's plain message, or :class:`StationUnreachable` when nothing answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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

    def _send(self, method: str, path: str, *, json: Any = None, params: Any = None,
              key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex} if method == "POST" else {}
        for attempt in range(RETRIES + 1):
            try:
                response = self._http.request(method, path, json=json, params=params,
                                              headers=headers)
                break
            except httpx.TransportError as exc:
                if attempt == RETRIES:
                    raise StationUnreachable(self.base_url, str(exc) or type(exc).__name__) \
                        from None
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
