"""The one exception a hub route raises to refuse: it becomes
``{"error": {"code", "message"}}`` with its status (docs/sync-protocol.md, Errors)."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """A refusal: ``status`` (4xx), ``code`` for the daemon, ``message`` in plain words
    (中文 / English, never personal data); ``headers`` and ``extra`` JSON keys are added."""

    def __init__(self, status: int, code: str, message: str, *,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra


def body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}
