"""Work kept offline reaches a real station once it is back: in order, exactly once, the
rating tied to the case the station made, a refusal kept for the clerk."""

from __future__ import annotations

from kiosk.client.http import StationClient
from kiosk.client.spool import Job, Spool
from tests.kiosk.station.case_station import birth_bundle, case_station, jpeg, sha


def _due(client: StationClient) -> str:
    return str(client.preview_case({"bundle_code": "SMP-YJS-001"})["rongque_latest"])


def test_a_home_visit_is_delivered_once_with_its_rating(tmp_path):
    spool = Spool(tmp_path / "spool", "counter-token")
    pages = {"M008": jpeg(), "M004": jpeg()}
    with case_station(tmp_path / "site") as station, station.client() as client:
        body = birth_bundle({k: [sha(v)] for k, v in pages.items()}, _due(client))
        body["mode"] = "home_visit"
        case = spool.put(Job("case", body, pages={sha(v): v for v in pages.values()}))
        spool.put(Job("rating", {"level": 2, "window": "1"}, fill={"case_id": (case.id, "id")}))
        spool.put(Job("audit", {"action": "id_card.read", "subject": "-",
                                "screen": "counter.home_visit", "window": "1"}))

        first = spool.deliver(client)
        assert [j.kind for j in first.delivered] == ["case", "rating", "audit"]
        assert first.left == 0 and not first.refused and not first.unreachable
        case_id = first.delivered[0].answer["id"]
        assert first.delivered[1].body["case_id"] == case_id
        assert first.delivered[1].answer["rectification"] is not None  # 不满意 opens one

        assert spool.deliver(client).delivered == []  # nothing twice
        assert station.rows("SELECT count(*) FROM cases") == [(1,)]
        assert station.rows("SELECT case_id FROM ratings") == [(case_id,)]
        # delivered jobs keep their answers but not the pages
        done = list((tmp_path / "spool" / "done").glob("*.job"))
        assert len(done) == 3 and all(len(p.read_bytes()) < 4000 for p in done)


def test_a_job_sent_twice_is_answered_from_the_kept_answer(tmp_path):
    """The delivery was cut off after the station kept the case: the resend (same key) gets
    the same case, not a second one."""
    spool = Spool(tmp_path / "spool", "t")
    pages = {"M008": jpeg(), "M004": jpeg()}
    with case_station(tmp_path / "site") as station, station.client() as client:
        body = birth_bundle({k: [sha(v)] for k, v in pages.items()}, _due(client))
        job = spool.put(Job("case", body, pages={sha(v): v for v in pages.values()}))
        for data in pages.values():
            client.upload_page(data)
        before = client.accept_case(body, key=job.key)  # the answer that was "lost"
        delivered = spool.deliver(client).delivered
        assert delivered[0].answer["id"] == before["id"]
        assert station.rows("SELECT count(*) FROM cases") == [(1,)]


def test_a_refused_case_is_kept_with_the_stations_words_and_its_rating_too(tmp_path):
    spool = Spool(tmp_path / "spool", "t")
    with case_station(tmp_path / "site") as station, station.client() as client:
        body = birth_bundle({"M008": [], "M004": []}, _due(client))  # captured with no page
        case = spool.put(Job("case", body))
        spool.put(Job("rating", {"level": 5}, fill={"case_id": (case.id, "id")}))
        result = spool.deliver(client)
        assert result.delivered == [] and len(result.refused) == 2
        assert "申请表" in result.refused[0][1] or "没有采集到页面" in result.refused[0][1]
        assert [m for _, m in spool.refused()][1].startswith("它所属的办件未被站点接受")
        assert len(spool) == 0
        assert station.rows("SELECT count(*) FROM cases") == [(0,)]


def test_with_no_station_everything_waits(tmp_path):
    spool = Spool(tmp_path / "spool", "t")
    spool.put(Job("audit", {"action": "id_card.read"}))
    spool.put(Job("audit", {"action": "id_card.read"}))
    with StationClient("http://127.0.0.1:9", "t", timeout_s=0.5) as client:
        result = spool.deliver(client)
    assert result.unreachable and result.left == 2 and len(spool) == 2
