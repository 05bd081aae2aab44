"""The staff pages' pure parts: the masking rule (the same as the kiosk's), how times and
sizes read, what a result document's first bytes must be, and when a rectification is due."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain import masking as kiosk_masking
from sync.hub.staff import deadlines, display, masking, uploads, views

T0 = 1_795_485_600.0  # 2026-11-24T02:00:00Z, 10:00 in Beijing


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"), ("王小明", "王*明"), ("欧阳娜娜", "欧**娜"), ("李", "李"), (" 赵六 ", "赵*"),
])
def test_a_name_keeps_its_family_name_and_last_character(name: str, masked: str) -> None:
    assert masking.mask_name(name) == masked


def test_an_id_number_keeps_its_first_6_and_last_4() -> None:
    assert masking.mask_id_number("11010519491231002X") == "110105********002X"
    assert masking.mask_id_number("1234567890") == "**********"
    assert masking.masked_person({"name": "王小明", "id_number": "110101199003074477",
                                  "phone": "13800001234"}) == {
        "name": "王*明", "id_number": "110101********4477"}
    assert masking.masked_person(None) == {"name": "", "id_number": ""}
    assert masking.masked_person({"name": 5}) == {"name": "", "id_number": ""}


@given(st.text(max_size=30))
def test_the_rule_is_the_kiosks(text: str) -> None:
    assert masking.mask_name(text) == kiosk_masking.mask_name(text)
    assert masking.mask_id_number(text) == kiosk_masking.mask_id_number(text)


def test_times_read_as_a_clerk_says_them() -> None:
    assert display.ago(T0 - 30, T0) == "刚刚 / just now"
    assert display.ago(T0 - 3 * 60 - 59, T0) == "3 分钟前 / 3 min ago"
    assert display.ago(T0 - 5 * 3600, T0) == "5 小时前 / 5 h ago"
    assert display.ago(T0 - 3 * 86400, T0) == "3 天前 / 3 days ago"
    assert display.ago(None, T0) == "从未 / never"
    assert display.ago(T0 + 5, T0) == "刚刚 / just now"  # another hub's clock a little ahead
    assert display.local_time(T0, "Asia/Shanghai") == "2026-11-24 10:00"
    assert display.local_time("2026-11-24T17:30:00+00:00", "Asia/Shanghai") == "2026-11-25 01:30"
    assert display.local_time("not a time", "Asia/Shanghai") == ""
    assert display.size(40 * 1024**3) == "40.0 GB" and display.size(512) == "512 B"
    assert display.size(None) == "?" and display.size(True) == "?"


def test_a_sites_problems_are_named() -> None:
    site = {"site": "S01", "last_seen": "2026-11-24T00:30:00.000Z",
            "heartbeat_at": "2026-11-24T00:30:00.000Z", "version": "0.1.0", "backlog": 3,
            "status": {"oldest_pending_age_s": 100, "key_refused": True},
            "health": {"free_disk_bytes": 10**9, "integrity": "*** in database main ***",
                       "blobs_missing": 2, "blobs_corrupt": 0}, "ops": 1, "cases": 1,
            "blobs": 0}
    row = views.site_row(site, T0, "Asia/Shanghai")
    assert row["problems"] == [
        "超过 1 小时未联系 / not seen for over an hour",
        "有记录超过 1 小时未上传 / an op has waited over an hour",  # 100 s + 90 min since
        "数据库检查未通过 / integrity check failed",
        "有扫描件丢失或损坏 / pages missing or corrupt",
        "磁盘空间不足 / disk nearly full",
        "密钥被拒 / key refused: enrol again"]
    assert row["oldest"] == "1 小时 / 1 h" and row["seen_ago"] == "1 小时前 / 1 h ago"
    fresh = views.site_row({"site": "S02", "last_seen": None, "backlog": None}, T0, "UTC")
    assert fresh["problems"] == ["从未联系 / never seen"] and fresh["backlog"] == "?"


def test_a_result_document_is_what_its_first_bytes_say() -> None:
    pdf = b"%PDF-1.4\n..."
    assert uploads.check_result(pdf, "C:\\scans\\批复.PDF") == (pdf, "application/pdf",
                                                                "批复.pdf")
    jpeg = b"\xff\xd8\xff\xe0rest"
    assert uploads.check_result(jpeg, "../../etc/passwd")[1:] == ("image/jpeg", "passwd.jpg")
    png = b"\x89PNG\r\n\x1a\n...."
    assert uploads.check_result(png, "\x00\x1b[31m.png")[1:] == ("image/png", "[31m.png")
    assert uploads.check_result(png, "")[2] == "result.png"
    for hostile in (b"<html><script>", b"GIF89a", b"PK\x03\x04", b"%PD"):
        with pytest.raises(uploads.UploadRefused, match="PDF、JPEG 或 PNG") as refused:
            uploads.check_result(hostile, "x.pdf")
        assert refused.value.status == 400
    with pytest.raises(uploads.UploadRefused, match="空文件"):
        uploads.check_result(b"", "x.pdf")
    with pytest.raises(uploads.UploadRefused, match="太大") as big:
        uploads.check_result(pdf + bytes(uploads.RESULT_MAX_BYTES), "x.pdf")
    assert big.value.status == 413
    assert len(uploads.clean_name("长" * 300 + ".pdf", "application/pdf")) == 100


def test_a_rectification_is_due_15_working_days_after_the_rating() -> None:
    # 2026-09-28 (Mon): National Day and Mid-Autumn (1-8 October) are not working days, and
    # the make-up weekend days around them are; the year's notice says which
    due, reckoned = deadlines.deadline({"rated_at": "2026-09-28T02:00:00.000Z"},
                                       "Asia/Shanghai")
    assert reckoned and due == deadlines.add_working_days(dt.date(2026, 9, 28), 15)
    assert due > dt.date(2026, 10, 19)  # more than three calendar weeks: the holiday counts
    assert deadlines.add_working_days(dt.date(2026, 11, 2), 15) == dt.date(2026, 11, 23)
    # a year the library does not know yet: Monday to Friday
    assert deadlines.add_working_days(dt.date(2099, 6, 5), 1) == dt.date(2099, 6, 8)
    assert deadlines.deadline({"deadline": "2026-12-01", "rated_at": "x"}, "UTC") == (
        dt.date(2026, 12, 1), False)
    assert deadlines.deadline({}, "UTC") == (None, False)
