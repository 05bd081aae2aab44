"""Errors of the site store, each with a plain message in Chinese first and English second.

The text is for the technician or clerk who reads it: it says what happened and what to do,
never an SQLite error code alone. The original exception stays attached as ``__cause__``.
"""

from __future__ import annotations

import sqlite3


class StoreError(Exception):
    """A store failure with a plain bilingual message."""

    zh: str = "站点数据存储出错。"
    en: str = "The site store failed."

    def __init__(self, detail: str = "", *, zh: str | None = None, en: str | None = None):
        self.zh = zh or self.zh
        self.en = en or self.en
        self.detail = detail
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.zh} / {self.en}"
        return f"{text} ({self.detail})" if self.detail else text


class StoreMissing(StoreError):
    zh = "站点数据存储不存在，请先运行 bianmin store init。"
    en = "There is no site store here yet; run `bianmin store init` first."


class StoreCorrupt(StoreError):
    zh = "站点数据存储文件已损坏，已停止使用以免数据丢失。请联系县级技术人员，从备份恢复。"
    en = ("The site store file is damaged; it was not opened so nothing more is lost. "
          "Ask the county technician to restore it from a backup.")


class StoreTooNew(StoreError):
    zh = "站点数据存储由更新版本的便民软件创建，请升级软件，不要降级。"
    en = "The site store was written by a newer Bianmin; upgrade the software, do not downgrade."


class StoreFull(StoreError):
    zh = "磁盘已满，本次记录未保存（之前已保存的记录完好）。请清理磁盘空间后重试。"
    en = ("The disk is full; this record was not saved (records saved before are intact). "
          "Free some disk space and try again.")


class StoreBusy(StoreError):
    zh = "站点数据存储繁忙，等待超时，本次记录未保存，请重试。"
    en = "The site store stayed busy past the timeout; this record was not saved. Try again."


class StoreIOError(StoreError):
    zh = "读写磁盘出错，本次记录未保存。请检查磁盘。"
    en = "Reading or writing the disk failed; this record was not saved. Check the disk."


class BlobCorrupt(StoreError):
    zh = "材料文件已损坏（校验不符）。"
    en = "A stored material file is damaged (its checksum does not match)."


class BlobMissing(StoreError):
    zh = "材料文件缺失。"
    en = "A stored material file is missing."


class SiteKeyError(StoreError):
    zh = "站点密钥不可用。"
    en = "The site key is not usable."


class SiteKeyMissing(SiteKeyError):
    zh = "找不到站点密钥文件。请从备份恢复密钥；不要重新生成，否则已加密的数据将无法读取。"
    en = ("The site key file is missing. Restore it from the backup; do not make a new one, "
          "or the encrypted data can no longer be read.")


class SiteKeyInsecure(SiteKeyError):
    zh = "站点密钥文件权限过宽，必须为 0600（仅所有者可读写）。"
    en = "The site key file is readable by others; its mode must be 0600 (owner only)."


class SiteKeyMismatch(SiteKeyError):
    zh = "站点密钥与此数据存储不匹配，可能用错了密钥文件。"
    en = "The site key does not belong to this store; the wrong key file may be in place."


class KeyShredded(StoreError):
    zh = "该记录的个人信息已按保存期限销毁，无法再读取。"
    en = "This record's personal data was destroyed at the end of its retention period."


class DecryptionFailed(StoreError):
    zh = "加密数据校验失败，数据可能被篡改或损坏。"
    en = "Encrypted data failed its integrity check; it may be damaged or tampered with."


class CipherUnavailable(StoreError):
    zh = "本机的加密库不支持所选算法。"
    en = "This machine's crypto library does not support the chosen cipher."


# SQLite primary result codes (https://www.sqlite.org/rescode.html)
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR = 5, 6, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB = 11, 13, 26


def translate(exc: sqlite3.Error) -> StoreError | None:
    """The plain store error for an SQLite exception, or None when it is a programming error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    detail = str(exc)
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreCorrupt(detail)
    if primary == _SQLITE_FULL:
        return StoreFull(detail)
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreBusy(detail)
    if primary == _SQLITE_IOERR:
        return StoreIOError(detail)
    return None
