"""A station on loopback for the case tests: the sample catalogue loaded, a counter, a kiosk,
a display and a manager paired, and clerk zhang01 signed in at window 1."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kiosk import catalogue_loader
from kiosk.client.http import StationClient
from kiosk.config import SiteConfig
from kiosk.station import auth
from kiosk.station.server import RunningStation, start_background

NAME = "欧阳娜娜"
ID_NUMBER = "11010519491231002X"  # GB 11643's worked example: its check character is X
AGENT_ID_NUMBER = "110105194912310038"
CLERK, SECRET = "zhang01", "135790"


@dataclass
class CaseStation:
    url: str
    running: RunningStation
    tokens: dict[str, str]
    data_dir: Path

    def client(self, role: str = "counter") -> StationClient:
        return StationClient(self.url, self.tokens[role], timeout_s=10)

    def headers(self, role: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def post(self, role: str, path: str, body: Any, key: str | None = None) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=10,
                          headers=self.headers(role, key or uuid.uuid4().hex))

    def get(self, role: str, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=10,
                         headers=self.headers(role))

    def on_writer(self, fn: Any, *args: Any) -> Any:
        return self.running.station.writer.submit(fn, *args).result()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the store file with plain sqlite3, as anyone with the disk could."""
        conn = sqlite3.connect(self.data_dir / "store.sqlite")
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


@contextmanager
def case_station(data_dir: Path) -> Iterator[CaseStation]:
    running = start_background(data_dir, SiteConfig())
    try:
        site = running.station.site
        tokens = {role: running.station.writer.submit(auth.pair, site, role).result().token
                  for role in auth.ROLES}

        def load() -> None:
            catalogue, source = catalogue_loader.read_file(None)
            catalogue_loader.save(site, catalogue, source)

        running.station.writer.submit(load).result()
        made = CaseStation(running.url, running, tokens, data_dir)
        with made.client("manager") as manager:
            manager.add_clerk(CLERK, "张小明", SECRET)
        with made.client("counter") as counter:
            counter.login(CLERK, SECRET, "1")
        yield made
    finally:
        running.stop()


def jpeg(size: int = 3000) -> bytes:
    """Bytes that start like a JPEG (SOI marker) and are otherwise random: easy to find if
    they ever reached the disk in clear."""
    return b"\xff\xd8\xff\xe0" + os.urandom(size)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def person(name: str = NAME, id_number: str = ID_NUMBER, **more: Any) -> dict[str, Any]:
    return {"name": name, "id_number": id_number, "phone": "13800138000", "from_card": False,
            **more}


def birth_bundle(pages: dict[str, list[str]], due: str, **more: Any) -> dict[str, Any]:
    """新生儿出生一件事: 居民身份证 by e-licence, 申请表 and 出生医学证明 captured, the photo
    容缺 (deferred to ``due``), the optional 结婚证 and 户口簿 left out."""
    return {
        "applicant": person(), "bundle_code": "SMP-YJS-001", "window": "1", "mode": "counter",
        "materials": [
            {"code": "M001", "state": "waived", "reason": "e_licence", "licence_code": "EL-1"},
            {"code": "M008", "state": "captured", "pages": pages["M008"]},
            {"code": "M004", "state": "captured", "pages": pages["M004"]},
            {"code": "M007", "state": "deferred", "due": due, "commitment_signed": True},
        ],
        **more,
    }
