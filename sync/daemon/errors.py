"""The sync daemon's errors, each a plain sentence in Chinese and English.

What the daemon does about an error depends only on its class (docs/sync-protocol.md,
Errors): :class:`HubUnavailable` is waited out (``Retry-After`` or the backoff),
:class:`AuthRefused` stops pushing until the site is enrolled again, :class:`Refused` is
kept in ``last_error`` and retried with backoff. Messages never carry personal data: they
name statuses, error codes, counts and record ids, never a value from a record.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def safe_code(value: object) -> str:
    """A hub error code fit to show: a short token, else ``?`` (a hostile hub could put
    anything in it)."""
    return value if isinstance(value, str) and _CODE.match(value) else "?"


class SyncError(Exception):
    """A sync failure with a plain bilingual message."""

    zh = "同步失败。"
    en = "Sync failed."
    retryable = False

    def __init__(self, detail: str = "", *, zh: str | None = None, en: str | None = None,
                 status: int | None = None, code: str | None = None,
                 retry_after: float | None = None):
        self.zh = zh or self.zh
        self.en = en or self.en
        self.detail = detail
        self.status = status
        self.code = code
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.zh} / {self.en}"
        return f"{text} ({self.detail})" if self.detail else text


class NotEnrolled(SyncError):
    zh = "本站点尚未在县级平台注册，请运行 bianmin sync enrol。"
    en = "This site is not enrolled with the county hub; run `bianmin sync enrol`."


class HubUnavailable(SyncError):
    """Connection refused or cut, a timeout, 5xx, 429 or 503: wait and try again."""

    zh = "暂时无法连接县级平台，稍后自动重试。"
    en = "The county hub cannot be reached for now; the daemon tries again later."
    retryable = True


class AuthRefused(SyncError):
    """401 other than ``stale``: the hub does not accept this site's key."""

    zh = "县级平台拒绝了本站点的密钥（未注册或密钥已被替换），请重新注册。"
    en = "The county hub refused this site's key (not enrolled, or replaced); enrol again."


class Refused(SyncError):
    """A 4xx the daemon cannot fix by itself, or an answer it cannot read: a bug on one side
    or a hostile answer. Kept in ``last_error`` and retried with backoff, never in a loop."""

    zh = "县级平台拒绝了请求或返回了无法识别的应答。"
    en = "The county hub refused the request or answered something unreadable."


class BlobRefused(Refused):
    """The hub refused one page's upload (too large for it, its hash never matching): that
    page waits, the rest of the cycle goes on."""

    def __init__(self, sha256: str, cause: SyncError):
        super().__init__(f"page {sha256[:12]}: {cause.detail}", status=cause.status,
                         code=cause.code)
        self.sha256 = sha256


class EnrolmentRefused(SyncError):
    zh = "注册失败：注册码无效、已使用、已过期，或不属于此站点。"
    en = "Enrolment failed: the code is wrong, used, expired, or made for another site."


class ItemRefused(SyncError):
    """A pulled item the site will not apply (a catalogue version that does not validate):
    recorded and skipped, so the stream goes on."""

    zh = "县级平台下发的一项内容未通过校验，已跳过。"
    en = "An item from the county hub failed validation and was skipped."
