"""Cases (办件) as stored: the applicant sealed under the case's own data key, the captured
pages as encrypted blobs, the receipt number made offline, and the outbox op, all committed
together.

Order of work in :func:`add_case`: seal and write the page files first (fsynced, named by
hash), then one ``BEGIN IMMEDIATE`` transaction with the data key, the case, its materials
and pages, the blob rows and the outbox op. A crash before the commit leaves only
unreferenced files, which the orphan sweep removes.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from . import outbox
from .clock import iso
from .ids import new_id
from .site import Site

APPLICANT_CONTEXT = "cases.applicant"
AGENT_CONTEXT = "cases.agent"
MATERIAL_CONTEXT = "case_materials.detail"
BLOB_CONTEXT = "blob"
MATERIAL_STATES = ("captured", "waived", "deferred", "missing")


@dataclass
class MaterialRecord:
    """One material of the checklist. ``state``: captured (pages), waived (免提交, with the
    reason in ``detail``), deferred (容缺, with the commitment and ``due_date``), missing."""

    code: str
    state: str
    pages: list[bytes] = field(default_factory=list)
    detail: dict[str, Any] | None = None
    due_date: str | None = None
    media_type: str = "image/jpeg"


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
    """Store an accepted case; returns ``{"id", "receipt_no", "blob_hashes"}``.

    :param applicant: at least ``name`` and ``id_number``; sealed, never stored in clear.
    :param local_day: the service day in local time, for the receipt number.
    """
    for m in materials:
        if m.state not in MATERIAL_STATES:
            raise ValueError(f"material {m.code}: unknown state {m.state!r}")
    dk = site.new_data_key()
    case_id = new_id()
    stored_pages: list[tuple[str, int, str, int, str]] = []  # material, page, sha, size, type
    for m in materials:
        for page_no, page in enumerate(m.pages, start=1):
            sealed = dk.encrypt(page, BLOB_CONTEXT)
            sha = site.blobs.put(sealed)
            stored_pages.append((m.code, page_no, sha, len(sealed), m.media_type))
    now = site.clock.now()
    synced = site.clock.synced
    with site.store.write() as conn:
        site.save_data_key(conn, dk)
        receipt_no = _next_receipt_no(conn, site_code, local_day)
        conn.execute(
            "INSERT INTO cases (id, receipt_no, item_codes, bundle_code, catalogue_version,"
            " key_id, applicant_index, applicant, agent, status, accepted_at, clock_synced,"
            " promised_date, ticket_id, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (case_id, receipt_no, json.dumps(item_codes), bundle_code, catalogue_version,
             dk.key_id, site.keys.blind_index(applicant["id_number"]),
             dk.encrypt_json(applicant, f"{APPLICANT_CONTEXT}|{case_id}"),
             dk.encrypt_json(agent, f"{AGENT_CONTEXT}|{case_id}") if agent else None,
             "accepted", iso(now), int(synced), promised_date, ticket_id, iso(now)),
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
            [(sha, size, dk.key_id, media, iso(now)) for _, _, sha, size, media in stored_pages],
        )
        conn.executemany(
            "INSERT INTO case_pages (case_id, material_code, page_no, blob_sha256)"
            " VALUES (?,?,?,?)",
            [(case_id, code, page_no, sha) for code, page_no, sha, _, _ in stored_pages],
        )
        hashes = [sha for _, _, sha, _, _ in stored_pages]
        outbox.enqueue(
            conn, site.clock, entity="case", entity_id=case_id, op="accepted", key=dk,
            blob_hashes=hashes,
            payload={
                "id": case_id, "receipt_no": receipt_no, "item_codes": item_codes,
                "bundle_code": bundle_code, "catalogue_version": catalogue_version,
                "applicant": applicant, "agent": agent, "accepted_at": iso(now),
                "clock_synced": synced, "promised_date": promised_date, "ticket_id": ticket_id,
                "materials": [
                    {"code": m.code, "state": m.state, "due_date": m.due_date,
                     "detail": m.detail,
                     "pages": [sha for code, _, sha, _, _ in stored_pages if code == m.code]}
                    for m in materials
                ],
            },
        )
    return {"id": case_id, "receipt_no": receipt_no, "blob_hashes": hashes}


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


