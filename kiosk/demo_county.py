"""The county's side of ``bianmin demo`` (DESIGN.md §2: "the whole site on one machine with
simulated devices and a local hub").

The real hub (``sync.hub``, FastAPI on uvicorn) serves in a thread on loopback, its data in
``<demo dir>/hub`` (SQLite); the demo site is enrolled with it (a one-time code from the
hub's own admin, then the enrolment of ``bianmin sync enrol``); and the real sync daemon
runs in a thread of the demo on its own connection to the store, as ``bianmin-sync`` does on
a site's PC. When the demo ends, one last cycle sends what it made, so the county holds it:
``bianmin hub stats --data-dir <demo dir>/hub`` shows it, and ``bianmin sync status
--data-dir <demo dir>`` shows the site's side.

The hub listens on ``bianmin hub``'s port (8480) when it is free, so that the enrolment
stays valid from one demo to the next; on any free port otherwise (the site is enrolled
again: the hub then holds its new key).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline_store import sync_state
from sync.daemon import Daemon, enrol
from sync.hub.server import RunningHub, running_hub

from .config import SiteConfig
from .hub_cli import DEFAULT_PORT
from .site_context import open_site
from .sync_cli import APPLIERS, settings_from

log = logging.getLogger(__name__)

HUB_DIR = "hub"
STOP_WAIT_S = 15.0
"""Longest wait for the daemon's loop to finish the chunk under way at the end. Unit: s."""


@dataclass
class DemoCounty:
    """The hub the demo site syncs with, and the counts of the last cycle (at the end)."""

    url: str
    data_dir: Path
    hub: RunningHub
    last: dict[str, Any] = dataclasses.field(default_factory=dict)


@contextlib.contextmanager
def demo_county(directory: Path, config: SiteConfig,
                echo: Callable[[str], None] = print) -> Iterator[DemoCounty]:
    """The hub on loopback with the demo site enrolled and its sync daemon running, until
    the block ends; then one last cycle, whose counts are in ``last``."""
    data = directory / HUB_DIR
    with contextlib.ExitStack() as stack:
        hub = _hub(stack, data)
        site = stack.enter_context(open_site(directory, config))
        # the health port is the site's real daemon's: the demo's serves none
        settings = dataclasses.replace(settings_from(config), health_port=0)
        found = sync_state.enrolled(site.store)
        if found is None or (found["site"], found["hub"]) != (config.site.code, hub.url):
            enrol(site, hub.url, hub.admin.enrol_code(config.site.code)["code"],
                  settings=settings)
        daemon = Daemon(site, settings, appliers=APPLIERS)
        stack.callback(daemon.close)
        stop = threading.Event()
        thread = threading.Thread(target=daemon.run_forever, args=(stop,), name="demo-sync",
                                  daemon=True)
        thread.start()
        county = DemoCounty(hub.url, data, hub)
        echo(f"县级平台（本机演示）/ county hub (local, for the demo): {hub.url}  "
             f"(数据 / data {data})")
        try:
            yield county
        finally:
            stop.set()
            thread.join(STOP_WAIT_S)
        if thread.is_alive():  # never a second loop on the same daemon
            log.warning("demo: the sync daemon did not stop within %.0f s", STOP_WAIT_S)
            return
        county.last = daemon.run_once()  # what the demo made since the daemon's last cycle
        held = hub.admin.stats()["sites"].get(config.site.code, {"ops": 0, "cases": 0})
        echo(f"县级平台已收到本站 {held['ops']} 条记录、{held['cases']} 件办件 / the county hub "
             f"holds {held['ops']} records and {held['cases']} cases of this site "
             f"(bianmin hub stats --data-dir {data})")
        for error in county.last["errors"]:
            echo(error)


def _hub(stack: contextlib.ExitStack, data: Path) -> RunningHub:
    try:
        return stack.enter_context(running_hub(data, port=DEFAULT_PORT))
    except OSError:  # a county hub already runs here (or the port is taken): any free one
        return stack.enter_context(running_hub(data, port=0))
