"""``GET /v1/changes/<stream>``: what the county sends down (catalogue versions, case
status with result documents, appointments, rectification steps), page by page with a
cursor, and ``410 must_refetch`` when the site's history is not the hub's."""

from __future__ import annotations

import hashlib

import pytest

from sync.hub.admin import AdminError
from sync.hub.server import RunningHub
from sync.protocol.messages import ChangesPage

from .support import JumpClock, Site, case_accepted, enrolled, op

CATALOGUE = {"version": "2026.2", "items": [{"code": "110001", "name": "低保"}]}


def _page(site: Site, stream: str, **params: object) -> ChangesPage:
    answer = site.pull(stream, **params)
    assert answer.status_code == 200, answer.text
    return ChangesPage.model_validate(answer.json())


def test_a_stream_is_read_page_by_page_with_its_cursor(site: Site, hub: RunningHub,
                                                       hub_clock: JumpClock) -> None:
    first = _page(site, "catalogue")
    assert first.items == [] and first.cursor is None and not first.has_more
    for n in range(5):
        hub.admin.publish_catalogue({**CATALOGUE, "version": f"v{n}"}, f"v{n}")
    page = _page(site, "catalogue", limit=2)
    assert [i.model_extra["version"] for i in page.items] == ["v0", "v1"]
    assert page.has_more and page.cursor == page.items[-1].cursor
    assert page.items[0].model_extra["published_at"] == "2026-11-24T02:00:00.000Z"
    assert page.items[0].model_extra["body"]["items"][0]["name"] == "低保"
    rest = _page(site, "catalogue", cursor=page.cursor, handle=page.handle, limit=500)
    assert [i.model_extra["version"] for i in rest.items] == ["v2", "v3", "v4"]
    assert not rest.has_more
    done = _page(site, "catalogue", cursor=rest.cursor, handle=rest.handle)
    assert done.items == [] and done.cursor == rest.cursor
    # other streams of this site are empty; the catalogue is every site's
    assert _page(site, "case_status").items == []
    other = enrolled(hub, "S02", hub_clock)
    assert len(_page(other, "catalogue").items) == 5


def test_a_site_whose_history_is_not_the_hubs_must_read_again(site: Site,
                                                              hub: RunningHub) -> None:
    hub.admin.publish_catalogue(CATALOGUE, "2026.2")
    page = _page(site, "catalogue")

    def refused(**params: object) -> None:
        answer = site.pull("catalogue", **params)
        assert answer.status_code == 410, answer.text
        assert answer.json()["error"]["code"] == "must_refetch"

    refused(cursor=page.cursor, handle="another-hub")
    refused(cursor=page.cursor)  # a cursor without its handle
    refused(cursor="999999", handle=page.handle)  # ahead of the hub: a restored backup
    new = hub.admin.new_epoch()
    refused(cursor=page.cursor, handle=page.handle)
    again = _page(site, "catalogue")
    assert again.handle == new and len(again.items) == 1


def test_pull_parameters_are_checked(site: Site) -> None:
    assert site.pull("secrets").status_code == 404
    assert site.pull("catalogue", limit=501).status_code == 422
    assert site.pull("catalogue", limit=0).status_code == 422
    assert site.pull("catalogue", cursor="-1", handle="x").status_code == 400
    assert site.pull("catalogue", cursor="abc", handle="x").status_code == 400


def test_county_steps_on_a_case_go_to_its_site_with_the_result_document(
        site: Site, hub: RunningHub, hub_clock: JumpClock) -> None:
    number = site.results([case_accepted("c1")])[0]["server_ref"]
    hub.admin.move_case("S01", "c1", "review", "county-li")
    hub_clock.jump(3600)
    document = b"%PDF-1.7 result"
    item = hub.admin.move_case("S01", "c1", "done", "county-li", note="准予",
                               result=(document, "application/pdf", "批复.pdf"))
    sha = hashlib.sha256(document).hexdigest()
    assert item["result"] == {"sha256": sha, "size": len(document),
                              "media_type": "application/pdf", "name": "批复.pdf"}
    page = _page(site, "case_status")
    statuses = [(i.model_extra["status"], i.model_extra["official_no"]) for i in page.items]
    assert statuses == [("in_review", number), ("done", number)]
    step = page.items[1].model_extra["step"]
    assert step == {"kind": "done", "at": "2026-11-24T03:00:00.000Z", "by": "county-li",
                    "note": "准予"}
    got = site.request("GET", f"/v1/blobs/{sha}")
    assert got.status_code == 200 and got.content == document
    assert got.headers["Content-Type"] == "application/pdf"
    # another site neither sees the step nor reads the document
    other = enrolled(hub, "S02", hub_clock)
    assert _page(other, "case_status").items == []
    assert other.request("GET", f"/v1/blobs/{sha}").status_code == 404
    case = hub.admin.case("S01", "c1")
    assert case["county_status"] == "done" and len(case["county_history"]) == 2
    assert case["results"][0]["sha256"] == sha
    with pytest.raises(AdminError, match="done"):
        hub.admin.move_case("S01", "c1", "return", "county-li")
    with pytest.raises(AdminError):
        hub.admin.move_case("S01", "nope", "review", "county-li")
    with pytest.raises(AdminError):
        hub.admin.move_case("S01", "c1", "approve", "county-li")
    listed = hub.admin.cases(site="S01")
    assert [(c["official_no"], c["county_status"]) for c in listed] == [(number, "done")]
    assert "payload" not in listed[0]
    assert hub.admin.cases(open_only=True) == []


def test_appointments_and_rectification_steps_go_to_their_site(site: Site,
                                                               hub: RunningHub) -> None:
    booking = {"id": "a1", "category": "A", "start": "2026-11-25T09:00:00+08:00",
               "end": "2026-11-25T09:30:00+08:00", "code": "839201",
               "holder": {"name": "王五", "id_number": "110101199003074477"},
               "status": "booked"}
    hub.admin.add_appointment("S01", booking)
    item = _page(site, "appointments").items[0]
    assert {k: v for k, v in item.model_extra.items()} == booking
    with pytest.raises(AdminError):
        hub.admin.add_appointment("S01", {**booking, "holder": {"name": "x"}})
    site.results([op("rating", "r1", "rated", {"level": 1, "channel": "terminal",
                                               "rated_at": "2026-11-24T01:00:00Z",
                                               "rectification_id": "k1"})])
    hub.admin.move_rectification("S01", "k1", "verified", "closed", "county-li", "回访满意")
    step = _page(site, "rectifications").items[0].model_extra
    assert step["id"] == "k1" and step["stage"] == "verified" and step["status"] == "closed"
    assert step["entry"]["by"] == "county-li" and step["entry"]["note"] == "回访满意"
    assert hub.admin.rectifications(site="S01") == []  # closed now
    with pytest.raises(AdminError):
        hub.admin.move_rectification("S01", "k9", "verified", "closed", "county-li")


def test_a_catalogue_version_is_published_once(hub: RunningHub) -> None:
    made = hub.admin.publish_catalogue(CATALOGUE, "2026.2")
    assert made["cursor"] is not None
    assert hub.admin.publish_catalogue(CATALOGUE, "2026.2")["cursor"] is None
    with pytest.raises(AdminError, match=r"2026\.2"):
        hub.admin.publish_catalogue({**CATALOGUE, "items": []}, "2026.2")
    with pytest.raises(AdminError):
        hub.admin.publish_catalogue(CATALOGUE, "")
