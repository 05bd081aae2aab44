"""The service catalogue between its files, the domain model and the store.

The sample catalogue ships in ``kiosk/data/sample_catalogue.json`` and is marked as sample
data everywhere it shows; the county's real catalogue arrives later through sync, as a new
version.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from offline_store import catalogue as stored
from offline_store.site import Site

from .domain.catalogue import Catalogue, CatalogueError, parse_catalogue

SAMPLE = "sample_catalogue.json"


def read_file(path: Path | None) -> tuple[Catalogue, str]:
    """Parse and validate a catalogue file (the shipped sample when ``path`` is None);
    returns it with a description of its source."""
    if path is None:
        text = resources.files("kiosk.data").joinpath(SAMPLE).read_text("utf-8")
        source = f"builtin:{SAMPLE}"
    else:
        try:
            text = Path(path).read_text("utf-8-sig")
        except OSError as exc:
            raise CatalogueError([f"{path}: cannot read the file: {exc.strerror}"]) from exc
        except UnicodeDecodeError as exc:
            raise CatalogueError([f"{path}: the file is not UTF-8 text"]) from exc
        source = str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError([f"{source}:{exc.lineno}: not valid JSON: {exc.msg}"]) from exc
    if not isinstance(data, dict):
        raise CatalogueError([f"{source}: expected a JSON object at the top"])
    return parse_catalogue(data), source


def save(site: Site, catalogue: Catalogue, source: str) -> None:
    """Store the catalogue as a new current version, in one transaction."""
    data = catalogue.to_data()
    with site.store.write() as conn:
        stored.save_version(
            conn, site.clock, version=catalogue.version, source=source,
            sample=catalogue.sample, body=data, items=data["items"], bundles=data["bundles"],
        )


def current(site: Site) -> tuple[Catalogue, dict[str, Any]] | None:
    """The current catalogue and its load metadata, or None before any was loaded."""
    row = stored.current(site.store.conn)
    if row is None:
        return None
    return parse_catalogue(row["body"]), {k: row[k] for k in ("version", "source", "sample",
                                                              "loaded_at")}
