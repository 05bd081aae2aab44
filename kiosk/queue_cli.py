"""``bianmin queue``: the queue through the station's API, for scripts, tests and a clerk
without the counter app.

Every subcommand takes ``--station URL`` (default ``$BIANMIN_STATION``, else
http://127.0.0.1:8470) and ``--token T`` (default ``$BIANMIN_TOKEN``; ``bianmin station
pair``). Output contracts are in docs/cli.md. Exit codes: 0 done; 1 the station said no (nobody
waiting, the window has no ticket, a duplicate ticket, the category issues no tickets now);
2 the command could not do its job (no station, no token, a token without the right, a
usage error). Errors are plain Chinese and English on stderr.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .cli_output import emit_json, json_option

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_STATION = "http://127.0.0.1:8470"
EXIT_REFUSED = 1
EXIT_ERROR = 2
# refusals that are an answer ("no"), not a failure to ask
_ANSWERS = {"queue_empty", "window_idle", "window_busy", "duplicate_ticket", "not_issuing",
            "invalid_transition", "not_found", "not_served_here"}


def _client_options(fn: F) -> F:
    fn = click.option("--token", envvar="BIANMIN_TOKEN", default=None,
                      help="令牌 / The token from bianmin station pair (default: "
                           "$BIANMIN_TOKEN).")(fn)
    fn = click.option("--station", "station_url", envvar="BIANMIN_STATION",
                      default=DEFAULT_STATION, show_default=True,
                      help="站点服务地址 / The station's URL (default: $BIANMIN_STATION).")(fn)
    return fn


def _talk(fn: F) -> F:
    """Open the client, run the command, turn the station's refusals into exit codes."""

    @functools.wraps(fn)
    def wrapper(station_url: str, token: str | None, as_json: bool, **kwargs: Any) -> None:
        from .client.http import StationClient, StationError

        if not token:
            click.echo("缺少令牌 / No token: pass --token or set BIANMIN_TOKEN "
                       "(bianmin station pair --role ... prints one)", err=True)
            sys.exit(EXIT_ERROR)
        try:
            with StationClient(station_url, token) as client:
                result = fn(client, **kwargs)
        except StationError as exc:
            click.echo(f"站点服务拒绝 / The station said no: {exc.message}"
                       if exc.code in _ANSWERS else f"错误 / Error: {exc.message}", err=True)
            sys.exit(EXIT_REFUSED if exc.code in _ANSWERS else EXIT_ERROR)
        if as_json:
            emit_json(result)
        else:
            click.echo(_text(fn.__name__, result))

    return wrapper  # type: ignore[return-value]


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "暂无窗口办理 / no window open"
    return f"约 {max(0, round(seconds / 60))} 分钟 / about {max(0, round(seconds / 60))} min"


def _ticket_line(t: dict[str, Any]) -> str:
    line = f"{t['number']}  {t['status']}"
    if t.get("window"):
        line += f"  {t['window']}号窗口 / window {t['window']}"
    if t.get("ahead") is not None:
        line += f"  前面 {t['ahead']} 人 / {t['ahead']} ahead, {_minutes(t['estimated_wait_s'])}"
    return line


def _text(command: str, result: dict[str, Any]) -> str:
    if command == "status":
        lines = [f"{result['site']['name']}  {result['service_day']}"]
        for c in result["categories"]:
            lines.append(f"  {c['prefix']} {c['name']}: 等候 {c['waiting']} 人 / "
                         f"{c['waiting']} waiting, {_minutes(c['estimated_wait_s'])}")
        for w in result["windows"]:
            current = w["current"]["number"] if w["current"] else "—"
            lines.append(f"  {w['number']}号窗口 {w['name']} [{w['state']}]: {current}")
        for call in result["recent_calls"][:5]:
            lines.append(f"  {call['text']}{'（重呼）' if call['recall'] else ''}")
        return "\n".join(lines)
    if command == "kpi":
        total = result["total"]
        return (f"{result['day']}: {total['tickets']} 张 / tickets, {total['served']} 办结 / "
                f"served, {total['no_shows']} 弃号 / no-shows, 等候中位 / wait p50 "
                f"{total['wait_p50_s']} s, 忙闲不均 / uneven load {result['uneven_load']}")
    return _ticket_line(result)


@click.group()
def queue() -> None:
    """排队叫号 / The queue, through the station's API."""


@queue.command("issue")
@click.option("--category", required=True, help="业务类别 / The category's prefix, e.g. A.")
@click.option("--id-card-number", default=None,
              help="身份证号码 / The citizen's ID number (one open ticket per category; age "
                   "60+ goes ahead).")
@click.option("--reason", "reasons", multiple=True, type=click.Choice(["disabled", "pregnant"]),
              help="优先原因 / A green-channel reason the citizen stated (repeatable).")
@_client_options
@json_option
@_talk
def issue(client: Any, category: str, id_card_number: str | None,
          reasons: tuple[str, ...]) -> dict[str, Any]:
    """取号 / Issue a ticket (reserved and confirmed at once: no printer in between)."""
    id_card = {"id_number": id_card_number} if id_card_number else None
    return client.issue(category.upper(), id_card=id_card, reasons=reasons, confirm=True)


def _window_option(fn: F) -> F:
    return click.option("--window", required=True, help="窗口号 / The window's number.")(fn)


@queue.command("call")
@_window_option
@click.option("--number", default=None, help="指定号码 / Call this number instead of the next.")
@_client_options
@json_option
@_talk
def call(client: Any, window: str, number: str | None) -> dict[str, Any]:
    """叫号 / Call the next ticket (or --number) to the window."""
    return client.call(window, number)


@queue.command("recall")
@_window_option
@_client_options
@json_option
@_talk
def recall(client: Any, window: str) -> dict[str, Any]:
    """重呼 / Call the window's ticket again."""
    return client.recall(window)


@queue.command("no-show")
@_window_option
@_client_options
@json_option
@_talk
def no_show(client: Any, window: str) -> dict[str, Any]:
    """弃号 / Nobody came for the window's ticket."""
    return client.no_show(window)


@queue.command("finish")
@_window_option
@_client_options
@json_option
@_talk
def finish(client: Any, window: str) -> dict[str, Any]:
    """办结 / The window's ticket is served."""
    return client.finish(window)


@queue.command("transfer")
@_window_option
@click.option("--to", "target", required=True,
              help="转到 / A category (a letter: B) or a window (a number: 5).")
@_client_options
@json_option
@_talk
def transfer(client: Any, window: str, target: str) -> dict[str, Any]:
    """转移 / Send the window's ticket on to a category or a window (综合窗口 → 分领域)."""
    if target.isdigit():
        return client.transfer(window, to_window=target)
    return client.transfer(window, category=target.upper())


@queue.command("status")
@_client_options
@json_option
@_talk
def status(client: Any) -> dict[str, Any]:
    """排队情况 / Waiting per category, the windows, the latest calls."""
    return client.status()


@queue.command("kpi")
@click.option("--day", default=None, help="日期 / The service day, YYYY-MM-DD (default: today).")
@_client_options
@json_option
@_talk
def kpi(client: Any, day: str | None) -> dict[str, Any]:
    """统计 / The day's figures per category, window and clerk."""
    return client.kpi(day)
