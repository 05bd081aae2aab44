"""A browser as the staff pages' tests play it: httpx with its cookies, reading the CSRF token
from the page as a browser's form would carry it, and the text of a page without its tags."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_INLINE = re.compile(r"</?(?:span|a|strong|small|em|b)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


def text_of(page: str) -> str:
    """What a reader sees: tags dropped (a block's as a space), entities decoded, spaces
    squeezed."""
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub(" ", _INLINE.sub("", page))))


@dataclass
class Browser:
    http: httpx.Client

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        assert page.status_code == 200, page.text
        found = _CSRF.search(page.text)
        assert found, "the page has no form with a CSRF token"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], *, token_from: str | None = None,
             files: dict[str, Any] | None = None) -> httpx.Response:
        """POST a form with the CSRF token of the page ``token_from`` (None: as given)."""
        if token_from is not None:
            data = {**data, "csrf": self.csrf(token_from)}
        return self.http.post(path, data=data, files=files)
