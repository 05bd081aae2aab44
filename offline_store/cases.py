"""Cases (办件) as stored: the applicant sealed under the case's own data key, the captured
pages as encrypted blobs, the receipt number made offline, and the outbox op, all committed
together.

Two ways in, one row layout:

- :func:`accept_case` writes inside the caller's ``BEGIN IMMEDIATE`` transaction (the
  station runs every request in one, with its kept answer): the case as the window accepted
  it, with its status (``accepted`` or ``accepted_rongque``), the first step of its history,
  the window, the clerk and the mode.
- :func:`add_case` opens its own transaction (scripts, tests, the sync workload).

Order of work in both: seal and write the page files first (fsynced, named by hash), then the
data key, the case, its materials and pages, the blob rows and the outbox op in the one
transaction. A crash before the commit leaves only unreferenced files, which the orphan sweep
removes (DESIGN.md §6).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import outbox
from .clock import iso
from .crypto import DataKey
from .errors import KeyShredded
from .ids import new_id
from .site import Site

APPLICANT_CONTEXT = "cases.applicant"
AGENT_CONTEXT = "cases.agent"
MATERIAL_CONTEXT = "case_materials.detail"
BLOB_CONTEXT = "blob"
MATERIAL_STATES = ("captured", "waived", "deferred", "missing")
ACCEPTED_STATUSES = ("accepted", "accepted_rongque")
MODES = ("counter", "agent", "home_visit")


@dataclass(frozen=True)
class Page:
    """A page whose bytes are fetched only when it is sealed (``load()``), so that a case of
    many 8 MB scans holds one page in memory at a time."""

    load: Callable[[], bytes]
    media_type: str = "image/jpeg"


@dataclass
class MaterialRecord:
    """One material of the checklist. ``state``: captured (pages), waived (免提交, with the
    reason in ``detail``), deferred (容缺, with the commitment and ``due_date``), missing.

    ``pages`` holds the plain bytes of each page (of type ``media_type``) or :class:`Page`
    objects that say their own type."""

    code: str
    state: str
    pages: Sequence[bytes | Page] = field(default_factory=list)
    detail: dict[str, Any] | None = None
    due_date: str | None = None
    media_type: str = "image/jpeg"


@dataclass(frozen=True)
class _StoredPage:
    material: str
    page_no: int
    sha: str
    size: int
    media_type: str


def add_case(
    site: Site,
    *,
    site_code: str,
    local_day: dt.date,
    applicant: dict[str, Any],
    item_codes: list[str],
    catalogue_version: str,
    materials: list[MaterialRecord],
    bundle_code: str | None = None,
    agent: dict[str, Any] | None = None,
    promised_date: str | None = None,
    ticket_id: str | None = None,
) -> dict[str, Any]:
    """Store an accepted case in a transaction of its own; returns ``{"id", "receipt_no",
    "blob_hashes"}``.

    :param applicant: at least ``name`` and ``id_number``; sealed, never stored in clear.
    :param local_day: the service day in local time, for the receipt number.
    """
    _check_states(materials)
    dk = site.new_data_key()
    case_id = new_id()
    stored = _seal_pages(site, dk, materials)
    with site.store.write() as conn:
        made = _insert(conn, site, dk, case_id, stored, site_code=site_code,
                       local_day=local_day, applicant=applicant, item_codes=item_codes,
                       catalogue_version=catalogue_version, materials=materials,
                       bundle_code=bundle_code, agent=agent, promised_date=promised_date,
                       ticket_id=ticket_id, status="accepted", history=[], window=None,
                       clerk=None, mode="counter", accepted_at=site.clock.now(), receipt={})
    return {key: made[key] for key in ("id", "receipt_no", "blob_hashes")}


def accept_case(
    conn: sqlite3.Connection,
    site: Site,
    *,
    site_code: str,
    local_day: dt.date,
    applicant: Mapping[str, Any],
    item_codes: Sequence[str],
    catalogue_version: str,
    materials: Sequence[MaterialRecord],
    status: str,
    first_step: Mapping[str, Any],
    mode: str = "counter",
    window: str | None = None,
    clerk: str | None = None,
    accepted_at: dt.datetime | None = None,
    bundle_code: str | None = None,
    agent: Mapping[str, Any] | None = None,
    promised_date: str | None = None,
    ticket_id: str | None = None,
    receipt: Mapping[str, Any] | None = None,
    receipt_no: str | None = None,
) -> dict[str, Any]:
    """Store a case accepted at a window, inside the caller's write transaction.

    The page files are sealed under the case's new data key and written (fsynced) before the
    rows; if the caller's transaction then rolls back they are orphans for the sweep.

    :param status: ``accepted`` or ``accepted_rongque`` (something deferred, 容缺).
    :param first_step: the history's first entry (``kiosk.domain.cases.Step.entry()``).
    :param local_day: the local day of ``accepted_at``: the receipt number's day and the
        day the case is listed under.
    :param accepted_at: when it was accepted (a home visit delivered later); default now.
    :param receipt: what the receipt shows without personal data, kept for a reprint.
    :param receipt_no: the number a counter gave the case offline (a home visit delivered
        later, already printed on the citizen's receipt); the caller has checked its form
        and that no case has it. Default: the site's next number of ``local_day``.
    :returns: ``{"id", "receipt_no", "blob_hashes", "accepted_at"}`` (ISO 8601, UTC).
    """
    if status not in ACCEPTED_STATUSES:
        raise ValueError(f"an accepted case's status is one of {ACCEPTED_STATUSES}, "
                         f"not {status!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    _check_states(materials)
    dk = site.new_data_key()
    case_id = new_id()
    stored = _seal_pages(site, dk, materials)
    return _insert(conn, site, dk, case_id, stored, site_code=site_code, local_day=local_day,
                   applicant=applicant, item_codes=item_codes,
                   catalogue_version=catalogue_version, materials=materials,
                   bundle_code=bundle_code, agent=agent, promised_date=promised_date,
                   ticket_id=ticket_id, status=status, history=[dict(first_step)],
                   window=window, clerk=clerk, mode=mode,
                   accepted_at=accepted_at or site.clock.now(), receipt=receipt or {},
                   receipt_no=receipt_no)


def _check_states(materials: Sequence[MaterialRecord]) -> None:
    for m in materials:
        if m.state not in MATERIAL_STATES:
            raise ValueError(f"material {m.code}: unknown state {m.state!r}")


def _seal_pages(site: Site, dk: DataKey, materials: Sequence[MaterialRecord],
                ) -> list[_StoredPage]:
    """Seal each page under the case's key and write its file (temp, fsync, rename)."""
    stored = []
    for m in materials:
        for page_no, page in enumerate(m.pages, start=1):
            if isinstance(page, Page):
                data, media = page.load(), page.media_type
            else:
                data, media = page, m.media_type
            sealed = dk.encrypt(data, BLOB_CONTEXT)
            del data  # one page's plain bytes at a time
            stored.append(_StoredPage(m.code, page_no, site.blobs.put(sealed), len(sealed),
                                      media))
    return stored


def _insert(conn: sqlite3.Connection, site: Site, dk: DataKey, case_id: str,
            stored: Sequence[_StoredPage], *, site_code: str, local_day: dt.date,
            applicant: Mapping[str, Any], item_codes: Sequence[str], catalogue_version: str,
            materials: Sequence[MaterialRecord], bundle_code: str | None,
            agent: Mapping[str, Any] | None, promised_date: str | None,
            ticket_id: str | None, status: str, history: list[dict[str, Any]],
            window: str | None, clerk: str | None, mode: str, accepted_at: dt.datetime,
            receipt: Mapping[str, Any], receipt_no: str | None = None) -> dict[str, Any]:
    now = site.clock.now()
    synced = site.clock.synced
    applicant, agent = dict(applicant), dict(agent) if agent else None
    site.save_data_key(conn, dk)
    receipt_no = receipt_no or _next_receipt_no(conn, site_code, local_day)
    conn.execute(
        "INSERT INTO cases (id, receipt_no, item_codes, bundle_code, catalogue_version,"
        " key_id, applicant_index, applicant, agent, status, accepted_at, clock_synced,"
        " promised_date, ticket_id, updated_at, history, window, clerk, mode, accepted_day,"
        " receipt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (case_id, receipt_no, json.dumps(list(item_codes)), bundle_code, catalogue_version,
         dk.key_id, site.keys.blind_index(applicant["id_number"]),
         dk.encrypt_json(applicant, f"{APPLICANT_CONTEXT}|{case_id}"),
         dk.encrypt_json(agent, f"{AGENT_CONTEXT}|{case_id}") if agent else None,
         status, iso(accepted_at), int(synced), promised_date, ticket_id, iso(now),
         json.dumps(history, ensure_ascii=False), window, clerk, mode, local_day.isoformat(),
         json.dumps(dict(receipt), ensure_ascii=False)),
    )
    conn.executemany(
        "INSERT INTO case_materials (case_id, material_code, state, detail, due_date)"
        " VALUES (?,?,?,?,?)",
        [(case_id, m.code, m.state,
          dk.encrypt_json(m.detail, f"{MATERIAL_CONTEXT}|{case_id}|{m.code}")
          if m.detail else None, m.due_date) for m in materials],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO blobs (sha256, size, key_id, media_type, created_at)"
        " VALUES (?,?,?,?,?)",
        [(p.sha, p.size, dk.key_id, p.media_type, iso(now)) for p in stored],
    )
    conn.executemany(
        "INSERT INTO case_pages (case_id, material_code, page_no, blob_sha256)"
        " VALUES (?,?,?,?)",
        [(case_id, p.material, p.page_no, p.sha) for p in stored],
    )
    hashes = [p.sha for p in stored]
    outbox.enqueue(
        conn, site.clock, entity="case", entity_id=case_id, op="accepted", key=dk,
        blob_hashes=hashes,
        payload={
            "id": case_id, "receipt_no": receipt_no, "item_codes": list(item_codes),
            "bundle_code": bundle_code, "catalogue_version": catalogue_version,
            "applicant": applicant, "agent": agent, "accepted_at": iso(accepted_at),
            "clock_synced": synced, "promised_date": promised_date, "ticket_id": ticket_id,
            "status": status, "history": history, "window": window, "clerk": clerk,
            "mode": mode,
            "materials": [
                {"code": m.code, "state": m.state, "due_date": m.due_date,
                 "detail": m.detail,
                 "pages": [p.sha for p in stored if p.material == m.code]}
                for m in materials
            ],
        },
    )
    return {"id": case_id, "receipt_no": receipt_no, "blob_hashes": hashes,
            "accepted_at": iso(accepted_at)}


def _next_receipt_no(conn: sqlite3.Connection, site_code: str, day: dt.date) -> str:
    """``<site>-<yyyymmdd>-<seq>``: made offline, unique per site (DESIGN.md §5)."""
    key = day.strftime("%Y%m%d")
    conn.execute(
        "INSERT INTO receipt_counters (day, last_seq) VALUES (?, 1)"
        " ON CONFLICT (day) DO UPDATE SET last_seq = last_seq + 1",
        (key,),
    )
    seq = conn.execute("SELECT last_seq FROM receipt_counters WHERE day = ?", (key,)).fetchone()[0]
    return f"{site_code}-{key}-{seq:04d}"


def read_case(site: Site, case_id: str) -> dict[str, Any]:
    """The case with its applicant, agent and pages decrypted (for the screens that need
    the full values, and for checks). :class:`KeyShredded` once its key is destroyed."""
    rows = site.store.query("SELECT * FROM cases WHERE id = ?", [case_id])
    if not rows:
        raise LookupError(case_id)
    row = rows[0]
    dk = site.data_key(row["key_id"])
    pages: dict[str, list[bytes]] = {}
    for p in site.store.query(
        "SELECT material_code, blob_sha256 FROM case_pages WHERE case_id = ?"
        " ORDER BY material_code, page_no", [case_id]
    ):
        sealed = site.blobs.read(p["blob_sha256"])
        pages.setdefault(p["material_code"], []).append(dk.decrypt(sealed, BLOB_CONTEXT))
    return {
        "id": case_id,
        "receipt_no": row["receipt_no"],
        "official_no": row["official_no"],
        "status": row["status"],
        "item_codes": json.loads(row["item_codes"]),
        "applicant": dk.decrypt_json(row["applicant"], f"{APPLICANT_CONTEXT}|{case_id}"),
        "agent": dk.decrypt_json(row["agent"], f"{AGENT_CONTEXT}|{case_id}")
        if row["agent"] else None,
        "pages": pages,
    }


def find_by_id_number(site: Site, id_number: str) -> list[dict[str, Any]]:
    return site.store.query(
        "SELECT id, receipt_no, status, accepted_at FROM cases WHERE applicant_index = ?"
        " ORDER BY accepted_at",
        [site.keys.blind_index(id_number)],
    )




_KEPT = ("id, receipt_no, official_no, item_codes, bundle_code, status, accepted_at, window,"
         " clerk, mode, accepted_day, receipt, history, key_id, applicant, agent, ticket_id")


def kept(site: Site, case_id: str) -> dict[str, Any] | None:
    """A case as the counter reprints it: the clear columns, the receipt's facts and the
    applicant and agent opened (for the caller to mask); no pages. None when there is no
    such case. Once the key is destroyed, ``applicant`` and ``agent`` are None."""
    rows = site.store.query(f"SELECT {_KEPT} FROM cases WHERE id = ?", [case_id])  # noqa: S608
    return _opened(site, rows[0]) if rows else None


def of_day(site: Site, day: dt.date) -> list[dict[str, Any]]:
    """The cases accepted on local ``day``, by acceptance time, shaped as :func:`kept`."""
    rows = site.store.query(f"SELECT {_KEPT} FROM cases WHERE accepted_day = ?"  # noqa: S608
                            " ORDER BY accepted_at, id", [day.isoformat()])
    return [_opened(site, row) for row in rows]


def _opened(site: Site, row: dict[str, Any]) -> dict[str, Any]:
    case_id = row["id"]
    sealed_applicant, sealed_agent = row.pop("applicant"), row.pop("agent")
    try:
        dk = site.data_key(row.pop("key_id"))
    except KeyShredded:
        row["applicant"] = row["agent"] = None
    else:
        row["applicant"] = dk.decrypt_json(sealed_applicant, f"{APPLICANT_CONTEXT}|{case_id}")
        row["agent"] = dk.decrypt_json(sealed_agent, f"{AGENT_CONTEXT}|{case_id}") \
            if sealed_agent else None
    row["item_codes"] = json.loads(row["item_codes"])
    row["receipt"] = json.loads(row["receipt"])
    row["history"] = json.loads(row["history"])
    return row


def case_state(conn: sqlite3.Connection, site: Site, case_id: str) -> dict[str, Any] | None:
    """What a step after acceptance needs, read inside the caller's transaction: the status,
    the history, the catalogue references and each material's ``(state, detail, due_date)``
    with its detail opened. None: no such case. :class:`KeyShredded` once its key is gone."""
    row = conn.execute(
        "SELECT status, history, key_id, item_codes, bundle_code FROM cases WHERE id = ?",
        (case_id,)).fetchone()
    if row is None:
        return None
    dk = site.data_key(row[2])
    materials = {
        code: (state, dk.decrypt_json(detail, f"{MATERIAL_CONTEXT}|{case_id}|{code}")
               if detail else None, due)
        for code, state, detail, due in conn.execute(
            "SELECT material_code, state, detail, due_date FROM case_materials"
            " WHERE case_id = ?", (case_id,))}
    return {"status": row[0], "history": json.loads(row[1]), "item_codes": json.loads(row[3]),
            "bundle_code": row[4], "materials": materials}


def move_case(conn: sqlite3.Connection, site: Site, case_id: str, *, status: str,
              entry: Mapping[str, Any], op: str,
              material: MaterialRecord | None = None) -> dict[str, Any]:
    """A step after acceptance, inside the caller's transaction: the new status, the step
    appended to the history, a material supplied (补交: its new state and, when captured, its
    pages sealed under the case's own key after the ones it had), and the outbox op.

    :returns: ``{"status", "blob_hashes"}``.
    """
    row = conn.execute("SELECT key_id, history FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None:
        raise LookupError(case_id)
    dk = site.data_key(row[0])
    history = [*json.loads(row[1]), dict(entry)]
    now = site.clock.now()
    stored: list[_StoredPage] = []
    if material is not None:
        _check_states([material])
        first = conn.execute("SELECT coalesce(max(page_no), 0) FROM case_pages WHERE case_id = ?"
                             " AND material_code = ?", (case_id, material.code)).fetchone()[0]
        stored = [dataclasses.replace(p, page_no=p.page_no + first)
                  for p in _seal_pages(site, dk, [material])]
        conn.execute(
            "UPDATE case_materials SET state = ?, detail = ?, due_date = ? WHERE case_id = ?"
            " AND material_code = ?",
            (material.state, dk.encrypt_json(material.detail,
                                              f"{MATERIAL_CONTEXT}|{case_id}|{material.code}")
             if material.detail else None, material.due_date, case_id, material.code))
        conn.executemany(
            "INSERT OR IGNORE INTO blobs (sha256, size, key_id, media_type, created_at)"
            " VALUES (?,?,?,?,?)",
            [(p.sha, p.size, dk.key_id, p.media_type, iso(now)) for p in stored])
        conn.executemany(
            "INSERT INTO case_pages (case_id, material_code, page_no, blob_sha256)"
            " VALUES (?,?,?,?)", [(case_id, p.material, p.page_no, p.sha) for p in stored])
    conn.execute("UPDATE cases SET status = ?, history = ?, updated_at = ? WHERE id = ?",
                 (status, json.dumps(history, ensure_ascii=False), iso(now), case_id))
    hashes = [p.sha for p in stored]
    outbox.enqueue(
        conn, site.clock, entity="case", entity_id=case_id, op=op, key=dk, blob_hashes=hashes,
        payload={"id": case_id, "status": status, "step": dict(entry),
                 "material": None if material is None else {
                     "code": material.code, "state": material.state,
                     "detail": material.detail, "pages": hashes}})
    return {"status": status, "blob_hashes": hashes}
