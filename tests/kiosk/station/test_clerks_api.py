"""Clerk accounts through the real station on loopback: who may keep them, signing in opens
the window (and the hall hears it), lock-out, and the secret nowhere it could be read back;
then ``bianmin station clerk`` on the store."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from websockets.sync.client import connect

from kiosk.cli import cli
from kiosk.client.http import StationClient, StationError
from kiosk.config import SiteConfig
from kiosk.station import auth
from kiosk.station.server import start_background

MANAGER_SECRET = "Wang-zhanzhang-2026"
PIN = "493817"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    station = start_background(tmp_path_factory.mktemp("clerks"), SiteConfig())

    def pair(role: str) -> str:
        return station.station.writer.submit(auth.pair, station.station.site, role
                                             ).result().token

    tokens = {role: pair(role) for role in auth.ROLES}
    yield SimpleNamespace(url=station.url, station=station, tokens=tokens)
    station.stop()


def client(running: SimpleNamespace, role: str) -> StationClient:
    return StationClient(running.url, running.tokens[role])


def query(running: SimpleNamespace, sql: str) -> list[dict[str, Any]]:
    site = running.station.station.site
    return running.station.station.writer.submit(site.store.query, sql).result()


def test_only_a_manager_keeps_accounts(running: SimpleNamespace) -> None:
    with client(running, "counter") as counter, client(running, "manager") as manager:
        for attempt in (lambda: counter.add_clerk("li", "李", PIN), counter.clerks,
                        lambda: counter.disable_clerk("li"),
                        lambda: counter.reset_clerk_secret("li", PIN)):
            with pytest.raises(StationError) as refused:
                attempt()
            assert refused.value.status == 403
        made = manager.add_clerk("li", "李四", PIN)
        assert made == {"id": "li", "name": "李四", "manager": False}
        with pytest.raises(StationError) as taken:
            manager.add_clerk("li", "李四", "582914")
        assert taken.value.status == 409
        with pytest.raises(StationError) as weak:
            manager.add_clerk("wu", "吴", "123456")
        assert weak.value.status == 422 and "123456" in weak.value.message
        listed = {c["id"]: c for c in manager.clerks()}
        assert "secret_hash" not in listed["li"] and listed["li"]["failed_logins"] == 0


def test_signing_in_opens_the_window_with_the_clerk_and_the_hall_hears_it(
        running: SimpleNamespace) -> None:
    with client(running, "manager") as manager:
        manager.add_clerk("zhang01", "张芳", MANAGER_SECRET, manager=True)
    headers = {"Authorization": f"Bearer {running.tokens['display']}"}
    ws_url = running.url.replace("http://", "ws://") + "/v1/events"
    with connect(ws_url, additional_headers=headers, open_timeout=5) as socket, \
            client(running, "counter") as counter:
        json.loads(socket.recv(timeout=5))  # hello
        signed_in = counter.login("zhang01", MANAGER_SECRET, "4")
        opened = json.loads(socket.recv(timeout=5))
        counter.logout("4")
        paused = json.loads(socket.recv(timeout=5))
    assert signed_in == {"clerk": "zhang01", "name": "张芳", "window": "4", "manager": True}
    assert opened["type"] == "window.changed" and opened["window"]["number"] == "4"
    assert opened["window"]["state"] == "open"
    assert paused["type"] == "window.changed" and paused["window"]["state"] == "paused"
    rows = query(running, "SELECT state, clerk FROM queue_windows WHERE number = '4'")
    assert rows == [{"state": "paused", "clerk": None}]


def test_a_ticket_called_after_sign_in_is_put_down_to_the_clerk(
        running: SimpleNamespace) -> None:
    with client(running, "manager") as manager:
        manager.add_clerk("wang", "王五", "582914")
    with client(running, "counter") as counter, client(running, "kiosk") as kiosk:
        counter.login("wang", "582914", "2")
        ticket = kiosk.issue("B", confirm=True)
        counter.call("2", ticket["number"])
        counter.finish("2")
        counter.logout("2")
    rows = query(running, f"SELECT clerk FROM tickets WHERE id = '{ticket['id']}'")
    assert rows == [{"clerk": "wang"}]


def test_wrong_secrets_are_401_then_423_with_the_unlock_time(running: SimpleNamespace) -> None:
    with client(running, "manager") as manager:
        manager.add_clerk("zhao", "赵六", "730164")
    statuses, messages = [], []
    with client(running, "counter") as counter:
        for _ in range(6):
            with pytest.raises(StationError) as refused:
                counter.login("zhao", "000111222", "3")
            statuses.append(refused.value.status)
            messages.append(refused.value.message)
        with pytest.raises(StationError) as still:
            counter.login("zhao", "730164", "3")  # the right one waits too
        with pytest.raises(StationError) as unknown:
            counter.login("nobody", "730164", "3")
    assert statuses == [401] * 4 + [423] * 2
    assert messages[0] == "工号或密码不对 / wrong clerk id or secret"
    assert unknown.value.status == 401 and unknown.value.message == messages[0]
    assert still.value.status == 423 and still.value.body["locked_until"].endswith("Z")
    assert "锁定" in still.value.message
    rows = query(running, "SELECT state FROM queue_windows WHERE number = '3'")
    assert rows == [] or rows[0]["state"] != "open"


def test_a_retry_of_a_wrong_attempt_counts_once(running: SimpleNamespace) -> None:
    with client(running, "manager") as manager:
        manager.add_clerk("qian", "钱七", "730164")
    headers = {"Authorization": f"Bearer {running.tokens['counter']}",
               "Idempotency-Key": "login-retry"}
    body = {"clerk": "qian", "secret": "000111222", "window": "3"}
    first = httpx.post(running.url + "/v1/clerks/login", json=body, headers=headers)
    again = httpx.post(running.url + "/v1/clerks/login", json=body, headers=headers)
    assert first.status_code == again.status_code == 401 and first.json() == again.json()
    rows = query(running, "SELECT failed_logins FROM clerks WHERE id = 'qian'")
    assert rows == [{"failed_logins": 1}]


def test_the_secret_is_in_no_kept_answer_fingerprint_or_log_line(
        running: SimpleNamespace, caplog: pytest.LogCaptureFixture) -> None:
    secret = "Sun-Ba-secret-77"
    with caplog.at_level(logging.DEBUG), client(running, "manager") as manager, \
            client(running, "counter") as counter:
        manager.add_clerk("sun", "孙八", secret)
        counter.login("sun", secret, "6")
        manager.reset_clerk_secret("sun", secret + "x")
        with pytest.raises(StationError):
            counter.login("sun", secret, "6")
        counter.logout("6")
        assert manager.disable_clerk("sun") == {"id": "sun", "name": "孙八", "manager": False}
    kept = query(running, "SELECT fingerprint, response FROM station_requests")
    assert len(kept) >= 5
    text = json.dumps(kept, default=str) + json.dumps(
        query(running, "SELECT * FROM audit_log"), default=str)
    assert secret not in text and "Sun-Ba" not in caplog.text
    actions = [r["action"] for r in query(
        running, "SELECT action FROM audit_log WHERE subject = 'sun' ORDER BY seq")]
    assert actions == ["clerk.added", "clerk.login", "clerk.secret_reset", "clerk.login_failed",
                       "clerk.logout", "clerk.disabled"]


# --- bianmin station clerk on the store ------------------------------------------------------


def bianmin(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def test_the_first_manager_is_added_from_the_command_line(tmp_path: Path) -> None:
    from kiosk.site_context import create_site

    data = str(tmp_path / "d")
    site, _ = create_site(tmp_path / "d", SiteConfig())
    site.close()
    added = bianmin("station", "clerk", "add", "--data-dir", data, "--id", "boss",
                    "--name", "王站长", "--manager", "--json",
                    stdin=f"{MANAGER_SECRET}\n{MANAGER_SECRET}\n")
    assert added.exit_code == 0, added.output
    assert MANAGER_SECRET not in added.output  # hidden input is not echoed
    made = json.loads(added.output[added.output.index("{"):])
    assert made["id"] == "boss" and made["manager"] is True and "secret_hash" not in made
    mismatch = bianmin("station", "clerk", "add", "--data-dir", data, "--id", "li",
                       "--name", "李", stdin="582914\n582915\n582914\n582914\n")
    assert mismatch.exit_code == 0 and "li" in mismatch.output  # asked again until equal
    weak = bianmin("station", "clerk", "reset", "--data-dir", data, "--id", "li",
                   "--secret-stdin", stdin="111111\n")
    assert weak.exit_code == 2 and "顺序" in weak.output
    reset = bianmin("station", "clerk", "reset", "--data-dir", data, "--id", "li",
                    "--secret-stdin", "--json", stdin="730164\n")
    assert reset.exit_code == 0 and json.loads(reset.output)["id"] == "li"
    gone = bianmin("station", "clerk", "disable", "--data-dir", data, "--id", "nobody")
    assert gone.exit_code == 2 and "nobody" in gone.output
    assert bianmin("station", "clerk", "disable", "--data-dir", data, "--id", "li").exit_code == 0
    listed = json.loads(bianmin("station", "clerk", "list", "--data-dir", data, "--json").output)
    assert [(c["id"], c["manager"], c["disabled_at"] is not None) for c in listed] == [
        ("boss", True, False), ("li", False, True)]
    assert "--secret" not in {p.opts[0] for p in _add_params()}  # never an argument


def _add_params() -> list[Any]:
    from kiosk.station_cli import clerk_add

    return [p for p in clerk_add.params if p.opts]
