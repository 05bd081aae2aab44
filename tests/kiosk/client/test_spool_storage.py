"""The offline spool keeps work sealed, in order, and only for the counter's own token."""

from __future__ import annotations

import pytest

from kiosk.client.spool import Job, Spool, SpoolError

NAME, NUMBER = "王小明", "11010519491231002X"
PAGE = b"\xff\xd8\xff\xe0" + b"page-bytes " * 50


def case_job() -> Job:
    return Job("case", {"applicant": {"name": NAME, "id_number": NUMBER}},
               pages={"ab" * 32: PAGE})


def test_jobs_come_back_in_the_order_they_were_made(tmp_path):
    spool = Spool(tmp_path, "token-1")
    first = spool.put(case_job())
    second = spool.put(Job("rating", {"level": 2}, fill={"case_id": (first.id, "id")}))
    again = Spool(tmp_path, "token-1").pending()
    assert [j.id for j in again] == [first.id, second.id]
    assert again[0].body["applicant"]["name"] == NAME
    assert again[0].pages == {"ab" * 32: PAGE}
    assert again[0].key == first.key  # the idempotency key survives: a resend is the same job
    assert again[1].fill == {"case_id": (first.id, "id")}
    assert len(spool) == 2


def test_nothing_personal_is_readable_on_disk(tmp_path):
    spool = Spool(tmp_path, "token-1")
    spool.put(case_job())
    raw = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for secret in (NAME.encode(), NUMBER.encode(), b"page-bytes", NAME.encode("unicode_escape")):
        assert secret not in raw


def test_another_token_cannot_read_the_spool(tmp_path):
    Spool(tmp_path, "token-1").put(case_job())
    with pytest.raises(SpoolError, match="wrong token or damaged"):
        Spool(tmp_path, "token-2").pending()


def test_a_damaged_file_is_reported_not_skipped(tmp_path):
    spool = Spool(tmp_path, "token-1")
    job = spool.put(case_job())
    path = tmp_path / f"{job.id}.job"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(SpoolError, match=job.id):
        spool.pending()


def test_a_spool_needs_a_token(tmp_path):
    with pytest.raises(SpoolError, match="token"):
        Spool(tmp_path, "")


def test_unknown_kinds_are_refused(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        Spool(tmp_path, "t").put(Job("ticket", {}))
