"""Enrolment: the site makes an Ed25519 key pair (RFC 8032) and registers its public half
with the hub under a one-time code (docs/sync-protocol.md, Enrolment).

The private key stays in the site store, sealed under a data key of its own; enrolling
again (a replaced PC, a new code) replaces it and the old key stops working at the hub.
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from offline_store import sync_state
from offline_store.site import Site
from sync.protocol import signing
from sync.protocol.messages import EnrolAnswer, EnrolRequest

from .errors import EnrolmentRefused, Refused, SyncError, safe_code
from .settings import SyncSettings
from .transport import HubClient, Signer, error_for

log = logging.getLogger("bianmin.sync")


def enrol(site: Site, hub_url: str, code: str, *, settings: SyncSettings | None = None,
          site_code: str | None = None, http: Any = None) -> dict[str, Any]:
    """Register this site with the hub at ``hub_url`` using the one-time ``code``.

    :param site_code: the site's code (default ``settings.site_code``, i.e. ``[site] code``).
    :returns: ``{"site", "key_id", "hub"}``.
    :raises SyncError: with a plain bilingual message (the code refused, the hub
        unreachable, …).
    """
    settings = settings or SyncSettings()
    code_of_site = site_code or settings.site_code
    hub_url = hub_url.strip().rstrip("/")
    if not hub_url.startswith(("http://", "https://")):
        raise SyncError(f"not an http(s) URL: {hub_url[:80]}", zh="县级平台地址无效。",
                        en="The hub URL is not valid.")
    if not code_of_site:
        raise SyncError(zh="未配置站点编码（[site] code）。",
                        en="The site code ([site] code) is not configured.")
    key = signing.new_key()
    public = signing.b64(signing.public_bytes(key))
    try:
        request = EnrolRequest(site=code_of_site, code=code.strip(), public_key=public,
                               version=settings.version)
    except ValueError:
        raise EnrolmentRefused("the code or the site code has the wrong form") from None
    hub = HubClient(hub_url, settings=settings, clock=site.clock, http=http)
    try:
        answer = hub.request("POST", "/v1/enrol", signed=False,
                             body=request.model_dump_json().encode(),
                             headers={"Content-Type": "application/json"})
        if answer.status in (400, 403, 404, 409, 410, 422):
            raise EnrolmentRefused(f"HTTP {answer.status} {safe_code(answer.error_code())}",
                                   status=answer.status, code=answer.error_code())
        if answer.status not in (200, 201):
            raise error_for(answer, what="POST /v1/enrol", hub_now=hub.hub_now(),
                            cap=settings.backoff_cap_s)
        enrolled = hub.parse(answer, EnrolAnswer, what="POST /v1/enrol", expect=(200, 201))
    finally:
        hub.close()
    if enrolled.site != code_of_site:
        raise Refused(f"the hub enrolled site {safe_code(enrolled.site)}, not "
                      f"{safe_code(code_of_site)}")
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    sync_state.save_enrolment(site, site_code=code_of_site, hub_url=hub_url,
                              key_id=enrolled.key_id, private_key=raw, public_key=public)
    sync_state.save(site.store, site.clock, clock_offset_s=round(hub.offset_s, 3),
                    hub=hub_url)
    log.info("enrolled site %s with the hub as key %s", safe_code(code_of_site),
             safe_code(enrolled.key_id))
    return {"site": code_of_site, "key_id": enrolled.key_id, "hub": hub_url}


def signer_of(enrolment: sync_state.Enrolment) -> Signer:
    return Signer(enrolment.site_code, enrolment.key_id,
                  Ed25519PrivateKey.from_private_bytes(enrolment.private_key))

