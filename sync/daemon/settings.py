"""What the sync daemon is told: sizes, rates, timeouts and periods (the ``[sync]`` section of
``site.toml``, docs/configuration.md), as one frozen value handed in, never read globally."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SyncSettings:
    site_code: str = ""
    """The site's code as the county knows it (``[site] code``); enrolment sends it."""
    timezone: str = "Asia/Shanghai"
    """The site's time zone: the local day of the daily audit summary."""
    version: str = "0.1.0"
    """The software version reported at enrolment and in the heartbeat."""
    chunk_kib: int = 1024
    """Size of one tus PATCH. Unit: KiB."""
    upload_kbit_s: int = 0
    """Upload bandwidth cap for pages; 0 is no cap. Unit: kbit/s."""
    batch_ops: int = 100
    """Ops per ``POST /v1/ops`` (the hub takes at most 100)."""
    pull_limit: int = 500
    """Items per page of a pull stream (the hub gives at most 500)."""
    heartbeat_s: float = 300
    """Seconds between heartbeats."""
    health_port: int = 8471
    """Loopback port of ``GET /healthz``; 0 for none."""
    connect_timeout_s: float = 10
    read_timeout_s: float = 60
    backoff_base_s: float = 5
    """First wait after a failed cycle; doubles per failure, with full jitter."""
    backoff_cap_s: float = 900
    """Longest wait after failures (and the cap on a hub's ``Retry-After``)."""
    shred_grace_days: int = 30
    """``[retention] shred_grace_days``."""
    outbox_keep_days: int = 90
    """``[retention] outbox_acked_keep_days``."""
    retention_every_s: float = 3600
    """Seconds between runs of the retention rules (and the store's quick check)."""
    poll_s: float = 5
    """Seconds an idle daemon waits before looking at the outbox again."""
    pull_every_s: float = 60
    """Seconds between pulls while idle (a cycle that pushed something pulls too)."""
    lease_s: float = 300
    """How long ops handed to one send stay leased to it (a dead sender's lease runs out)."""
    max_answer_bytes: int = 32 * 1024 * 1024
    """The largest hub answer read (a pull page, a result document); more is an error."""

    @property
    def chunk_bytes(self) -> int:
        return self.chunk_kib * 1024

    @property
    def upload_bytes_s(self) -> float:
        return self.upload_kbit_s * 1000 / 8
