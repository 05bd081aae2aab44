"""The kiosk's paper: the queue ticket, the one-time notice of what to bring and a result
document, printed through the ESC/POS encoder into the printer simulator on 80 mm and 58 mm
paper and saved as pictures (tests/artifacts/kiosk/)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from devices.imaging.codes import read_codes
from drivers.escpos_printer import EscPosProfile, Job, Text, encode
from drivers.sim.escpos_printer import EscPosSim, EscPosSimConfig, RenderedJob
from kiosk.domain.queue.estimates import wait_minutes
from kiosk.kiosk_ports import GuideFacts, GuideMaterial, ResultDoc, TicketFacts
from kiosk.kiosk_printouts import (
    MAX_PAGES,
    CannotPrint,
    guide_job,
    number_size,
    result_job,
    ticket_job,
    time_limit_line,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "kiosk"
LOCAL = dt.timezone(dt.timedelta(hours=8))
TICKET = TicketFacts(
    site_name="青山镇便民服务中心", number="A012", category_name="社保医保",
    category_name_en="Social and medical insurance", ahead=0, estimated_wait_s=None,
    issued_at=dt.datetime(2026, 11, 24, 10, 5, tzinfo=LOCAL))
RETIREMENT = GuideFacts(
    site_name="青山镇便民服务中心", title="退休一件事", title_en="Retirement",
    printed_at=dt.datetime(2026, 11, 24, 10, 5, tzinfo=LOCAL),
    materials=(
        GuideMaterial("居民身份证", "原件", 1, True, False),
        GuideMaterial("户口簿", "原件和复印件", 1, True, True, "核对户籍信息"),
        GuideMaterial("近期一寸免冠照片", "原件", 2, False, False),
        GuideMaterial("职工养老保险待遇申领表", "电子证照", 1, True, False),
        GuideMaterial("解除劳动合同证明书（与单位解除劳动关系的职工提供）", "复印件", 1, False,
                      True),
    ),
    conditions=("达到法定退休年龄。", "累计缴费满15年。"), promised_days=15, legal_days=20,
    fee_text="不收费 / Free", window="社保医保窗口 B", village_can=True,
    items=("职工退休申请", "基本医疗保险退休人员登记", "住房公积金提取"))


def printed(job: Job, name: str, width: int = 80) -> RenderedJob:
    encoded = encode(job, EscPosProfile.for_paper(width))
    assert encoded.warnings == ()  # no character printed as 〓, no QR too long
    sim = EscPosSim(EscPosSimConfig(width=width))
    sim.feed(encoded.data)
    paper = sim.finish() or sim.jobs[-1]
    paper.save(ARTIFACTS / f"{name}_{width}mm.png")
    assert paper.decode_errors == 0 and sim.unknown_commands == 0 and paper.cut
    return paper


def texts(job: Job) -> list[str]:
    return [block.text for block in job.blocks if isinstance(block, Text)]


# --- the ticket --------------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "size"), [("A012", 4), ("VIP0123", 4), ("AB0123456", 3),
                                              ("X" * 20, 1)])
def test_the_number_is_as_large_as_the_narrow_paper_allows(number: str, size: int) -> None:
    assert number_size(number) == size
    big = [b for b in ticket_job(dataclasses.replace(TICKET, number=number)).blocks
           if isinstance(b, Text) and b.text == number]
    assert len(big) == 1 and big[0].size == size and big[0].bold


@pytest.mark.parametrize("width", [80, 58])
def test_a_plain_ticket_has_every_line_in_chinese_then_english(width: int) -> None:
    paper = printed(ticket_job(TICKET), "ticket_plain", width)
    text = "\n".join(paper.text)
    assert "A012" in paper.text
    assert "前面还有 0 人 / 0 ahead" in text
    assert "取号 / Issued: 2026-11-24 10:05" in paper.text  # one line, even on 58 mm
    assert "请留意叫号 / Please listen" in text
    # no estimate, no code, no priority: none of their lines
    assert "分钟" not in text and "扫码" not in text and "Reprint" not in text
    assert paper.raster_images == 0
    for line in texts(ticket_job(TICKET)):
        if " / " in line:
            zh, en = line.split(" / ", 1)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.isascii(), line


def test_a_full_ticket_carries_its_code_marks_and_wait_but_nothing_personal() -> None:
    ticket = dataclasses.replace(
        TICKET, ahead=12, estimated_wait_s=61.0, code="BMT:8f3a2c91:k2jd93kd0slq",
        priority_note="绿色通道 / Priority", appointment=True, reprint=True)
    job = ticket_job(ticket)
    paper = printed(job, "ticket_full")
    text = "\n".join(texts(job))
    for words in ("前面还有 12 人 / 12 ahead", "等候约 2 分钟 / about 2 min",
                  "绿色通道 / Priority", "预约 / Appointment", "补打 / Reprint",
                  "扫码查看排队、办完后评价 / Scan to follow the queue and rate"):
        assert words in text
    codes = read_codes(np.asarray(paper.image.convert("L")), formats="QRCode")
    assert [c.text for c in codes] == [ticket.code]
    fields = {f.name for f in dataclasses.fields(TicketFacts)}
    assert not fields & {"name", "id_number", "applicant_name", "phone"}


def test_waits_are_whole_minutes_rounded_up() -> None:
    assert [wait_minutes(s) for s in (0, 1, 60, 61, 610)] == [1, 1, 1, 2, 11]


# --- the one-time notice -------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 58])
def test_the_notice_lists_every_material_of_the_bundle(width: int) -> None:
    job = guide_job(RETIREMENT)
    lines = texts(job)
    for material in RETIREMENT.materials:
        assert any(line.endswith(f". {material.name}") for line in lines), material.name
    paper = printed(job, "guide_retirement", width)
    on_paper = "\n".join(paper.text)
    for name in ("一次性告知单", "退休一件事", *RETIREMENT.items):
        assert name in on_paper
    text = "\n".join(lines)
    assert "原件和复印件 1 份 / original and copy ×1" in text
    assert text.count("可容缺 / may follow later") == 2
    assert "如有则带" in text and "注 / Note: 核对户籍信息" in text
    assert "承诺 15 个工作日" in text and "法定 20 个工作日" in text
    assert "收费 / Fees: 不收费 / Free" in text and "社保医保窗口 B" in text
    assert "村可代办" in text and "2026-11-24 10:05" in text
    assert "带齐材料，一次办成 / Bring all of these: done in one visit" in text
    assert paper.image.width == (576 if width == 80 else 384)


def test_an_item_done_on_the_spot_says_so_and_prints_no_empty_sections() -> None:
    quick = dataclasses.replace(RETIREMENT, promised_days=0, legal_days=0, items=(),
                                conditions=(), fee_text="", window="", village_can=False)
    lines = texts(guide_job(quick))
    assert "办理时限 / Time limit: 即办 / done on the spot" in lines
    assert not any(line.startswith(("包含事项", "办理条件", "收费", "办理窗口", "村可代办"))
                   for line in lines)
    assert time_limit_line(0, 20) == ("办理时限 / Time limit: 承诺即办，法定 20 个工作日 / "
                                      "done on the spot, 20 by law")


# --- result documents ---------------------------------------------------------------------------


def _page(label: str, size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    """A white page with a black frame, a heavy bar under the top edge and a label."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, size[0] - 40, size[1] - 40), outline="black", width=8)
    draw.rectangle((80, 80, size[0] - 80, 200), fill="black")
    draw.text((100, 260), label, fill="black")
    return image


def _result(media_type: str, data: bytes) -> ResultDoc:
    return ResultDoc("不动产权证书", media_type, data, "QS-20261124-0007",
                     dt.datetime(2026, 11, 24, 10, 5, tzinfo=LOCAL))


def _bytes(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


@pytest.mark.parametrize(("kind", "media_type"), [("PNG", "image/png"),
                                                   ("JPEG", "image/jpeg; q=0.9")])
def test_a_picture_is_printed_as_wide_as_the_paper(kind: str, media_type: str) -> None:
    job = result_job(_result(media_type, _bytes(_page("page 1", (600, 800)), kind)), dots=384)
    pictures = [b for b in job.blocks if type(b).__name__ == "Image"]
    assert len(pictures) == 1 and pictures[0].image.width == 384  # scaled up to the paper
    assert pictures[0].image.height == 512
    assert "受理编号 / Receipt No.: QS-20261124-0007" in texts(job)
    paper = printed(job, f"result_{kind.lower()}", 58)
    assert "QS-20261124-0007" in paper.text  # wrapped onto its own line on 58 mm
    assert paper.raster_images >= 1


def test_a_landscape_picture_is_turned_to_run_along_the_roll() -> None:
    job = result_job(_result("image/png", _bytes(_page("wide", (1754, 1240)), "PNG")))
    (picture,) = [b.image for b in job.blocks if type(b).__name__ == "Image"]
    assert picture.height > picture.width and picture.width == 576


def test_a_pdf_is_printed_page_by_page_at_most_ten() -> None:
    pages = [_page(f"page {n}") for n in range(MAX_PAGES + 2)]
    pdf = _bytes(pages[0], "PDF", save_all=True, append_images=pages[1:], resolution=150)
    job = result_job(_result("application/pdf", pdf))
    pictures = [b.image for b in job.blocks if type(b).__name__ == "Image"]
    assert len(pictures) == MAX_PAGES
    assert all(p.width == 576 and abs(p.height - 815) <= 2 for p in pictures)  # A4 shape
    # the bar under each page's top edge is there: rendered, not blank
    top = np.asarray(pictures[0])[40:90, 60:500]
    assert top.mean() < 80
    assert any("共 12 页" in line and "first 10" in line for line in texts(job))
    printed(job, "result_pdf")


@pytest.mark.parametrize(("media_type", "data", "words"), [
    ("application/msword", b"\xd0\xcf\x11\xe0", "不能在自助机打印"),
    ("", b"", "不能在自助机打印"),
    ("image/png", b"\x89PNG\r\n\x1a\n broken", "无法读取"),
    ("image/jpeg", _bytes(Image.new("RGB", (8, 8)), "PNG"), "无法读取"),  # not what it says
    ("application/pdf", b"%PDF-1.7 not really", "无法读取"),
])
def test_what_cannot_be_printed_is_refused_in_plain_words(media_type: str, data: bytes,
                                                          words: str) -> None:
    with pytest.raises(CannotPrint) as refused:
        result_job(_result(media_type, data))
    assert isinstance(refused.value, ValueError)
    message = str(refused.value)
    assert words in message and " / " in message and "window" in message
