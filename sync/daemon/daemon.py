"""The unattended sync daemon: one cycle after another, for days without the county.

A cycle (``run_once``): the local housekeeping that is due (retention hourly, the audit
summary of yesterday once a day), a heartbeat when due, then every op that is ready and
every page the outbox needs (ops that become ready go between two chunks of a page), held
case statuses released, the streams pulled, and once a day the reconciliation of what the
hub holds against what the site sent.

Between cycles (``run_forever``): a short poll when all went well; after a failure, the
hub's ``Retry-After`` or a full-jitter backoff from 5 s to 15 min
(https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). The systemd
watchdog is fed by this loop only: after a batch or a chunk, after a cycle that ended (with
progress, with nothing to do, or with a failure it understood) and in the slices of its
waits. An error it does not understand (a bug) stops the feeding, so systemd restarts it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import shutil
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from offline_store import outbox, retention, sync_state
from offline_store.clock import iso
from offline_store.errors import StoreError
from offline_store.site import Site
from sync.protocol.messages import Reconciliation

from . import pull
from .enrolment import signer_of
from .errors import AuthRefused, BlobRefused, HubUnavailable, NotEnrolled, SyncError
from .health import HealthServer
from .notify import Notifier, SystemdNotifier, status_line
from .push import Pusher
from .settings import SyncSettings
from .status import status
from .transport import HubClient

log = logging.getLogger("bianmin.sync")
WAIT_SLICE_S = 15.0
"""The longest the loop sleeps without feeding the watchdog (``WatchdogSec=60``)."""
MAX_PAGE_REFUSALS = 5
"""Cycles in a row the hub may refuse a page before the site gives it up as lost (its op
then goes with the page in ``blobs_lost``, reported), so one bad page never holds the
outbox forever."""


class _HubTime(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    hub_time: str


def new_counts() -> dict[str, Any]:
    return {"pushed": 0, "acked": 0, "rejected": 0, "deferred": 0, "blob_bytes": 0,
            "pulled": 0, "errors": []}


def backoff_s(failures: int, settings: SyncSettings, rng: random.Random) -> float:
    """Full jitter: uniform up to ``base * 2**(failures - 1)``, capped; at least 1 s."""
    ceiling = min(settings.backoff_cap_s,
                  settings.backoff_base_s * 2 ** min(max(failures - 1, 0), 20))
    return max(1.0, rng.uniform(0, ceiling))


class Daemon:
    """One site's daemon. Not thread-safe: one loop drives it."""

    def __init__(self, site: Site, settings: SyncSettings | None = None,
                 appliers: Mapping[str, pull.Applier] | None = None,
                 notifier: Notifier | None = None,
                 sleep: Callable[[float], None] | None = None, *, http: Any = None,
                 rng: random.Random | None = None):
        self.site = site
        self.settings = settings or SyncSettings()
        self.appliers = {**pull.APPLIERS, **(appliers or {})}
        self.notifier = notifier or SystemdNotifier()
        self.sleep = sleep
        self.http = http
        self.rng = rng or random.Random()  # noqa: S311 (backoff jitter, not a secret)
        self.stop_event = threading.Event()
        self.failure: BaseException | None = None
        """What ended the last cycle early, or None."""
        self._hub: HubClient | None = None
        self._hub_key: tuple[str, str] | None = None
        self._started = False
        self._last_heartbeat: float | None = None
        self._last_retention: float | None = None
        self._last_pull: float | None = None
        self._page_refusals: dict[str, int] = {}

    # --- one cycle -----------------------------------------------------------------------

    def run_once(self) -> dict[str, Any]:
        """One whole cycle, pulls included; returns the counts (``errors`` lists the plain
        messages of what failed). Errors of the store and the hub are caught and recorded;
        anything else is a bug and propagates."""
        return self._cycle(pull_now=True)

    def _cycle(self, *, pull_now: bool) -> dict[str, Any]:
        counts = new_counts()
        self.failure = None
        hub = None
        try:
            self._start()
            self._housekeeping(counts)
            hub = self._hub_client()
            self._heartbeat(hub, counts)
            pusher = Pusher(self.site, hub, self.settings, rng=self.rng, sleep=self.sleep,
                            stop=self.stop_event, on_change=self.notifier.watchdog)
            refused = self._push(pusher, counts)
            sync_state.release_held(self.site)
            if pull_now or counts["pushed"]:
                pull.Puller(self.site, hub, self.settings, self.appliers,
                            stop=self.stop_event.is_set).pull_all(counts)
                self._last_pull = self._now()
            self._reconcile(hub, counts)
            if refused is not None:
                self.failure = refused  # the rest went; back off before trying that page again
            elif hub.answered:  # an idle poll that asked the hub nothing writes nothing
                sync_state.save(self.site.store, self.site.clock,
                                last_ok=iso(self.site.clock.now()), key_refused=False)
        except (SyncError, StoreError) as exc:
            self.failure = exc
            self._record_error(exc, counts)
        finally:
            if hub is not None and hub.answered:
                if hub.offset_known:
                    self._save_quietly(clock_offset_s=round(hub.offset_s, 3))
                hub.answered = False
            self._tell_status()
        return counts

    def _push(self, pusher: Pusher, counts: dict[str, Any]) -> BlobRefused | None:
        """Every op that is ready and every page the outbox needs; a page the hub refuses
        waits (and is given up as lost after :data:`MAX_PAGE_REFUSALS` cycles) while the rest
        goes on."""
        skip: set[str] = set()
        refused = None
        while not self.stop_event.is_set():
            pusher.push_ready(counts)
            try:
                if not pusher.upload_next(counts, skip=skip,
                                          between_chunks=lambda: pusher.push_ready(counts)):
                    break
            except BlobRefused as exc:
                refused = exc
                skip.add(exc.sha256)
                self._record_error(exc, counts)
                self._page_refusals[exc.sha256] = self._page_refusals.get(exc.sha256, 0) + 1
                if self._page_refusals[exc.sha256] >= MAX_PAGE_REFUSALS:
                    sync_state.mark_lost(self.site.store, self.site.clock, exc.sha256,
                                         "refused_by_hub")
        return refused

    def _start(self) -> None:
        if not self._started:
            released = sync_state.release_all_claims(self.site.store)
            if released:
                log.info("%d ops leased by an earlier run are sendable again", released)
            self._started = True

    def _now(self) -> float:
        return self.site.clock.now().timestamp()

    def _hub_client(self) -> HubClient:
        enrolment = sync_state.load_enrolment(self.site)
        if enrolment is None:
            raise NotEnrolled()
        key = (enrolment.hub_url, enrolment.key_id)
        if self._hub is None or self._hub_key != key:
            if self._hub is not None:
                self._hub.close()
            offset = sync_state.values(self.site.store).get("clock_offset_s") or 0.0
            self._hub = HubClient(enrolment.hub_url, settings=self.settings,
                                  clock=self.site.clock, signer=signer_of(enrolment),
                                  offset_s=float(offset), http=self.http)
            self._hub_key = key
        return self._hub

    def close(self) -> None:
        if self._hub is not None:
            self._hub.close()
            self._hub = None

    # --- errors --------------------------------------------------------------------------

    def _record_error(self, exc: Exception, counts: dict[str, Any]) -> None:
        message = str(exc)
        counts["errors"].append(message)
        values: dict[str, Any] = {"last_error": message,
                                  "last_error_at": iso(self.site.clock.now())}
        if isinstance(exc, AuthRefused):
            values["key_refused"] = True
        log.warning("sync cycle failed: %s", message)
        self._save_quietly(**values)

    def _save_quietly(self, **values: Any) -> None:
        """State that is nice to keep; a busy or full store must not turn it into a crash."""
        try:
            sync_state.save(self.site.store, self.site.clock, **values)
        except StoreError as exc:
            log.warning("could not record sync state: %s", exc)

    def _tell_status(self) -> None:
        try:
            self.notifier.status(status_line(status(self.site)))
        except StoreError:
            self.notifier.status("store unavailable")

    # --- local housekeeping --------------------------------------------------------------

    def _housekeeping(self, counts: dict[str, Any]) -> None:
        now = self._now()
        if self._last_retention is None or now - self._last_retention >= \
                self.settings.retention_every_s:
            shredded = retention.purge_acknowledged(self.site, self.settings.shred_grace_days,
                                                    actor="sync")
            pruned = outbox.prune_acked(self.site.store, self.site.clock,
                                        self.settings.outbox_keep_days)
            integrity = self.site.store.check(full=False).integrity
            sync_state.save(self.site.store, self.site.clock, integrity=integrity,
                            last_retention=iso(self.site.clock.now()))
            self._last_retention = now
            if shredded or pruned:
                log.info("retention: %d records shredded, %d delivered ops forgotten",
                         len(shredded), pruned)
        self._audit_summaries()

    def _audit_summaries(self) -> None:
        """The ``audit/summary`` op of each local day not yet summarised, up to yesterday:
        counts per action, no subjects."""
        zone = ZoneInfo(self.settings.timezone)
        yesterday = self.site.clock.now().astimezone(zone).date() - dt.timedelta(days=1)
        last = sync_state.values(self.site.store).get("audit_summary_day")
        first = yesterday if last is None else max(
            dt.date.fromisoformat(last) + dt.timedelta(days=1), yesterday - dt.timedelta(days=30))
        day = first
        while day <= yesterday:
            start = dt.datetime.combine(day, dt.time(), zone)
            counts = sync_state.audit_counts(self.site.store, start,
                                             start + dt.timedelta(days=1))
            sync_state.enqueue_audit_summary(self.site, day.isoformat(), {
                "day": day.isoformat(), "timezone": self.settings.timezone,
                "counts": counts, "total": sum(counts.values())})
            day += dt.timedelta(days=1)

    # --- hub calls beside push and pull --------------------------------------------------

    def _heartbeat(self, hub: HubClient, counts: dict[str, Any]) -> None:
        now = self._now()
        if self._last_heartbeat is not None and \
                now - self._last_heartbeat < self.settings.heartbeat_s:
            return
        lost = sync_state.lost_blobs(self.site.store)
        body = {
            "version": self.settings.version,
            "status": status(self.site),
            "health": {
                "free_disk_bytes": shutil.disk_usage(self.site.data_dir).free,
                "integrity": sync_state.values(self.site.store).get("integrity", "unknown"),
                "blobs_missing": sum(1 for v in lost.values() if v.get("reason") == "missing"),
                "blobs_corrupt": sum(1 for v in lost.values() if v.get("reason") != "missing"),
            },
        }
        try:
            hub.call("POST", "/v1/heartbeat", _HubTime, json_body=body)
        except (HubUnavailable, AuthRefused):
            raise
        except SyncError as exc:  # the hub refused the heartbeat: report it, go on
            self._record_error(exc, counts)
        self._last_heartbeat = now

    def _reconcile(self, hub: HubClient, counts: dict[str, Any]) -> None:
        """Once a local day: does the hub hold exactly the ops the site had acknowledged?"""
        zone = ZoneInfo(self.settings.timezone)
        today = self.site.clock.now().astimezone(zone).date().isoformat()
        values = sync_state.values(self.site.store)
        if values.get("reconcile_day") == today:
            return
        window = sync_state.acked_window(self.site.store)
        if window is None:
            return
        try:
            answer = hub.call("GET", "/v1/reconcile", Reconciliation,
                              query={"from_seq": window["from_seq"], "to_seq": window["to_seq"]})
        except HubUnavailable:
            raise
        except SyncError as exc:
            counts["errors"].append(str(exc))
            self._save_quietly(reconcile_day=today)
            return
        ok = answer.ops == window["ops"] and answer.hash == window["hash"]
        report = {"day": today, "from_seq": window["from_seq"], "to_seq": window["to_seq"],
                  "site_ops": window["ops"], "hub_ops": answer.ops, "ok": ok}
        values_to_save: dict[str, Any] = {"reconcile": report, "reconcile_day": today}
        if not ok:
            message = (f"对账不一致：本站 {window['ops']} 条，县级平台 {answer.ops} 条 / "
                       f"Reconciliation mismatch: the site sent {window['ops']} ops, the hub "
                       f"holds {answer.ops} (seq {window['from_seq']}-{window['to_seq']})")
            counts["errors"].append(message)
            values_to_save.update(last_error=message, last_error_at=iso(self.site.clock.now()))
            log.warning("%s", message)
        sync_state.save(self.site.store, self.site.clock, **values_to_save)

    # --- the loop ------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Cycle until ``stop`` is set (SIGTERM): the chunk under way is finished first."""
        self.stop_event = stop
        health = None
        if self.settings.health_port:
            try:
                health = HealthServer(self.site.store.path, self.site.clock,
                                      self.settings.health_port).start()
            except OSError as exc:
                log.warning("healthz not served: port %d: %s", self.settings.health_port,
                            exc.strerror)
        self.notifier.ready()
        failures = 0
        try:
            while not stop.is_set():
                last_pull = self._last_pull
                pull_due = last_pull is None or \
                    self._now() - last_pull >= self.settings.pull_every_s
                healthy = True
                try:
                    self._cycle(pull_now=pull_due)
                except Exception as exc:
                    self.failure = exc
                    healthy = False
                    log.error("sync cycle hit a bug (%s); systemd will restart the daemon if it "
                              "goes on:\n%s", type(exc).__name__,
                              "".join(traceback.format_tb(exc.__traceback__)))
                if self.failure is None:
                    failures = 0
                    wait = self.settings.poll_s
                else:
                    failures += 1
                    wait = backoff_s(failures, self.settings, self.rng)
                    hinted = getattr(self.failure, "retry_after", None)
                    if hinted is not None:
                        wait = max(1.0, min(hinted, self.settings.backoff_cap_s))
                if healthy:
                    self.notifier.watchdog()
                self._wait(stop, wait, feed=healthy)
        finally:
            self.notifier.stopping()
            if health is not None:
                health.stop()
            self.close()

    def _wait(self, stop: threading.Event, seconds: float, *, feed: bool) -> None:
        left = seconds
        while left > 0 and not stop.is_set():
            step = min(left, WAIT_SLICE_S)
            if self.sleep is not None:
                self.sleep(step)
            else:
                stop.wait(step)
            left -= step
            if feed:
                self.notifier.watchdog()
