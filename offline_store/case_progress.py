"""A citizen's own cases as the kiosk's 进度查询 and 结果打印 read them (issue 9).

Found only by the applicant's blind index (the ID card swiped) or by one receipt number (a
receipt's QR code, whose token the station has checked): never a list of anyone's cases.
Each row says what the citizen may see: the numbers, the item, the site's and the county's
status, the promised date, the 容缺 materials still owed, whether the case was rated, and
the result documents the county sent (``case_results``, sealed like the case's pages). The
applicant is opened so that the caller can show the name masked; once the case's key is
destroyed it is None.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from .cases import APPLICANT_CONTEXT, BLOB_CONTEXT
from .errors import BlobMissing, KeyShredded
from .site import Site

CITIZEN_LIMIT = 20
"""At most this many cases per ID card, newest first (a kiosk screen, not an archive)."""

_COLUMNS = ("id, receipt_no, official_no, item_codes, bundle_code, status, accepted_at,"
            " promised_date, receipt, county_status, county_updated_at, key_id, applicant")


def of_applicant(site: Site, id_number: str, limit: int = CITIZEN_LIMIT) -> list[dict[str, Any]]:
    """The cases whose applicant has this ID number, newest first, at most ``limit``."""
    rows = site.store.query(
        f"SELECT {_COLUMNS} FROM cases WHERE applicant_index = ?"  # noqa: S608
        " ORDER BY accepted_at DESC, id DESC LIMIT ?",
        [site.keys.blind_index(id_number), limit])
    return [_progress(site, row) for row in rows]


def by_receipt_no(site: Site, receipt_no: str) -> dict[str, Any] | None:
    rows = site.store.query(f"SELECT {_COLUMNS} FROM cases WHERE receipt_no = ?",  # noqa: S608
                            [receipt_no])
    return _progress(site, rows[0]) if rows else None


def _progress(site: Site, row: dict[str, Any]) -> dict[str, Any]:
    case_id = row["id"]
    sealed, key_id = row.pop("applicant"), row.pop("key_id")
    try:
        row["applicant"] = site.data_key(key_id).decrypt_json(
            sealed, f"{APPLICANT_CONTEXT}|{case_id}")
    except KeyShredded:
        row["applicant"] = None
    row["item_codes"] = json.loads(row["item_codes"])
    row["receipt"] = json.loads(row["receipt"])
    row["owed"] = site.store.query(
        "SELECT material_code AS code, due_date AS due FROM case_materials"
        " WHERE case_id = ? AND state = 'deferred' ORDER BY due_date, material_code", [case_id])
    row["rated"] = bool(site.store.query("SELECT 1 FROM ratings WHERE case_id = ? LIMIT 1",
                                         [case_id]))
    row["results"] = site.store.query(
        "SELECT r.plain_sha256 AS id, r.name, r.media_type, r.received_at FROM case_results r"
        " JOIN blobs b ON b.sha256 = r.blob_sha256 WHERE r.case_id = ? AND b.state != 'purged'"
        " ORDER BY r.received_at, r.plain_sha256", [case_id])
    return row


def applicant_matches(site: Site, case_id: str, id_number: str) -> bool | None:
    """Whether the case's applicant has this ID number (by blind index, in constant time);
    None when there is no such case."""
    rows = site.store.query("SELECT applicant_index FROM cases WHERE id = ?", [case_id])
    if not rows:
        return None
    return hmac.compare_digest(bytes(rows[0]["applicant_index"]),
                               site.keys.blind_index(id_number))


def open_result(site: Site, case_id: str, plain_sha256: str) -> tuple[bytes, str, str] | None:
    """A result document's bytes, media type and name, opened with the key it is sealed
    under (the case's, or its own once the case's key was destroyed); None when the case
    has no such document or it is no longer kept (purged with the case, missing on disk)."""
    rows = site.store.query(
        "SELECT r.blob_sha256, r.media_type, r.name, b.key_id, b.state FROM case_results r"
        " JOIN blobs b ON b.sha256 = r.blob_sha256 WHERE r.case_id = ? AND r.plain_sha256 = ?",
        [case_id, plain_sha256])
    if not rows or rows[0]["state"] == "purged":
        return None
    row = rows[0]
    try:
        sealed = site.blobs.read(row["blob_sha256"])
        data = site.data_key(row["key_id"]).decrypt(sealed, BLOB_CONTEXT)
    except (BlobMissing, KeyShredded):
        return None
    return data, row["media_type"], row["name"]
