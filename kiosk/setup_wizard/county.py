"""The wizard's network check and its enrolment with the county hub.

Network check, one line each, every one within a few seconds:

- the station's port: the station answers there (``GET /v1/health``), or nothing does and
  this PC can listen on it; otherwise what holds it;
- DNS: the hub's host name resolves (skipped for an IP address);
- the hub: ``GET /healthz`` answers ``ok`` (and the clocks agree: signed requests carry the
  time).

Enrolment is ``bianmin sync enrol``'s: ``sync.daemon.enrol`` with the settings
``kiosk.sync_cli.settings_from`` makes, into the site store of the data directory (made
first when this PC has none yet, as ``bianmin store init`` makes it).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from kiosk.config import SiteConfig

from .ports import NetworkLine, Outcome

TIMEOUT_S = 3.0
"""Longest wait of each network check. Unit: s."""
CLOCK_SKEW_S = 60.0
"""A hub clock further from this PC's than this is worth saying (requests are signed with
the time). Unit: s."""
HUB_HEALTH = "/healthz"

HINT_NETWORK = ("检查网线或无线网络、网关和 DNS 设置 / Check the network cable or Wi-Fi, the "
                "gateway and the DNS server")
HINT_URL = ("核对县级平台地址（向县里确认），如 https://hub.example.gov.cn / Check the hub's URL "
            "with the county, e.g. https://hub.example.gov.cn")
HINT_PORT = ("停止占用该端口的程序，或在站点设置中换一个端口（[station] port）/ Stop the program "
             "that holds the port, or choose another one ([station] port)")
HINT_CODE = ("请县里重新生成注册码（bianmin hub enrol-code），并核对站点编码 / Ask the county for "
             "a new code (bianmin hub enrol-code) and check the site code")
HINT_STORE = ("检查数据目录的权限，或用 --data-dir 指定 / Check the data directory's permissions, "
              "or name it with --data-dir")
HINT_CLOCK = "校准本机时间 / Set this PC's clock"


def check_network(config: SiteConfig, hub_url: str, timeout_s: float = TIMEOUT_S,
                  ) -> list[NetworkLine]:
    """The three lines (module docstring), station first."""
    return [station_line(config, timeout_s), dns_line(hub_url, timeout_s),
            hub_line(hub_url, timeout_s)]


# -- the station's port -------------------------------------------------------------------------


def station_line(config: SiteConfig, timeout_s: float = TIMEOUT_S) -> NetworkLine:
    host, port = config.station.host, config.station.port
    local = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    shown = f"[{local}]" if ":" in local else local
    try:
        answer = httpx.get(f"http://{shown}:{port}/v1/health", timeout=timeout_s)
    except (httpx.ConnectError, httpx.ConnectTimeout):  # nothing there, or no such host
        return NetworkLine("station", _can_listen(host, port))
    except httpx.HTTPError as exc:
        return NetworkLine("station", Outcome(
            False, f"端口 {port} 上的程序没有应答 / The program on port {port} does not answer: "
            f"{_why(exc)}", HINT_PORT))
    body = _json(answer)
    if answer.status_code == 200 and body.get("ok") is True and "service_day" in body:
        version = str(body.get("version", "?"))[:20]
        return NetworkLine("station", Outcome(
            True, f"站点服务在 {local}:{port} 上运行（版本 {version}）/ The station answers on "
            f"{local}:{port} (version {version})"))
    return NetworkLine("station", Outcome(
        False, f"端口 {port} 被其他程序占用（HTTP {answer.status_code}）/ Port {port} is used by "
        f"another program (HTTP {answer.status_code})", HINT_PORT))


def _can_listen(host: str, port: int) -> Outcome:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        return Outcome(False, f"{host}:{port} 上没有站点服务应答，本机也无法在此监听 / Nothing "
                       f"answers at {host}:{port}, and this PC cannot listen there: "
                       f"{exc.strerror or exc}",
                       "站点地址应是本机的地址，或在站点服务所在的电脑上运行 / The address must be "
                       "one of this PC's, or the station runs on another PC: start it there")
    return Outcome(True, f"端口 {port} 空闲，站点服务可以使用 / Port {port} is free for the "
                   "station (it is not running now)")


# -- DNS and the hub ----------------------------------------------------------------------------


def _hub_host(hub_url: str) -> tuple[str, int]:
    parts = urlsplit(hub_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(hub_url)
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def dns_line(hub_url: str, timeout_s: float = TIMEOUT_S) -> NetworkLine:
    if not hub_url.strip():
        return _not_checked("dns")
    try:
        host, port = _hub_host(hub_url)
    except ValueError:
        return NetworkLine("dns", _bad_url(hub_url))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return NetworkLine("dns", Outcome(True, f"县级平台用 IP 地址 {host}，无需域名解析 / The "
                                          f"hub is given by its IP address {host}: no DNS "
                                          "needed"))
    # getaddrinfo has no timeout of its own: a dead DNS server waits far longer
    pool = ThreadPoolExecutor(1, thread_name_prefix="setup-dns")
    try:
        found = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        addresses = sorted({info[4][0] for info in found.result(timeout_s)})
    except FutureTimeout:
        return NetworkLine("dns", Outcome(False, f"{timeout_s:g} 秒内无法解析 {host} / {host} "
                                          f"was not resolved within {timeout_s:g} s",
                                          HINT_NETWORK))
    except OSError as exc:
        return NetworkLine("dns", Outcome(False, f"无法解析域名 {host} / {host} cannot be "
                                          f"resolved: {exc.strerror or exc}", HINT_NETWORK))
    finally:
        pool.shutdown(wait=False)
    shown = ", ".join(addresses[:3])
    return NetworkLine("dns", Outcome(True, f"{host} 解析为 {shown} / {host} resolves to "
                                      f"{shown}"))


def hub_line(hub_url: str, timeout_s: float = TIMEOUT_S,
             now: dt.datetime | None = None) -> NetworkLine:
    if not hub_url.strip():
        return _not_checked("hub")
    try:
        _hub_host(hub_url)
    except ValueError:
        return NetworkLine("hub", _bad_url(hub_url))
    url = hub_url.strip().rstrip("/") + HUB_HEALTH
    try:
        answer = httpx.get(url, timeout=timeout_s)
    except httpx.TimeoutException:
        return NetworkLine("hub", Outcome(False, f"县级平台在 {timeout_s:g} 秒内没有应答 / The hub "
                                          f"did not answer within {timeout_s:g} s",
                                          HINT_NETWORK))
    except httpx.HTTPError as exc:
        why = _why(exc)
        hint = HINT_CLOCK + "; " + HINT_URL if "certificate" in why.lower() else HINT_NETWORK
        return NetworkLine("hub", Outcome(False, f"无法连接县级平台 / Cannot connect to the hub: "
                                          f"{why}", hint))
    body = _json(answer)
    if answer.status_code != 200 or body.get("ok") is not True:
        return NetworkLine("hub", Outcome(
            False, f"该地址不是县级平台（HTTP {answer.status_code}）/ This URL is not the county "
            f"hub (HTTP {answer.status_code} for {HUB_HEALTH})", HINT_URL))
    version = str(body.get("version", "?"))[:20]
    words = f"县级平台可以访问（版本 {version}）/ The county hub answers (version {version})"
    skew = _skew_s(body.get("hub_time"), now or dt.datetime.now(dt.UTC))
    if skew is not None and abs(skew) > CLOCK_SKEW_S:
        minutes = f"{abs(skew) / 60:.0f}"
        return NetworkLine("hub", Outcome(
            False, f"{words}；但本机时间与平台相差约 {minutes} 分钟 / but this PC's clock is "
            f"about {minutes} min off the hub's", HINT_CLOCK))
    return NetworkLine("hub", Outcome(True, words))


def _skew_s(hub_time: Any, now: dt.datetime) -> float | None:
    if not isinstance(hub_time, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(hub_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return (now - moment).total_seconds()


def _not_checked(what: str) -> NetworkLine:
    return NetworkLine(what, Outcome(
        False, "未填写县级平台地址，未检查 / No county hub URL given: not checked",
        "在“县级平台”一页填写地址 / Enter the hub's URL on the county page"), checked=False)


def _bad_url(hub_url: str) -> Outcome:
    return Outcome(False, f"县级平台地址无效 / The hub URL is not valid: {hub_url[:80]}", HINT_URL)


def _why(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:160]


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# -- enrolment ----------------------------------------------------------------------------------


def enrol_site(data_dir: Path, config: SiteConfig, hub_url: str, code: str) -> Outcome:
    """Enrol this site as ``config`` names it (``[site] code``) with the hub at ``hub_url``
    under the one-time ``code`` (``bianmin sync enrol``)."""
    from kiosk.site_context import create_site
    from kiosk.sync_cli import settings_from
    from offline_store.errors import StoreError
    from sync.daemon import SyncError, enrol
    from sync.daemon.errors import EnrolmentRefused, HubUnavailable

    if not hub_url.strip():
        return Outcome(False, "请填写县级平台地址 / Enter the county hub's URL", HINT_URL)
    if not code.strip():
        return Outcome(False, "请填写注册码 / Enter the enrolment code",
                       "注册码由县里生成（bianmin hub enrol-code）/ The county makes the code "
                       "(bianmin hub enrol-code)")
    try:
        site, _ = create_site(data_dir, config)
        with site:
            result = enrol(site, hub_url, code, settings=settings_from(config))
    except EnrolmentRefused as exc:
        return Outcome(False, str(exc), HINT_CODE)
    except HubUnavailable as exc:
        return Outcome(False, str(exc), HINT_NETWORK)
    except SyncError as exc:
        return Outcome(False, str(exc), HINT_URL)
    except (StoreError, OSError) as exc:
        return Outcome(False, f"站点数据存储无法使用 / The site store cannot be used: {exc}",
                       HINT_STORE)
    return Outcome(True, f"已注册：站点 {result['site']}，县级平台 {result['hub']} / Enrolled "
                   f"site {result['site']} with {result['hub']} (key {result['key_id']})")


def enrolment_of(data_dir: Path, config: SiteConfig) -> tuple[str, str] | None:
    """(site code, hub URL) of this site's enrolment, or None (not enrolled, no store, or
    the store cannot be opened here)."""
    from kiosk.site_context import open_site
    from offline_store import sync_state
    from offline_store.site import STORE_FILE

    if not (data_dir / STORE_FILE).exists():
        return None
    try:
        with open_site(data_dir, config) as site:
            found = sync_state.enrolled(site.store)
    except Exception:  # no key here, a damaged store: the county page just asks
        return None
    return (str(found["site"]), str(found["hub"])) if found else None
