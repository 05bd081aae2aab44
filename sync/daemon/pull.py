"""Pull: what the county decides, read from the hub's change streams (docs/sync-protocol.md,
Pull).

Each page's items and the new cursor are applied in one store transaction, so a cut
between pages loses nothing and applies nothing twice; every item is idempotent anyway,
because ``410 must_refetch`` (the hub restored from a backup) reads a stream from its start.
An item the site refuses (a catalogue version that does not validate, a malformed item) is
recorded and skipped inside its own savepoint: the stream goes on, the current state stays.

Appliers are ``(conn, site, item) -> None`` inside the page's transaction. The daemon has
its own for ``case_status``, ``appointments`` and ``rectifications``; the catalogue's is
handed in by the application (``kiosk/sync_cli.py``), which owns the catalogue's rules.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from offline_store import sync_state
from offline_store.cases import BLOB_CONTEXT
from offline_store.clock import iso
from offline_store.site import Site
from sync.protocol.messages import MAX_PULL, STREAMS, ChangesPage

from .errors import ItemRefused, Refused, SyncError
from .settings import SyncSettings
from .transport import HubClient, error_for

log = logging.getLogger("bianmin.sync")
Applier = Callable[[sqlite3.Connection, Site, dict[str, Any]], None]
_SHA = r"^[0-9a-f]{64}$"
_lenient = ConfigDict(extra="ignore", frozen=True)


class ResultRef(BaseModel):
    model_config = _lenient

    sha256: str = Field(pattern=_SHA)
    size: int = Field(ge=0)
    media_type: str = Field(min_length=1, max_length=100)
    name: str = Field(max_length=200)


class CaseStatusItem(BaseModel):
    model_config = _lenient

    case_id: str = Field(min_length=1, max_length=64)
    official_no: str | None = Field(default=None, max_length=64)
    status: str = Field(min_length=1, max_length=40)
    step: dict[str, Any] | None = None
    result: ResultRef | None = None


class AppointmentItem(BaseModel):
    model_config = _lenient

    id: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=40)
    start: str = Field(min_length=1, max_length=40)
    end: str = Field(min_length=1, max_length=40)
    code: str = Field(min_length=1, max_length=40)
    holder: dict[str, Any] | None = None
    status: str = Field(min_length=1, max_length=40)


class RectificationItem(BaseModel):
    model_config = _lenient

    id: str = Field(min_length=1, max_length=64)
    stage: str = Field(min_length=1, max_length=40)
    status: str = Field(min_length=1, max_length=40)
    entry: dict[str, Any] | None = None


def apply_case_status(conn: sqlite3.Connection, site: Site, item: dict[str, Any]) -> None:
    """Applied at once, or held while the site still has ops of the case to deliver."""
    parsed = CaseStatusItem.model_validate(item).model_dump(exclude_none=True)
    if sync_state.case_undelivered(conn, parsed["case_id"]):
        sync_state.hold(conn, site.clock, "case_status", parsed["case_id"], parsed)
        return
    # A newer status supersedes one still held for the case.
    conn.execute("DELETE FROM sync_held WHERE stream = 'case_status' AND item_key = ?",
                 (parsed["case_id"],))
    sync_state.apply_case_status(conn, site.clock, parsed)


def apply_appointment(conn: sqlite3.Connection, site: Site, item: dict[str, Any]) -> None:
    sync_state.apply_appointment(conn, site, AppointmentItem.model_validate(item).model_dump())


def apply_rectification(conn: sqlite3.Connection, site: Site, item: dict[str, Any]) -> None:
    sync_state.apply_rectification(conn, site.clock,
                                   RectificationItem.model_validate(item).model_dump())


APPLIERS: dict[str, Applier] = {
    "case_status": apply_case_status,
    "appointments": apply_appointment,
    "rectifications": apply_rectification,
}


def _shown(value: object) -> str:
    """A hub-given name fit for a message: short, plain characters only."""
    text = re.sub(r"[^\w.:-]", "?", str(value))[:40]
    return text or "?"


class Puller:
    """Reads every stream that has an applier, page by page, to its end."""

    def __init__(self, site: Site, hub: HubClient, settings: SyncSettings,
                 appliers: Mapping[str, Applier], stop: Callable[[], bool] = lambda: False):
        self.site = site
        self.stop = stop
        self.hub = hub
        self.settings = settings
        self.appliers = dict(appliers)

    def pull_all(self, counts: dict[str, Any]) -> None:
        for stream in STREAMS:
            if stream in self.appliers and not self.stop():
                counts["pulled"] += self.pull(stream, counts)
        sync_state.save(self.site.store, self.site.clock, last_pull=iso(self.site.clock.now()))

    def pull(self, stream: str, counts: dict[str, Any]) -> int:
        """Read ``stream`` to its end; returns the items applied."""
        cursor, handle = sync_state.cursor(self.site.store, stream)
        applied = 0
        refetched = False
        while not self.stop():
            query = {"cursor": cursor, "handle": handle if cursor is not None else None,
                     "limit": min(self.settings.pull_limit, MAX_PULL)}
            try:
                page = self.hub.call("GET", f"/v1/changes/{stream}", ChangesPage, query=query,
                                     max_bytes=self.settings.max_answer_bytes)
                if page.stream != stream:
                    raise Refused(f"asked for {stream}, the hub answered {page.stream}")
                if cursor is not None and handle is not None and page.handle != handle:
                    raise Refused("the hub's history changed", status=410,
                                  code="must_refetch")
            except Refused as exc:
                if exc.status != 410 or exc.code != "must_refetch" or refetched:
                    raise
                log.warning("stream %s: the hub's history changed; reading it from the start",
                            stream)
                sync_state.drop_cursor(self.site.store, self.site.clock, stream)
                cursor = handle = None
                refetched = True
                continue
            items = [item.model_dump() for item in page.items]
            new_cursor = page.cursor or (items[-1]["cursor"] if items else cursor)
            if items or (new_cursor, page.handle) != (cursor, handle):
                if stream == "case_status":
                    self._fetch_results(items)
                applied += self._apply(stream, items, new_cursor, page.handle, counts)
            cursor, handle = new_cursor, page.handle
            if not page.has_more or not items:
                break
        return applied

    def _apply(self, stream: str, items: list[dict[str, Any]], cursor: str | None,
               handle: str, counts: dict[str, Any]) -> int:
        applier = self.appliers[stream]
        applied = 0
        refusals: list[str] = []
        with self.site.store.write() as conn:
            for item in items:
                conn.execute("SAVEPOINT pulled_item")
                try:
                    applier(conn, self.site, item)
                except (ItemRefused, ValidationError, KeyError, TypeError, ValueError) as exc:
                    conn.execute("ROLLBACK TO pulled_item")
                    refusals.append(_refusal(stream, item, exc))
                else:
                    applied += 1
                conn.execute("RELEASE pulled_item")
            sync_state.set_cursor(conn, self.site.clock, stream, cursor, handle)
            if refusals:
                now = iso(self.site.clock.now())
                sync_state.put(conn, self.site.clock, last_error=refusals[-1],
                               last_error_at=now,
                               last_refused={"stream": stream, "at": now,
                                             "reason": refusals[-1]})
        for reason in refusals:
            log.warning("%s", reason)
            counts["errors"].append(reason)
        return applied

    def _fetch_results(self, items: list[dict[str, Any]]) -> None:
        """Download the result documents a page names, before its transaction (no network
        inside a store transaction): checked against their hash and stored sealed under
        the case's key. An item that does not validate is left for its applier to refuse."""
        for item in items:
            try:
                parsed = CaseStatusItem.model_validate(item)
            except ValidationError:
                continue
            result = parsed.result
            if result is None or sync_state.has_result(self.site.store, parsed.case_id,
                                                       result.sha256):
                continue
            keyed = sync_state.case_key(self.site, parsed.case_id)
            if keyed is None:
                continue  # not a case of this site's store: nothing to attach it to
            if result.size > self.settings.max_answer_bytes:
                raise Refused(f"result document of {result.size} bytes is larger than "
                              f"{self.settings.max_answer_bytes}")
            answer = self.hub.request("GET", f"/v1/blobs/{result.sha256}",
                                      max_bytes=max(result.size, 1))
            if answer.status != 200:
                raise error_for(answer, what="GET /v1/blobs (result document)",
                                hub_now=self.hub.hub_now(), cap=self.settings.backoff_cap_s)
            data = answer.content
            if len(data) != result.size or hashlib.sha256(data).hexdigest() != result.sha256:
                raise Refused(f"result document {result.sha256[:12]} does not match its hash "
                              "or size")
            key, new_key = keyed
            sealed = key.encrypt(data, BLOB_CONTEXT)
            sealed_sha = self.site.blobs.put(sealed)
            sync_state.save_result(self.site, case_id=parsed.case_id, key=key, new_key=new_key,
                                   sealed_sha=sealed_sha, sealed_size=len(sealed),
                                   plain_sha256=result.sha256, plain_size=len(data),
                                   media_type=result.media_type, name=result.name)
            log.info("result document %s received for case %s", result.sha256[:12],
                     parsed.case_id)


def _refusal(stream: str, item: Mapping[str, Any], exc: Exception) -> str:
    """The plain reason an item was skipped: its stream, cursor and what failed, never the
    item's values (an appointment's holder is personal data)."""
    where = f"{stream} item at cursor {_shown(item.get('cursor'))}"
    if isinstance(exc, SyncError):
        return f"{where}: {exc}"
    if isinstance(exc, ValidationError) and exc.errors():
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        return (f"{where}: 县级平台下发的内容格式不对，已跳过 / the item is malformed "
                f"(at {_shown(field)}) and was skipped")
    return (f"{where}: 县级平台下发的内容无法应用，已跳过 / the item could not be applied "
            f"({type(exc).__name__}) and was skipped")
