"""The few reads the pages need that :class:`sync.hub.admin.Admin` does not answer: the masked
applicants of a list of cases (the full ones never leave this module), the ratings of the last
days per level, and the names of items and materials from the newest published catalogue."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sync.hub import schema
from sync.hub.db import Database

from .masking import masked_person


def masked_applicants(db: Database, keys: Iterable[tuple[str, str]],
                      ) -> dict[tuple[str, str], dict[str, str]]:
    """``{(site, case_id): {"name", "id_number"}}``, masked, for the cases named."""
    wanted = set(keys)
    if not wanted:
        return {}
    c = schema.cases
    with db.read() as conn:
        rows = conn.execute(sa.select(c.c.site, c.c.case_id, c.c.payload).where(
            c.c.case_id.in_(sorted({case_id for _, case_id in wanted})))).all()
    out = {}
    for site, case_id, payload in rows:
        if (site, case_id) in wanted:
            out[(site, case_id)] = masked_person(_loads(payload).get("applicant"))
    return out


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def ratings_by_level(db: Database, since: str) -> dict[str, dict[int, int]]:
    """``{site: {level: count}}`` of the ratings made at or after ``since`` (ISO 8601 UTC as
    the sites write it, ``...Z``: the text sorts as the time)."""
    g = schema.ratings
    with db.read() as conn:
        rows = conn.execute(sa.select(g.c.site, g.c.level, sa.func.count())
                            .where(g.c.rated_at >= since).group_by(g.c.site, g.c.level)).all()
    out: dict[str, dict[int, int]] = {}
    for site, level, count in rows:
        out.setdefault(site, {})[int(level)] = int(count)
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class Names:
    """Item and material names of one catalogue version (codes stay when a name is unknown)."""

    version: str | None = None
    items: dict[str, str] = field(default_factory=dict)
    materials: dict[str, str] = field(default_factory=dict)

    def item(self, code: str) -> str:
        return self.items.get(code, "")

    def material(self, code: str) -> str:
        return self.materials.get(code, "")


_NAMES: dict[tuple[str, str], Names] = {}
"""Names by (database, version): a version's body never changes (``publish_catalogue`` refuses
that), so a catalogue of megabytes is read once per process, not at every page view."""


def catalogue_names(db: Database) -> Names:
    """The names in the newest published catalogue (an empty :class:`Names` before any)."""
    v = schema.catalogue_versions
    with db.read() as conn:
        newest = conn.execute(sa.select(v.c.version).order_by(v.c.published_at.desc(),
                                                                v.c.version.desc())
                              .limit(1)).scalar()
        if newest is None:
            return Names()
        key = (db.engine.url.render_as_string(hide_password=True), newest)
        if key not in _NAMES:
            body = conn.execute(sa.select(v.c.body).where(v.c.version == newest)).scalar_one()
            if len(_NAMES) >= 8:
                _NAMES.clear()
            _NAMES[key] = _names(newest, body)
    return _NAMES[key]


def _names(version: str, body: str) -> Names:
    data = _loads(body)
    items = {str(i.get("code")): str(i.get("name", "")) for i in _list(data, "items")
             if isinstance(i, dict) and i.get("code")}
    for bundle in _list(data, "bundles"):
        if isinstance(bundle, dict) and bundle.get("code"):
            items.setdefault(str(bundle["code"]), str(bundle.get("name", "")))
    raw = data.get("materials", {})
    materials = {str(code): str(m.get("name", "")) for code, m in raw.items()
                 if isinstance(m, dict)} if isinstance(raw, dict) else {}
    return Names(version, items, materials)


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []
