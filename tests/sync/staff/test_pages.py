"""What each staff page shows, from records a site sent through the real protocol (signed
``POST /v1/ops``, tus uploads, heartbeats), and what the county's actions do: 审核, 办结 with a
result document, 退回, a county step on a rectification, each reaching the site's stream."""

from __future__ import annotations

import hashlib
import re

from sync.hub.server import RunningHub
from tests.sync.hub.support import JumpClock, Site, case_accepted, enrolled, op

from .support import Browser, text_of

ID_NUMBER = "110101199003074477"
PAGE = b"\xff\xd8\xff\xe0 a page of the household register \xff\xd9"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
CATALOGUE = {"version": "2026.3", "items": [{"code": "110001", "name": "最低生活保障申请"}],
             "materials": {"M1": {"name": "居民户口簿"}}, "bundles": []}


def _accept(site: Site, case_id: str = "c1", *, pages: list[str] | None = None,
            lost: list[str] | None = None, name: str = "王小明") -> str:
    made = case_accepted(case_id, pages=pages, blobs_lost=lost)
    made["payload"]["applicant"] = {"name": name, "id_number": ID_NUMBER,
                                    "phone": "13800001234", "from_card": True}
    made["blobs"] = [p for p in pages or [] if p not in (lost or [])]
    [result] = site.results([made])
    assert result["status"] == "applied", result
    return str(result["server_ref"])


def _heartbeat(site: Site, **status: object) -> None:
    answer = site.post_json("/v1/heartbeat", {
        "version": status.pop("version", "0.1.0"),
        "status": {"outbox_pending": 0, "oldest_pending_age_s": None, **status},
        "health": {"free_disk_bytes": 40 * 1024**3, "integrity": "ok", "blobs_missing": 0,
                   "blobs_corrupt": 0}})
    assert answer.status_code == 200, answer.text


def _rows(page: str) -> list[str]:
    """The text of each body row of the page's tables."""
    body = "".join(re.findall(r"<tbody[^>]*>(.*?)</tbody>", page, re.S))
    return [text_of(row).strip() for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


# --- sites ---------------------------------------------------------------------------------


def test_the_sites_page_marks_a_site_not_seen_or_with_an_old_backlog(
        hub: RunningHub, site: Site, staff: Browser, clock: JumpClock) -> None:
    _heartbeat(site, version="0.1.0")
    late = enrolled(hub, "S02", clock)
    _heartbeat(late, outbox_pending=12, oldest_pending_age_s=3000)
    enrolled(hub, "S03", clock)  # enrolled, never sent a heartbeat since
    clock.jump(3 * 60)
    _heartbeat(site)  # S01 is fresh; S02 was last seen 3 minutes ago
    page = staff.get("/staff/")
    assert page.status_code == 200
    rows = _rows(page.text)
    by_code = {row.split()[0]: row for row in rows}
    assert "3 分钟前 / 3 min ago" in by_code["S02"] and "2026-11-24 10:00" in by_code["S02"]
    assert "⚠" not in by_code["S01"] and "刚刚 / just now" in by_code["S01"]
    # the backlog's oldest op has aged since the heartbeat: 3000 s + 180 s is 53 min
    assert " 12 " in by_code["S02"] and "53 分钟 / 53 min" in by_code["S02"]
    assert "40.0 GB" in by_code["S01"] and "正常 / ok" in by_code["S01"]
    clock.jump(58 * 60)
    rows = _rows(staff.get("/staff/").text)
    assert [row.split()[0] for row in rows] == ["S02", "S03", "S01"]  # attention first
    assert "超过 1 小时未联系 / not seen for over an hour" in rows[0]
    assert "有记录超过 1 小时未上传 / an op has waited over an hour" in rows[0]
    assert "⚠" not in rows[2]
    head = text_of(staff.get("/staff/").text)
    assert "需要关注 / Needs attention: S02, S03" in head


def test_a_site_supplied_string_is_shown_escaped(hub: RunningHub, site: Site,
                                                 staff: Browser) -> None:
    _heartbeat(site, version="<script>alert(1)</script>")
    page = staff.get("/staff/").text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    site.results([op("unresolved", "u1", "opened", {
        "requester": {"name": "李四"}, "what": '<img src=x onerror="alert(2)">',
        "why": "系统不通", "escalation": "centre", "stage": "open",
        "deadline": "2026-11-20", "at": "2026-11-24T01:30:00Z"})])
    listed = staff.get("/staff/unresolved").text
    assert "<img" not in listed and "&lt;img src=x onerror=" in listed
    [row] = _rows(listed)
    assert "便民服务中心 / service centre" in row and "已超期 4 天 / 4 days overdue" in row
    assert "李四" not in listed  # who asked stays at the hub


# --- cases ---------------------------------------------------------------------------------


def test_a_case_is_listed_with_its_applicant_masked(hub: RunningHub, site: Site,
                                                    staff: Browser) -> None:
    hub.admin.publish_catalogue(CATALOGUE, "2026.3")
    number = _accept(site)
    page = staff.get("/staff/cases")
    assert page.status_code == 200
    [row] = _rows(page.text)
    assert number in row and "S01" in row and "最低生活保障申请 110001" in row
    assert "王*明" in row and "110101********4477" in row
    assert "2026-11-24 10:00" in row  # 02:00 UTC in Beijing
    assert "已受理 / accepted" in row and "待审核 / not reviewed" in row
    assert ID_NUMBER not in page.text and "王小明" not in page.text
    assert "13800001234" not in page.text
    # filters: another site, a county status, and paging words
    assert _rows(staff.get("/staff/cases?site=S02&status=").text) == []
    assert _rows(staff.get("/staff/cases?status=done").text) == []
    assert len(_rows(staff.get("/staff/cases?site=S01&status=open").text)) == 1


def test_the_case_page_shows_the_applicant_pages_and_histories(
        hub: RunningHub, site: Site, staff: Browser) -> None:
    sha = site.upload(PAGE)
    gone = hashlib.sha256(b"a page the site lost").hexdigest()
    number = _accept(site, pages=[sha, gone], lost=[gone])
    page = staff.get("/staff/cases/S01/c1")
    assert page.status_code == 200
    words = text_of(page.text)
    assert f"办件 / Case {number}" in words
    assert "王小明" in words and ID_NUMBER in words and "13800001234" in words
    assert "读卡 / from the ID card" in words
    assert f'href="/staff/blobs/{sha}"' in page.text
    assert f"/staff/blobs/{gone}" not in page.text and "已丢失 / lost" in words
    assert "受理 / accepted" in words and "w1" in words  # the site's history
    served = staff.get(f"/staff/blobs/{sha}")
    assert served.status_code == 200 and served.content == PAGE
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert staff.get(f"/staff/blobs/{gone}").status_code == 404
    missing = staff.get("/staff/cases/S01/nope")
    assert missing.status_code == 404 and "没有这个办件" in missing.text


def test_review_done_with_a_result_document_and_return(hub: RunningHub, site: Site,
                                                       staff: Browser) -> None:
    number = _accept(site, "c1")
    _accept(site, "c2", name="张三")
    path = "/staff/cases/S01/c1"
    reviewed = staff.post(path, {"action": "review", "note": "材料齐全"}, token_from=path)
    assert reviewed.status_code == 303 and reviewed.headers["location"] == path + "?said=review"
    assert "已记录审核 / review recorded" in staff.get(reviewed.headers["location"]).text
    assert hub.admin.case("S01", "c1")["county_status"] == "in_review"
    done = staff.post(path, {"action": "done", "note": "已办结"}, token_from=path,
                      files={"result": ("批复.pdf", PDF, "application/octet-stream")})
    assert done.status_code == 303
    case = hub.admin.case("S01", "c1")
    assert case["county_status"] == "done"
    assert [s["kind"] for s in case["county_history"]] == ["in_review", "done"]
    assert case["county_history"][0]["by"] == "li"
    [result] = case["results"]
    assert result["media_type"] == "application/pdf" and result["name"] == "批复.pdf"
    finished = staff.get(path)
    assert "本件县级已办结，不能再改" in finished.text and 'name="action"' not in finished.text
    document = staff.get(f"/staff/blobs/{result['sha256']}")
    assert document.content == PDF and document.headers["content-type"] == "application/pdf"
    # the site reads both steps on its stream, the result document with the second
    items = site.pull("case_status").json()["items"]
    assert [(i["official_no"], i["status"]) for i in items] == [(number, "in_review"),
                                                               (number, "done")]
    assert items[1]["result"]["sha256"] == result["sha256"]
    # a finished case refuses another step, in plain words on the page
    again = staff.post(path, {"action": "return", "note": "x"}, token_from="/staff/cases/S01/c2")
    assert again.status_code == 409 and "已办结，不能再改" in again.text
    # 退回 needs its reason
    other = "/staff/cases/S01/c2"
    bare = staff.post(other, {"action": "return", "note": "  "}, token_from=other)
    assert bare.status_code == 400 and "退回须写明原因" in bare.text
    returned = staff.post(other, {"action": "return", "note": "户口簿页不清楚，请重拍"},
                          token_from=other)
    assert returned.status_code == 303
    assert hub.admin.case("S01", "c2")["county_status"] == "returned"
    assert site.pull("case_status").json()["items"][-1]["step"]["note"] == "户口簿页不清楚，请重拍"


def test_a_hostile_result_document_is_refused_plainly(hub: RunningHub, site: Site,
                                                      staff: Browser) -> None:
    _accept(site)
    path = "/staff/cases/S01/c1"
    page = b"<html><script>alert(1)</script></html>"
    wrong = staff.post(path, {"action": "done"}, token_from=path,
                       files={"result": ("result.pdf", page, "application/pdf")})
    assert wrong.status_code == 400
    assert "结果文书须为 PDF、JPEG 或 PNG 文件 / a result document must be a PDF" in wrong.text
    big = PDF + b"0" * (10 * 1024 * 1024)
    over = staff.post(path, {"action": "done"}, token_from=path,
                      files={"result": ("big.pdf", big, "application/pdf")})
    assert over.status_code == 413 and "结果文书太大，最大 10 MB" in over.text
    huge = staff.post(path, {"action": "done"}, token_from=path,
                      files={"result": ("huge.pdf", big * 2, "application/pdf")})
    assert huge.status_code == 413 and "提交的内容太大（最大 10 MB）" in huge.text
    assert "Traceback" not in huge.text + over.text + wrong.text
    case = hub.admin.case("S01", "c1")
    assert case["county_status"] is None and case["results"] == []
    assert site.pull("case_status").json()["items"] == []


# --- ratings and 办不成事 -------------------------------------------------------------------


def test_ratings_per_level_and_a_county_step_on_a_rectification(
        hub: RunningHub, site: Site, staff: Browser, clock: JumpClock) -> None:
    site.results([
        op("rating", "r1", "rated", {"level": 1, "channel": "terminal", "window": "2",
                                     "clerk": "zhang01", "rated_at": "2026-11-02T01:00:00.000Z",
                                     "rectification_id": "k1"}),
        op("rating", "r2", "rated", {"level": 2, "channel": "qr", "window": "1",
                                     "clerk": "wang02", "rated_at": "2026-11-23T01:00:00.000Z",
                                     "rectification_id": "k2"}),
        op("rating", "r3", "rated", {"level": 5, "channel": "terminal",
                                     "rated_at": "2026-11-23T02:00:00.000Z"}),
        op("rating", "r0", "rated", {"level": 5, "channel": "terminal",  # 40 days ago
                                     "rated_at": "2026-10-15T02:00:00.000Z"}),
    ])
    page = staff.get("/staff/ratings")
    assert page.status_code == 200
    rows = _rows(page.text)
    # S01: level 5 once (the older one is out of the 30 days), 2 once, 1 once
    assert rows[0].startswith("S01 1 0 0 1 1 3 67%")
    tasks = [row for row in rows[1:] if row.startswith("S01 ")]  # not their steps' rows
    # k1 (rated 2 November, 15 working days: due 23 November) is overdue and first
    assert tasks[0].startswith("S01 非常不满意 / very dissatisfied 2 · zhang01")
    assert "2026-11-23" in tasks[0] and "已超期 1 天 / 1 day overdue" in tasks[0]
    assert "还剩" in tasks[-1] and "wang02" in tasks[-1]
    form = "/staff/ratings/S01/k1"
    moved = staff.post(form, {"stage": "rectify", "status": "open", "note": "已约谈窗口人员"},
                       token_from="/staff/ratings")
    assert moved.status_code == 303 and moved.headers["location"].startswith(
        "/staff/ratings?said=moved")
    [task] = [t for t in hub.admin.rectifications(site="S01") if t["id"] == "k1"]
    assert task["stage"] == "rectify" and task["history"][-1]["by"] == "li"
    item = site.pull("rectifications").json()["items"][0]
    assert item["id"] == "k1" and item["entry"]["note"] == "已约谈窗口人员"
    after = text_of(staff.get("/staff/ratings").text)
    assert "整改 / rectify" in after and "县级 / county" in after
    refused = staff.post(form, {"stage": "rectify", "status": "open", "note": ""},
                         token_from="/staff/ratings")
    assert refused.status_code == 400 and "请填写处理说明 / a note is needed" in refused.text
    odd = staff.post(form, {"stage": "launch", "status": "open", "note": "x"},
                     token_from="/staff/ratings")
    assert odd.status_code == 400 and "请选择环节" in odd.text
    unknown = staff.post("/staff/ratings/S01/k9", {"stage": "rectify", "status": "open",
                                                   "note": "x"}, token_from="/staff/ratings")
    assert unknown.status_code == 400 and "没有这个整改任务" in unknown.text


def test_a_hostile_page_from_a_site_is_only_offered_as_a_download(
        hub: RunningHub, site: Site, staff: Browser) -> None:
    hostile = b"<html><script>alert(document.cookie)</script></html>"
    sha = site.upload(hostile)  # claimed image/jpeg by its uploader
    answer = staff.get(f"/staff/blobs/{sha}")
    assert answer.status_code == 200 and answer.content == hostile
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["content-security-policy"].startswith("sandbox")
    assert staff.get("/staff/blobs/" + "0" * 64).status_code == 404
    assert staff.get("/staff/blobs/not-a-hash").status_code == 404
