"""The station's OpenAPI document, as committed in docs/api/station.openapi.json."""

from __future__ import annotations

from typing import Any

from .app import create_app


def openapi_document() -> dict[str, Any]:
    return create_app(None).openapi()
