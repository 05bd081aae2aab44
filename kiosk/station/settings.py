"""The queue rules of one site, read once from its configuration into the domain's types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kiosk.config import SiteConfig
from kiosk.domain.queue.categories import Category, Span
from kiosk.domain.queue.estimates import EstimateRules
from kiosk.domain.queue.ordering import OrderingRules
from kiosk.domain.queue.windows import AdviceRules, Window, WindowState


@dataclass(frozen=True)
class QueueSettings:
    site_code: str
    site_name: str
    tz: ZoneInfo
    reset_hour: int
    elderly_age: int
    categories: dict[str, Category]
    windows: dict[str, Window]
    ordering: OrderingRules
    estimates: EstimateRules
    advice: AdviceRules
    reservation_timeout: dt.timedelta
    notice: str

    @classmethod
    def from_config(cls, config: SiteConfig) -> QueueSettings:
        q = config.queue
        categories = {
            prefix: Category(
                prefix=prefix, name=c.name, name_en=c.name_en,
                hours=tuple(Span.parse(s) for s in c.hours), daily_quota=c.daily_quota,
                slot_quotas={Span.parse(s): n for s, n in c.slot_quotas.items()},
                green_channel=c.green_channel)
            for prefix, c in config.categories.items()
        }
        windows = {
            number: Window(number=number, name=w.name, weights=dict(w.categories),
                           state=WindowState.CLOSED if w.temporary else WindowState.OPEN,
                           temporary=w.temporary)
            for number, w in config.windows.items()
        }
        return cls(
            site_code=config.site.code, site_name=config.site.name,
            tz=ZoneInfo(config.site.timezone), reset_hour=q.reset_hour,
            elderly_age=q.elderly_age, categories=categories, windows=windows,
            ordering=OrderingRules(ageing_minutes=float(q.ageing_minutes)),
            estimates=EstimateRules(default_service_s=float(q.default_service_s)),
            advice=AdviceRules(open_when_wait_s=float(q.open_window_wait_s),
                               open_when_waiting=q.open_window_waiting,
                               close_when_idle_s=float(q.close_window_idle_s)),
            reservation_timeout=dt.timedelta(seconds=q.reservation_timeout_s),
            notice=q.hall_notice,
        )
