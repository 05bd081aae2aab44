"""Signing in and out of the staff pages: argon2id passwords with a lock-out, sessions in the
database (an HttpOnly, SameSite=Strict cookie; 8 hours idle), CSRF tokens on every form, and
sessions shared by two hubs on one PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import httpx
import sqlalchemy as sa

from sync.hub.server import RunningHub, running_hub
from sync.hub.staff import accounts, sessions
from sync.hub.staff.tables import staff_accounts, staff_sessions
from tests.sync.hub.support import JumpClock

from .support import Browser, text_of

PASSWORD = "county-hub-2026"


def _add(hub: RunningHub, user: str = "li") -> None:
    assert accounts.set_password(hub.hub.db, user, PASSWORD, hub.hub.clock()) is True


def _sign_in(browser: Browser, user: str, password: str, **extra: str) -> httpx.Response:
    return browser.post("/staff/login", {"user": user, "password": password, **extra},
                        token_from="/staff/login")


def test_pages_need_a_session_and_send_to_the_login_page(anonymous: Browser) -> None:
    for path in ("/staff/", "/staff/cases?site=S01", "/staff/cases/S01/c1", "/staff/ratings",
                 "/staff/unresolved", "/staff/blobs/" + "a" * 64):
        answer = anonymous.get(path)
        assert answer.status_code == 303, path
        target = httpx.URL(answer.headers["location"])
        assert target.path == "/staff/login" and target.params["next"] == path.split("#")[0]
    refused = anonymous.http.post("/staff/cases/S01/c1", data={"action": "review"})
    assert refused.status_code == 303 and refused.headers["location"].startswith(
        "/staff/login")
    login = anonymous.get("/staff/login")
    assert login.status_code == 200 and "工作人员登录 / Staff sign-in" in text_of(login.text)
    assert login.headers["content-security-policy"].startswith("default-src 'none'")
    assert login.headers["cache-control"] == "no-store"


def test_the_right_password_opens_a_session_the_wrong_one_does_not(
        hub: RunningHub, anonymous: Browser) -> None:
    _add(hub)
    wrong = _sign_in(anonymous, "li", "not-the-password")
    assert wrong.status_code == 200 and "bm_staff" not in wrong.cookies
    assert "用户名或密码不对 / wrong user name or password" in text_of(wrong.text)
    unknown = _sign_in(anonymous, "nobody", PASSWORD)
    assert "用户名或密码不对" in unknown.text  # the same words: no account is revealed
    right = _sign_in(anonymous, "li", PASSWORD, next="/staff/ratings")
    assert right.status_code == 303 and right.headers["location"] == "/staff/ratings"
    cookie = right.headers["set-cookie"]
    assert "bm_staff=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/staff" in cookie and "Secure" not in cookie  # plain http here
    page = anonymous.get("/staff/ratings")
    assert page.status_code == 200 and "li" in text_of(page.text)
    # the database keeps only hashes: no password, no token
    with hub.hub.db.read() as conn:
        stored = conn.execute(sa.select(staff_accounts.c.password_hash)).scalar_one()
        token_hash = conn.execute(sa.select(staff_sessions.c.token_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert token_hash != anonymous.http.cookies["bm_staff"] and len(token_hash) == 64


def test_a_next_page_elsewhere_is_not_followed(hub: RunningHub, anonymous: Browser) -> None:
    _add(hub)
    answer = _sign_in(anonymous, "li", PASSWORD, next="//evil.example/staff/")
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/"


def test_five_wrong_passwords_lock_the_account_for_15_minutes(
        hub: RunningHub, anonymous: Browser, clock: JumpClock) -> None:
    _add(hub)
    for _ in range(4):
        assert "用户名或密码不对" in _sign_in(anonymous, "li", "wrong-password").text
    fifth = text_of(_sign_in(anonymous, "li", "wrong-password").text)
    assert "账号已锁定，请 15 分钟后再试 / too many wrong passwords: the account is locked" in fifth
    locked = _sign_in(anonymous, "li", PASSWORD)
    assert locked.status_code == 200 and "bm_staff" not in locked.cookies
    assert "账号已锁定" in locked.text
    clock.jump(14 * 60)
    assert "请 1 分钟后再试" in _sign_in(anonymous, "li", PASSWORD).text
    clock.jump(61)
    assert _sign_in(anonymous, "li", PASSWORD).status_code == 303


def test_a_session_ends_after_8_hours_idle_and_at_sign_out(
        hub: RunningHub, staff: Browser, clock: JumpClock) -> None:
    assert staff.get("/staff/").status_code == 200
    clock.jump(7 * 3600)
    assert staff.get("/staff/").status_code == 200  # use moves the end on
    clock.jump(7 * 3600)
    assert staff.get("/staff/").status_code == 200
    clock.jump(8 * 3600 + 1)
    ended = staff.get("/staff/cases")
    assert ended.status_code == 303 and "expired=1" in ended.headers["location"]
    assert "会话已过期" in staff.get(ended.headers["location"]).text


def test_sign_out_needs_the_csrf_token_and_ends_the_session(staff: Browser) -> None:
    refused = staff.post("/staff/logout", {})
    assert refused.status_code == 403
    assert "CSRF" in text_of(refused.text) and staff.get("/staff/").status_code == 200
    out = staff.post("/staff/logout", {}, token_from="/staff/")
    assert out.status_code == 303 and out.headers["location"] == "/staff/login"
    assert staff.get("/staff/").status_code == 303


def test_a_form_without_its_csrf_token_is_refused_in_plain_words(
        staff: Browser, anonymous: Browser, hub: RunningHub) -> None:
    for data in ({"action": "review"}, {"action": "review", "csrf": "forged"}):
        answer = staff.post("/staff/cases/S01/c1", data)
        assert answer.status_code == 403
        assert "表单已失效或来源不明" in answer.text and "Traceback" not in answer.text
    # the token of another session does not do either
    other = sessions.start(hub.hub.db, "wang", hub.hub.clock())
    borrowed = staff.post("/staff/ratings/S01/k1", {"stage": "verify", "status": "open",
                                                    "note": "x", "csrf": other.csrf})
    assert borrowed.status_code == 403
    # the sign-in form too: without the cookie it was given with, it is stale
    _add(hub)
    bare = anonymous.http.post("/staff/login", data={"user": "li", "password": PASSWORD,
                                                     "csrf": "made-up"})
    assert bare.status_code == 403 and "bm_staff" not in bare.cookies


def test_the_cookie_is_secure_behind_a_tls_proxy(hub: RunningHub, anonymous: Browser) -> None:
    _add(hub)
    token = anonymous.csrf("/staff/login")
    answer = anonymous.http.post("/staff/login", data={
        "user": "li", "password": PASSWORD, "csrf": token},
        headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


def test_two_hubs_on_one_postgresql_share_accounts_and_sessions(
        tmp_path: Path, postgres_url: str) -> None:
    clock = JumpClock()
    with running_hub(tmp_path / "a", database_url=postgres_url, clock=clock) as one, \
            running_hub(tmp_path / "b", database_url=postgres_url, clock=clock) as two, \
            httpx.Client(base_url=one.url, timeout=30) as first, \
            httpx.Client(base_url=two.url, timeout=30) as second:
        _add(one)
        browser = Browser(first)
        assert _sign_in(browser, "li", PASSWORD).status_code == 303
        second.cookies.set("bm_staff", first.cookies["bm_staff"], path="/staff")
        page = second.get("/staff/")
        assert page.status_code == 200 and "站点 / Sites" in text_of(page.text)
        # a form made on one hub is accepted by the other (the token is the session's)
        token = browser.csrf("/staff/")
        out = second.post("/staff/logout", data={"csrf": token})
        assert out.status_code == 303
        assert first.get("/staff/", follow_redirects=False).status_code == 303
