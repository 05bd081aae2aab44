"""The acceptance receipt, the one-time notice and the 容缺 commitment, printed through the
ESC/POS encoder into the printer simulator and saved as pictures (tests/artifacts/printer/)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from drivers.escpos_printer import EscPosProfile, Job, encode_job
from drivers.sim.escpos_printer import EscPosSim, EscPosSimConfig, RenderedJob
from kiosk.printouts import Acceptance, Missing, commitment_job, mask_name, notice_job, receipt_job

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "printer"
ID_NUMBER = "110101199003071234"
CASE = Acceptance(
    site_name="青山镇便民服务中心", receipt_no="QS-20261124-0007",
    accepted_at=dt.datetime(2026, 11, 24, 10, 5), applicant_name="王小明",
    applicant_id_number=ID_NUMBER,
    items=["出生医学证明办理", "新生儿户口登记", "城乡居民医保参保登记"],
    received=["居民身份证", "结婚证", "出生医学证明"],
    missing=[Missing("户口簿", "2026-12-01"),
             Missing("父母双方身份证复印件", None, "复印在同一页A4纸上")],
    promised=dt.date(2026, 12, 3), window="3", clerk="王芳", agent_name="李秀英",
    query_url="https://example.invalid/q/QS-20261124-0007", waived=["独生子女证明"])


def printed(job: Job, name: str, width: int = 80) -> RenderedJob:
    sim = EscPosSim(EscPosSimConfig(width=width))
    sim.feed(encode_job(job, EscPosProfile.for_paper(width)))
    paper = sim.finish() or sim.jobs[-1]
    paper.save(ARTIFACTS / f"{name}_{width}mm.png")
    assert paper.decode_errors == 0 and sim.unknown_commands == 0 and paper.cut
    return paper


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"), ("王小明", "王*明"), ("欧阳娜娜", "欧**娜"), ("李", "李"), (" 赵四 ", "赵*")])
def test_names_keep_the_family_name_and_the_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize("width", [80, 58])
def test_the_receipt_says_what_was_received_what_is_owed_and_when(width: int) -> None:
    paper = printed(receipt_job(CASE), "receipt", width)
    text = "\n".join(paper.text)
    assert "受理回执" in text and "QS-20261124-0007" in text
    assert "王*明" in text and "110101********1234" in text
    assert "王小明" not in text and ID_NUMBER not in text  # never the full values on paper
    assert "户口簿：2026年12月1日前补交" in text
    assert "承诺办结 Done by: 2026年12月3日" in text and "3号窗口" in text
    assert "李*英" in text and "免提交" in text
    assert paper.raster_images >= 1  # the progress QR, sent as a raster image by default


def test_the_notice_lists_every_missing_paper_once() -> None:
    paper = printed(notice_job(CASE), "notice")
    text = "\n".join(paper.text)
    assert "1. 户口簿，2026年12月1日前" in text
    assert "2. 父母双方身份证复印件（复印在同一页A4纸上）" in text
    with pytest.raises(ValueError, match="nothing is missing"):
        notice_job(Acceptance(**{**CASE.__dict__, "missing": ()}))


def test_the_commitment_names_the_deferred_papers_and_has_room_to_sign() -> None:
    paper = printed(commitment_job(CASE), "commitment")
    text = "\n".join(paper.text)
    assert "户口簿：2026年12月1日前" in text and "父母双方身份证复印件" not in text
    assert any("签字" in line for line in paper.text)
