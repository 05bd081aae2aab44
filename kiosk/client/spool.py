"""Work done with no station reachable (上门服务, a village point offline for days), kept
sealed on this PC until the station is back, then delivered in order exactly once.

A job is what the counter would have sent: a case with its pages, the rating given for it,
an audit report. Each is written as one file (temp → fsync → rename → fsync the folder, the
blob rule of DESIGN.md §6), sealed with AES-256-GCM under a key derived (HKDF-SHA256) from
the counter's station token: the token is needed to deliver anyway, and a copied spool
folder without it is unreadable. The job's file name is its order and its id.

Delivery sends each job with the Idempotency-Key it was given when it was made, so a
delivery cut off after the station kept the job but before the answer came is simply sent
again and answered from the station's kept answers (never a second case). A job that needs
another's answer (a rating names the case the station made) waits for it and takes the
field from its answer. A refusal (the station said no: 4xx) is not retried forever and not
lost either: the job moves to ``refused/`` with the station's words, for the clerk to see.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .http import StationClient, StationError, StationUnreachable

log = logging.getLogger(__name__)

KINDS = ("case", "rating", "audit")
_INFO = b"bianmin counter spool v1"


class SpoolError(Exception):
    """The spool cannot be read or written (in plain words: a full disk, a wrong token)."""


@dataclass
class Job:
    kind: str
    body: dict[str, Any]
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    """The Idempotency-Key, fixed when the work was done."""
    pages: dict[str, bytes] = field(default_factory=dict)
    """sha256 → page bytes, for a case."""
    fill: dict[str, tuple[str, str]] = field(default_factory=dict)
    """body field → (job id, answer field): taken from an earlier job's answer."""
    id: str = ""
    answer: dict[str, Any] | None = None

    def record(self) -> dict[str, Any]:
        return {"kind": self.kind, "body": self.body, "key": self.key, "fill": self.fill,
                "pages": {sha: base64.b64encode(data).decode() for sha, data in
                          self.pages.items()},
                "answer": self.answer}

    @classmethod
    def from_record(cls, job_id: str, data: dict[str, Any]) -> Job:
        return cls(kind=data["kind"], body=data["body"], key=data["key"],
                   pages={sha: base64.b64decode(b) for sha, b in data["pages"].items()},
                   fill={k: (v[0], v[1]) for k, v in data["fill"].items()}, id=job_id,
                   answer=data.get("answer"))


@dataclass
class Delivery:
    """What one delivery round did."""

    delivered: list[Job] = field(default_factory=list)
    refused: list[tuple[Job, str]] = field(default_factory=list)
    left: int = 0
    unreachable: bool = False


class Spool:
    """The pending jobs of one counter, in ``folder``."""

    def __init__(self, folder: Path, token: str):
        if not token:
            raise SpoolError("离线暂存需要本柜台的站点令牌 / the offline spool needs this "
                             "counter's station token")
        self.folder = folder
        self._aead = AESGCM(HKDF(hashes.SHA256(), 32, None, _INFO).derive(token.encode()))
        for sub in ("", "done", "refused"):
            (folder / sub).mkdir(parents=True, exist_ok=True, mode=0o700)

    # --- writing

    def put(self, job: Job) -> Job:
        """Keep ``job`` (durably, before returning); gives it its id."""
        if job.kind not in KINDS:
            raise ValueError(f"unknown job kind {job.kind!r}")
        job.id = f"{self._next_seq():08d}-{job.kind}-{job.key[:12]}"
        self._write(self.folder / f"{job.id}.job", job)
        return job

    def _next_seq(self) -> int:
        return max((int(p.name[:8]) for sub in ("", "done", "refused")
                    for p in self._files(self.folder / sub)), default=0) + 1

    def _write(self, path: Path, job: Job) -> None:
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, json.dumps(job.record()).encode(),
                                            path.name.encode())
        tmp = path.with_suffix(".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(sealed)
                f.flush()
                os.fsync(f.fileno())
            tmp.rename(path)
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise SpoolError(f"离线暂存写入失败（磁盘已满？） / could not keep the work offline "
                             f"({exc.strerror or exc})") from None

    # --- reading

    @staticmethod
    def _files(folder: Path) -> list[Path]:
        return sorted(p for p in folder.glob("*.job") if p.name[:8].isdigit())

    def _read(self, path: Path) -> Job:
        raw = path.read_bytes()
        try:
            data = json.loads(self._aead.decrypt(raw[:12], raw[12:], path.name.encode()))
        except Exception:
            raise SpoolError(f"暂存文件 {path.name} 无法读取（令牌不对或文件损坏） / spooled "
                             f"file {path.name} cannot be read (wrong token or damaged)") \
                from None
        return Job.from_record(path.stem, data)

    def pending(self) -> list[Job]:
        return [self._read(p) for p in self._files(self.folder)]

    def __len__(self) -> int:
        return len(self._files(self.folder))

    def refused(self) -> Iterator[tuple[Job, str]]:
        for path in self._files(self.folder / "refused"):
            job = self._read(path)
            yield job, str((job.answer or {}).get("refused", ""))

    def _answer_of(self, job_id: str) -> dict[str, Any] | None:
        path = self.folder / "done" / f"{job_id}.job"
        return self._read(path).answer if path.exists() else None

    # --- delivering

    def deliver(self, client: StationClient,
                on_delivered: Callable[[Job], None] | None = None) -> Delivery:
        """Send what is pending, oldest first; stops at the first sign the station is gone
        (the rest waits for the next round)."""
        out = Delivery()
        jobs = self.pending()
        for n, job in enumerate(jobs):
            try:
                self._fill(job)
                job.answer = _send(client, job)
            except _Waiting:
                continue
            except StationUnreachable:
                out.unreachable, out.left = True, len(jobs) - n
                return out
            except StationError as exc:
                job.answer = {"refused": exc.message, "code": exc.code}
                self._move(job, "refused")
                out.refused.append((job, exc.message))
                log.warning("spool: the station refused a %s job (%s)", job.kind, exc.code)
                continue
            self._move(job, "done")
            out.delivered.append(job)
            if on_delivered is not None:
                on_delivered(job)
        out.left = len(self)
        return out

    def _fill(self, job: Job) -> None:
        for name, (job_id, answer_field) in job.fill.items():
            answer = self._answer_of(job_id)
            if answer is None:
                if (self.folder / "refused" / f"{job_id}.job").exists():
                    raise StationError(409, "depends_on_refused",
                                       "它所属的办件未被站点接受 / the case it belongs to was "
                                       "refused by the station")
                raise _Waiting
            job.body[name] = answer[answer_field]

    def _move(self, job: Job, to: str) -> None:
        job.pages = {}  # delivered or refused: the pages are the station's now (or nobody's)
        self._write(self.folder / to / f"{job.id}.job", job)
        (self.folder / f"{job.id}.job").unlink()


def _media_type(data: bytes) -> str:
    """The page's type from its first bytes (the station checks the same way)."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"%PDF"):
        return "application/pdf"
    return "image/jpeg"


class _Waiting(Exception):
    """The job needs an answer that has not come yet."""


def _send(client: StationClient, job: Job) -> dict[str, Any]:
    if job.kind == "case":
        for _ in range(2):
            for data in job.pages.values():
                client.upload_page(data, _media_type(data))
            try:
                return client.accept_case(job.body, key=job.key)
            except StationError as exc:
                # the station restarted between the uploads and the case: upload again
                if exc.code != "missing_uploads":
                    raise
        raise StationError(409, "missing_uploads", "页面上传未完成 / the pages did not arrive")
    if job.kind == "rating":
        return client.rate(job.body, key=job.key)
    return client.audit(job.body["action"], job.body.get("subject", "-"),
                        job.body.get("screen", "counter"), window=job.body.get("window"),
                        key=job.key)
