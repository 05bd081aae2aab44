"""What the fault tests' child processes write: tickets and cases whose content can be
recomputed from their marker, so the parent can check every committed record whole."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from offline_store import cases, tickets
from offline_store.site import Site


def page_bytes(marker: str, page: int) -> bytes:
    return hashlib.sha256(f"{marker}/{page}".encode()).digest() * 600  # 19 KB


def applicant(marker: str) -> dict[str, str]:
    return {"name": f"测试{marker}", "id_number": f"1101051949{int(marker) % 10**8:08d}"}


def write_one(site: Site, rng: random.Random, marker: str) -> str:
    """Write one record; returns the line the child reports once the commit returned."""
    if rng.random() < 0.2:
        result = cases.add_case(
            site, site_code="T0001", local_day=dt.date(2026, 11, 24),
            applicant=applicant(marker), item_codes=["SMP-SHBZ-001"],
            catalogue_version="test", materials=[
                cases.MaterialRecord("M001", "captured", [page_bytes(marker, 1),
                                                          page_bytes(marker, 2)]),
                cases.MaterialRecord("M002", "deferred", due_date="2026-12-01",
                                     detail={"commitment": "补交"}),
            ],
        )
        return f"C {result['id']} {marker}\n"
    ticket = tickets.issue(site, service_day="2026-11-24", category="A", channel="kiosk")
    return f"T {ticket['id']} {marker}\n"
