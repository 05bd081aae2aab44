"""Who may talk to the hub: enrolment codes, signed requests and their 401 codes, replayed
nonces, bearer tokens, and the hub's clock in ``Date`` (docs/sync-protocol.md, Identity)."""

from __future__ import annotations

import email.utils

import httpx

from sync.hub import auth
from sync.hub.server import RunningHub
from sync.protocol import clock as hub_time
from sync.protocol import signing

from .support import JumpClock, Site, enrolled


def _error(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["code"])


def test_an_enrolment_code_has_ten_characters_without_look_alikes(hub: RunningHub) -> None:
    made = hub.admin.enrol_code("S01")
    assert len(made["code"]) == 10 and made["site"] == "S01"
    assert not set(made["code"]) & set("01OIL")
    assert set(made["code"]) <= set(auth.CODE_ALPHABET)
    assert made["expires_at"] == "2026-11-27T02:00:00.000Z"  # 72 hours on the hub's clock


def test_enrolment_gives_a_key_id_and_the_hub_time(hub: RunningHub, hub_clock: JumpClock) -> None:
    site = Site(hub.url, "S01", hub_clock)
    code = hub.admin.enrol_code("S01")["code"]
    # typed by a technician: lower case, with a dash and a space
    answer = site.enrol(f"{code[:5].lower()}- {code[5:]}")
    assert answer.status_code == 201, answer.text
    assert answer.json()["site"] == "S01" and answer.json()["key_id"]
    assert answer.json()["hub_time"] == "2026-11-24T02:00:00.000Z"
    assert site.request("POST", "/v1/tokens").status_code == 200


def test_a_code_is_refused_when_wrong_used_expired_or_for_another_site(
        hub: RunningHub, hub_clock: JumpClock) -> None:
    site = Site(hub.url, "S01", hub_clock)
    assert _error(site.enrol("ABCDEFGHJK")) == "code_unknown"
    other = hub.admin.enrol_code("S02")["code"]
    assert _error(site.enrol(other)) == "code_other_site"
    code = hub.admin.enrol_code("S01")["code"]
    assert site.enrol(code).status_code == 201
    used = site.enrol(code)
    assert used.status_code == 403 and _error(used) == "code_used"
    late = hub.admin.enrol_code("S01")["code"]
    hub_clock.jump(72 * 3600 + 1)
    assert _error(site.enrol(late)) == "code_expired"
    chinese, _, english = used.json()["error"]["message"].partition(" / ")
    assert chinese == "登记码已用过" and english.startswith("this enrolment code was used")


def test_enrolling_again_replaces_the_key_at_once(hub: RunningHub, hub_clock: JumpClock) -> None:
    old = enrolled(hub, "S01", hub_clock)
    token = old.request("POST", "/v1/tokens").json()["token"]
    new = enrolled(hub, "S01", hub_clock)  # a replaced PC, a new key
    assert new.key_id != old.key_id
    assert new.request("POST", "/v1/tokens").status_code == 200
    refused = old.request("POST", "/v1/tokens")
    assert refused.status_code == 401 and _error(refused) == "unknown_site"
    # the old key's token went with it
    assert old.http.head(hub.url + "/v1/blobs/" + "a" * 64, headers={
        "Authorization": f"Bearer {token}"}).status_code == 401


def test_a_public_key_that_is_not_ed25519_is_refused(hub: RunningHub) -> None:
    code = hub.admin.enrol_code("S01")["code"]
    answer = httpx.post(hub.url + "/v1/enrol", json={
        "site": "S01", "code": code, "public_key": signing.b64(b"x" * 31) + "AAAA"})
    assert answer.status_code == 422 and _error(answer) == "invalid"
    assert Site(hub.url, "S01", JumpClock()).enrol(code).status_code == 201  # not used up


def test_each_refusal_of_a_signature_has_its_code(site: Site, hub_clock: JumpClock) -> None:
    body = b'{"version": "0.1.0", "status": {}}'
    json_type = {"Content-Type": "application/json"}

    unsigned = site.http.post(site.url + "/v1/heartbeat", content=body, headers=json_type)
    assert unsigned.status_code == 401 and _error(unsigned) == "unsigned"

    stranger = Site(site.url, "S01", hub_clock, key_id=site.key_id)  # the right id, another key
    forged = stranger.request("POST", "/v1/heartbeat", body=body, headers=json_type)
    assert forged.status_code == 401 and _error(forged) == "bad_signature"

    headers = site.signed_headers("POST", "/v1/heartbeat", body=body)
    tampered = site.http.post(site.url + "/v1/heartbeat", content=body.replace(b"0.1", b"9.9"),
                              headers={**headers, **json_type})
    assert tampered.status_code == 401 and _error(tampered) == "bad_signature"

    unknown = Site(site.url, "S99", hub_clock, key_id="S99-0")
    assert _error(unknown.request("POST", "/v1/heartbeat", body=body,
                                  headers=json_type)) == "unknown_site"

    stale = site.request("POST", "/v1/heartbeat", body=body, headers=json_type,
                         created=hub_clock() - 301)
    assert stale.status_code == 401 and _error(stale) == "stale"
    fresh = site.request("POST", "/v1/heartbeat", body=body, headers=json_type,
                         created=hub_clock() + 299)
    assert fresh.status_code == 200, fresh.text

    once = site.signed_headers("POST", "/v1/heartbeat", body=body)
    first = site.http.post(site.url + "/v1/heartbeat", content=body, headers={**once, **json_type})
    again = site.http.post(site.url + "/v1/heartbeat", content=body, headers={**once, **json_type})
    assert first.status_code == 200 and again.status_code == 401
    assert _error(again) == "replayed"


def test_a_nonce_is_forgotten_after_its_time_but_its_signature_is_stale_by_then(
        site: Site, hub_clock: JumpClock) -> None:
    first = site.request("POST", "/v1/tokens", nonce="n" * 22)
    assert first.status_code == 200
    hub_clock.jump(signing.NONCE_TTL_S + 1)
    # the same nonce, signed afresh: the old entry was pruned, so it is not "replayed"
    assert site.request("POST", "/v1/tokens", nonce="n" * 22).status_code == 200
    # the old request itself, sent again now, is stale
    old = site.request("POST", "/v1/tokens", nonce="m" * 22, created=hub_clock() - 1000)
    assert _error(old) == "stale"


def test_the_date_header_is_the_hub_clock_on_every_answer_errors_too(
        site: Site, hub_clock: JumpClock) -> None:
    hub_clock.jump(3600.4)
    answers = [site.http.get(site.url + "/healthz"),
               site.http.post(site.url + "/v1/ops", content=b"x"),
               site.http.get(site.url + "/nowhere"),
               site.http.options(site.url + "/v1/blobs"),
               site.request("POST", "/v1/tokens")]
    for answer in answers:
        assert len(answer.headers.get_list("date")) == 1, answer.headers
        assert hub_time.parse_date(answer.headers["date"]) == int(hub_clock())
        assert "server" not in answer.headers
    # a site whose clock is a year behind learns the offset from one answer and signs right
    offset = hub_time.offset_from(answers[0].headers["date"], hub_clock() - 365 * 86400,
                                  hub_clock() - 365 * 86400)
    assert offset is not None and abs(offset - 365 * 86400) < 1
    assert email.utils.parsedate_to_datetime(answers[0].headers["date"]).tzname() == "UTC"


def test_a_token_opens_the_blob_routes_only_and_expires(site: Site, hub_clock: JumpClock) -> None:
    answer = site.request("POST", "/v1/tokens")
    assert answer.status_code == 200
    token, expires = answer.json()["token"], answer.json()["expires_at"]
    assert expires == "2026-11-24T03:00:00.000Z"
    bearer = {"Authorization": f"Bearer {token}"}
    assert site.http.head(site.url + "/v1/blobs/" + "a" * 64, headers=bearer).status_code == 404
    ops = site.http.post(site.url + "/v1/ops", content=b"{}", headers=bearer)
    assert ops.status_code == 401 and _error(ops) == "unsigned"
    hub_clock.jump(3601)
    late = site.http.head(site.url + "/v1/blobs/" + "a" * 64, headers=bearer)
    assert late.status_code == 401
    wrong = site.http.get(site.url + "/v1/blobs/" + "a" * 64,
                          headers={"Authorization": "Bearer nonsense"})
    assert wrong.status_code == 401 and _error(wrong) == "bad_token"


OTHER_PROFILES = [
    {"Signature-Input": 'bm=("@method");created=1;nonce="nnnnnnnnnnnnnnnnnnnnnn";keyid="k";'
                        'alg="ed25519"', "Signature": "bm=:AAAA:"},
    {"Signature-Input": "garbage", "Signature": "garbage"},
    {"Signature-Input": 'bm=("@method" "@path" "@query" "bianmin-site");created=1;'
                        'nonce="nnnnnnnnnnnnnnnnnnnnnn";keyid="k";alg="rsa"', "Signature": "x"},
]


def test_signatures_of_another_profile_are_unsigned(site: Site) -> None:
    for header in OTHER_PROFILES:
        answer = site.http.post(site.url + "/v1/tokens", headers={"Bianmin-Site": "S01",
                                                                   **header})
        assert answer.status_code == 401 and _error(answer) == "unsigned", header


def test_every_signed_request_marks_the_site_seen(site: Site, hub: RunningHub,
                                                  hub_clock: JumpClock) -> None:
    hub_clock.jump(120)
    assert site.request("POST", "/v1/tokens").status_code == 200
    assert hub.admin.stats()["sites"]["S01"]["last_seen"] == "2026-11-24T02:02:00.000Z"
