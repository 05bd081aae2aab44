"""Work with no station reachable, for a home visit (上门服务) and a village agent's point
(帮办代办) — issue 7: "works with no station reachable and delivers everything when it is
back". Qt-free: the screen calls it on the runner's workers.

- The catalogue: the last one the station gave (``GET /v1/catalogue?full=true``) is kept in a
  plain JSON file (no personal data in it) and parsed with
  :func:`kiosk.domain.catalogue.parse_catalogue` when the station is away.
- The preview and the acceptance: the station's when it answers; else
  :mod:`.offline_rules` computes the same answer here.
- A case accepted offline gets the counter's receipt number
  ``<site>-<yyyymmdd>-H<window><seq:03d>`` (``seq`` per window per day, kept in the spool
  folder and written durably before it is printed: never twice), never the station's
  ``<site>-<yyyymmdd>-<seq:04d>``; it goes into the sealed :class:`~kiosk.client.spool.Spool`
  with its pages, ``receipt_no`` and ``accepted_at``. Its rating and the audit reports of the
  moment are spooled too; the rating takes the case id from the case's answer on delivery.
- :meth:`OfflineWork.deliver` sends what waits, oldest first, exactly once.

A request that found no station marks it away (``station_down``), so the next ones go local
at once instead of waiting for a timeout; the event feed coming back clears it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.client.http import StationClient, StationError, StationUnreachable
from kiosk.client.spool import Delivery, Job, Spool
from kiosk.domain.catalogue import Catalogue, CatalogueError, parse_catalogue
from kiosk.domain.workdays import WorkdayCalendar

from . import offline_rules
from .acceptance import flow
from .acceptance.draft import PageDraft

log = logging.getLogger(__name__)

OFFLINE_MODES = ("home_visit", "agent")
"""Modes that keep working with no station (counter mode needs its station: the queue)."""
RECEIPT_FILE = "receipt-numbers.json"
MAX_SEQ = 999
NO_CATALOGUE = ("本机没有保存事项清单，请先连上站点一次 / this PC keeps no catalogue yet: "
                "connect to the station once first")
NO_SITE_CODE = ("不知道本站点编码，无法离线编号 / the site code is not known: cannot number "
                "the case offline")


class OfflineError(StationError):
    """Offline work cannot go on (no catalogue kept, no site code): the clerk's words."""

    def __init__(self, message: str):
        super().__init__(0, "offline_unavailable", message)


class ReceiptNumbers:
    """The counter's own receipt numbers, one sequence per window per day, in one small JSON
    file written durably (temp, fsync, rename) before a number is used."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def next(self, site_code: str, window: str, day: dt.date) -> str:
        key = f"{window}:{day:%Y%m%d}"
        with self._lock:
            seqs = self._read()
            seq = int(seqs.get(key, 0)) + 1
            if seq > MAX_SEQ:
                raise OfflineError(f"今天离线受理已满 {MAX_SEQ} 件 / {MAX_SEQ} cases accepted "
                                   "offline today: deliver them first")
            # the last two months are kept (a clock set back a little finds its numbers)
            oldest = f"{day - dt.timedelta(days=60):%Y%m%d}"
            seqs = {k: v for k, v in seqs.items() if k.split(":")[-1] >= oldest}
            seqs[key] = seq
            _write_json(self.path, seqs)
        return f"{site_code}-{day:%Y%m%d}-H{window}{seq:03d}"

    def _read(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # a damaged file must not restart the numbers (a duplicate would be refused)
            raise OfflineError(f"离线编号文件无法读取 / the offline receipt numbers cannot be "
                               f"read ({self.path.name}: {exc})") from None
        return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


class OfflineWork:
    """One counter's offline work.

    :param folder: the spool folder (sealed jobs, the receipt numbers).
    :param token: the counter's token (the spool's key is derived from it).
    :param catalogue_path: where the last catalogue is kept (plain JSON).
    :param site_code: the site's code, the receipt number's prefix (the station's
        ``hello`` corrects it).
    :param window: this counter's window.
    :param id_check: the GB 11643 check (handed in: the screens may not import drivers).
    """

    def __init__(self, folder: Path, token: str, catalogue_path: Path, *, site_code: str,
                 window: str, id_check: Callable[[str], bool] = lambda n: True,
                 calendar: WorkdayCalendar | None = None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()):
        self.spool = Spool(folder, token)
        self.numbers = ReceiptNumbers(folder / RECEIPT_FILE)
        self.catalogue_path = catalogue_path
        self.site_code = site_code
        self.window = window
        self.id_check = id_check
        self.calendar = calendar or WorkdayCalendar()
        self.now = now
        self.station_down = False
        """True once a request found no station, until the event feed is live again."""
        self.changed: Callable[[], None] = lambda: None
        """Called (from a worker) when a job was kept or delivered: the strip's count."""
        self._put_lock = threading.Lock()
        self._deliver_lock = threading.Lock()
        self._parsed: tuple[str, Catalogue] | None = None

    @property
    def waiting(self) -> int:
        return len(self.spool)

    # --- the catalogue ---------------------------------------------------------------------

    def catalogue(self, client: StationClient) -> dict[str, Any]:
        """The station's listing (kept here with its source), or the one kept last."""
        if not self.station_down:
            try:
                answer = client.catalogue(full=True)
            except StationUnreachable:
                self.station_down = True
            else:
                if isinstance(answer.get("source"), dict):
                    _write_json(self.catalogue_path, answer)
                return answer
        kept = self._kept_catalogue()
        return {k: v for k, v in kept.items() if k != "source"}

    def _kept_catalogue(self) -> dict[str, Any]:
        try:
            kept = json.loads(self.catalogue_path.read_text("utf-8"))
        except (OSError, ValueError):
            raise OfflineError(NO_CATALOGUE) from None
        if not isinstance(kept, dict) or not isinstance(kept.get("source"), dict):
            raise OfflineError(NO_CATALOGUE)
        return kept

    def rules(self) -> Catalogue:
        """The kept catalogue, parsed (once per version)."""
        kept = self._kept_catalogue()
        version = str(kept.get("version", ""))
        if self._parsed is None or self._parsed[0] != version:
            try:
                self._parsed = (version, parse_catalogue(kept["source"]))
            except CatalogueError:
                raise OfflineError(NO_CATALOGUE) from None
        return self._parsed[1]

    # --- preview and acceptance ------------------------------------------------------------

    def preview(self, client: StationClient, body: Mapping[str, Any]) -> dict[str, Any]:
        if not self.station_down:
            try:
                return client.preview_case(body)
            except StationUnreachable:
                self.station_down = True
        return offline_rules.preview(self.rules(), self.calendar, body,
                                     on=self.now().date(), id_check=self.id_check)

    def submit(self, client: StationClient, body: dict[str, Any], pages: Mapping[str, PageDraft],
               key: str, progress: Callable[[int, int], None] = lambda done, total: None, *,
               clerk: str | None = None, clerk_name: str | None = None,
               query_url: str = "") -> dict[str, Any]:
        """Accept at the station; with no station, accept here and keep the case (with its
        pages) for delivery. The offline answer has ``offline`` and ``spool_job``."""
        if not self.station_down:
            try:
                return flow.submit(client, body, pages, key, progress)
            except StationUnreachable:
                self.station_down = True
        return self.keep_case(body, pages, key, clerk=clerk, clerk_name=clerk_name,
                              query_url=query_url)

    def keep_case(self, body: dict[str, Any], pages: Mapping[str, PageDraft], key: str, *,
                  clerk: str | None = None, clerk_name: str | None = None,
                  query_url: str = "") -> dict[str, Any]:
        """Accept ``body`` here (the domain's rules; refused as the station would), number
        it, and keep it sealed in the spool with its pages, under ``key`` (the key an
        attempt at the station may have used: a case the station did keep is then not
        made twice — the delivery is refused and says so)."""
        if not self.site_code:
            raise OfflineError(NO_SITE_CODE)
        catalogue = self.rules()
        window = str(body.get("window") or self.window)
        at = self.now()
        # check first: a refused draft uses no number
        offline_rules.accept(catalogue, self.calendar, body, at=at, receipt_no="-",
                             id_check=self.id_check)
        receipt_no = self.numbers.next(self.site_code, window, at.date())
        answer = offline_rules.accept(catalogue, self.calendar, body, at=at,
                                      receipt_no=receipt_no, id_check=self.id_check,
                                      clerk=clerk, clerk_name=clerk_name, query_url=query_url)
        sealed = {**body, "window": window, "receipt_no": receipt_no,
                  "accepted_at": at.isoformat()}
        job = self._put(Job("case", sealed, key=key,
                            pages={p.sha256: p.upload for p in pages.values()}))
        answer.update(offline=True, spool_job=job.id)
        return answer

    # --- ratings and audit reports ---------------------------------------------------------

    def rate(self, client: StationClient, body: Mapping[str, Any],
             case_job: str | None = None) -> dict[str, Any]:
        """The rating of a visit: at the station, or kept. A rating of a case accepted
        offline (``case_job``) always waits for its case: the station must know it first."""
        if case_job is None and not self.station_down:
            try:
                return client.rate(body)
            except StationUnreachable:
                self.station_down = True
        fill = {"case_id": (case_job, "id")} if case_job else {}
        self._put(Job("rating", dict(body), fill=fill))
        return {"spooled": True, "level": body.get("level"), "rectification": None}

    def audit(self, client: StationClient, action: str, subject: str, screen: str,
              window: str | None = None) -> None:
        """A screen's audit report: at the station, or kept for it (never lost)."""
        if not self.station_down:
            try:
                client.audit(action, subject, screen, window=window)
                return
            except StationUnreachable:
                self.station_down = True
        self._put(Job("audit", {"action": action, "subject": subject, "screen": screen,
                                "window": window}))

    def _put(self, job: Job) -> Job:
        with self._put_lock:  # the spool numbers its files: one writer at a time
            kept = self.spool.put(job)
        log.info("counter: kept a %s job offline (%d waiting)", job.kind, self.waiting)
        self.changed()
        return kept

    # --- delivery --------------------------------------------------------------------------

    def deliver(self, client: StationClient) -> Delivery:
        """Send what waits (one delivery at a time); the station is back when it answered."""
        with self._deliver_lock:
            done = self.spool.deliver(client)
        self.station_down = done.unreachable
        if done.delivered or done.refused:
            self.changed()
        return done


def _write_json(path: Path, data: Any) -> None:
    """Temp, fsync, rename: a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
