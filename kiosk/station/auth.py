"""Who may do what at the station: screens pair once and then carry a bearer token.

``bianmin station pair --role R`` makes a token for role R and a one-time code for it; the
technician types the code on the screen being set up (``POST /v1/pair``), or hands the token
to a script. The code is 8 digits, lives 10 minutes and works once; the token is kept only as
its hash. Each role may do only its own operations (:data:`PERMISSIONS`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from offline_store import station_access
from offline_store.site import Site

ROLES = ("kiosk", "counter", "display", "manager")
CODE_LIFETIME = dt.timedelta(minutes=10)

# one-window acceptance (issue 7): the catalogue, page uploads, the preview, accepting and
# reading cases, the screens' audit entries, 办不成事 requests, and the list of
# rectification tasks (no personal data) for the counter's manager view
CASE_WORK = ("catalogue", "case_preview", "upload", "case_accept", "case_step", "cases", "audit",
             "unresolved_report", "unresolved", "unresolved_step", "rectifications")

# the citizen kiosk (issue 9): a citizen's own cases, results and bookings ("citizen"), and
# calls for help that the counters list and answer
PERMISSIONS: dict[str, frozenset[str]] = {
    "kiosk": frozenset({"status", "events", "issue", "confirm", "void", "rate", "catalogue",
                        "case_preview", "citizen", "help_ask", "help_list"}),
    "counter": frozenset({"status", "events", "call", "recall", "no-show", "start", "finish",
                          "park", "resume", "transfer", "window_state", "cancel",
                          "clerk_login", "clerk_logout", "rate", "help_list", "help_answer",
                          *CASE_WORK}),
    "display": frozenset({"status", "events"}),
}
# the manager role keeps the clerk accounts (issue 7); a counter only signs clerks in and out
PERMISSIONS["manager"] = frozenset().union(*PERMISSIONS.values(), {
    "kpi", "announce", "clerks", "clerk_add", "clerk_reset", "clerk_disable",
    "rectifications", "rectify"})


@dataclass(frozen=True)
class Pairing:
    code: str
    token: str
    role: str
    expires_at: dt.datetime


def pair(site: Site, role: str) -> Pairing:
    """A new token for ``role`` and the one-time code that hands it to a screen."""
    _check_role(role)
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**8):08d}"
    now = site.clock.now()
    expires = now + CODE_LIFETIME
    with site.store.write() as conn:
        station_access.add_token(conn, token, role, now)
        station_access.add_pair_code(conn, site, code, token, expires)
    return Pairing(code, token, role, expires)


def new_token(site: Site, role: str) -> str:
    """A token for ``role`` with no code to hand it over: for a screen on the station's own
    PC, which is given the token directly (``bianmin setup``)."""
    _check_role(role)
    token = secrets.token_urlsafe(32)
    with site.store.write() as conn:
        station_access.add_token(conn, token, role, site.clock.now())
    return token


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"角色只能是 {'、'.join(ROLES)} / role must be one of {', '.join(ROLES)}")


def allowed(role: str, operation: str) -> bool:
    return operation in PERMISSIONS.get(role, frozenset())
