"""Service catalogue (事项清单) and bundles (一件事): the pure domain model.

Follows DESIGN.md §5 (Data). An item carries its code (事项编码), name, department,
category, level (乡镇可办 / 村可代办), frequency class (高频/低频/阶段性/转报), conditions,
materials (form, count, required or optional, 容缺 allowed, 免提交 via shared data or an
e-licence), legal and promised time limits in working days, fees and their basis, and its
window category; the catalogue has a version. A bundle (一件事) merges its items'
materials into one checklist without duplicates (``Catalogue.bundle_materials``).

Codes: GB/T 39554.1-2020 defines the real 政务服务事项编码. The codes in the shipped sample
(``SMP-SHBZ-001``, ``SMP-YJS-001``) are sample codes that follow no standard and must never
be sent to the county as real ones. Real codes arrive with the county catalogue; the parser
accepts any code without spaces, and when ``sample`` is true it insists on the ``SMP-``
prefix so that sample data cannot pass for a real catalogue.

Plain Python, no I/O: the caller reads and decodes the JSON and hands the dict to
``parse_catalogue``, which checks everything and reports every problem at once, each naming
its place, e.g. ``items[3] (SMP-SHBZ-004).materials[1].form: 'xx' is not one of ...``, so
that a county clerk editing the file can fix them all in one pass.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

CATEGORIES = (
    "社会保障",
    "社会救助",
    "医疗卫生",
    "养老服务",
    "劳动就业",
    "市场监管",
    "城乡建设",
    "法律援助",
    "退役军人",
    "残疾人服务",
)
LEVELS = ("乡镇可办", "村可代办")
FREQUENCIES = ("高频", "低频", "阶段性", "转报")
FORMS = ("原件", "复印件", "原件和复印件", "电子证照")
MIAN_TIJIAO = ("none", "shared_data", "e_licence")

#: Level of a bundle whose items can all be handled at a village service point.
VILLAGE = "村可代办"
TOWNSHIP = "乡镇可办"

# Form merge rule. A form stands for the paper the applicant brings: 原件 = the original
# (shown, usually handed back), 复印件 = a copy (kept), 原件和复印件 = both, 电子证照 = no
# paper (the e-licence is shown or pulled). A bundle's merged form is the union of what its
# items ask for, so the applicant brings everything any item needs:
#   原件 + 复印件 -> 原件和复印件;  X + 电子证照 -> X;  电子证照 only when every item says so.
# Hence the order 原件和复印件 > 原件, 复印件 > 电子证照, with 原件 and 复印件 joining upward.
_PAPER = {
    "原件": frozenset({"原件"}),
    "复印件": frozenset({"复印件"}),
    "原件和复印件": frozenset({"原件", "复印件"}),
    "电子证照": frozenset(),
}
_FORM_OF_PAPER = {paper: form for form, paper in _PAPER.items()}

_TOP_KEYS = ("sample", "notice", "version", "materials", "items", "window_categories", "bundles")
_MATERIAL_KEYS = ("name", "name_en")
_ITEM_KEYS = (
    "code",
    "name",
    "name_en",
    "department",
    "category",
    "level",
    "frequency",
    "conditions",
    "materials",
    "legal_days",
    "promised_days",
    "fees",
    "window_category",
)
_ITEM_MATERIAL_KEYS = ("material", "form", "count", "required", "rongque", "mian_tijiao", "note")
_FEES_KEYS = ("amount_yuan", "basis")
_BUNDLE_KEYS = ("code", "name", "name_en", "category", "life_event", "items", "promised_days")
_SAMPLE_PREFIX = "SMP-"


@dataclass(frozen=True)
class Material:
    """An entry of the shared material dictionary (e.g. M001 居民身份证)."""

    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class ItemMaterial:
    """One line of an item's material list.

    ``rongque``: 容缺 allowed (the case may be accepted without it, to be supplied later).
    ``mian_tijiao``: may be waived (免提交) because the clerk can get it from shared data
    (``shared_data``) or an e-licence (``e_licence``); ``none`` otherwise.
    """

    material: Material
    form: str
    count: int
    required: bool
    rongque: bool
    mian_tijiao: str
    note: str


@dataclass(frozen=True)
class Fees:
    amount_yuan: float
    basis: str


@dataclass(frozen=True)
class Item:
    """A service item (事项). Days are working days; 0 and 0 means 即办 (on the spot)."""

    code: str
    name: str
    name_en: str
    department: str
    category: str
    level: str
    frequency: str
    conditions: tuple[str, ...]
    materials: tuple[ItemMaterial, ...]
    legal_days: int
    promised_days: int
    fees: Fees
    window_category: str


@dataclass(frozen=True)
class Bundle:
    """A bundle (一件事): several items handled together for one life event."""

    code: str
    name: str
    name_en: str
    category: str
    life_event: str
    item_codes: tuple[str, ...]
    promised_days: int


@dataclass(frozen=True)
class Catalogue:
    version: str
    sample: bool
    notice: str
    materials: dict[str, Material]
    items: dict[str, Item]
    bundles: dict[str, Bundle]
    window_categories: dict[str, str]

    def _bundle(self, code: str) -> Bundle:
        try:
            return self.bundles[code]
        except KeyError:
            raise KeyError(f"no bundle {code!r} in catalogue {self.version}") from None

    def bundle_items(self, code: str) -> tuple[Item, ...]:
        return tuple(self.items[c] for c in self._bundle(code).item_codes)

    def bundle_materials(self, code: str) -> tuple[ItemMaterial, ...]:
        """The merged checklist of a bundle, one entry per material, in first-appearance order.

        required if any item requires it; count is the largest; 容缺 only if every item that
        lists it allows 容缺; 免提交 kept only if every item that lists it gives the same
        way, else "none"; form is the union of the paper asked for (see ``_PAPER``); notes
        are joined with "；" without repeats.
        """
        return merge_materials(self.bundle_items(code))

    def items_materials(self, codes: tuple[str, ...] | list[str]) -> tuple[ItemMaterial, ...]:
        """The merged checklist of several items chosen together (一窗受理 of more than one
        item without a bundle), by the same rule as ``bundle_materials``."""
        items = []
        for code in codes:
            try:
                items.append(self.items[code])
            except KeyError:
                raise KeyError(f"no item {code!r} in catalogue {self.version}") from None
        return merge_materials(items)

    def bundle_level(self, code: str) -> str:
        """村可代办 only if every item of the bundle is 村可代办, else 乡镇可办."""
        items = self.bundle_items(code)
        return VILLAGE if all(item.level == VILLAGE for item in items) else TOWNSHIP

    def listing(self) -> dict[str, Any]:
        """JSON-ready summary: the contract of ``bianmin catalogue list --json``."""
        return {
            "version": self.version,
            "sample": self.sample,
            "notice": self.notice,
            "items": [
                {
                    "code": item.code,
                    "name": item.name,
                    "name_en": item.name_en,
                    "category": item.category,
                    "level": item.level,
                    "department": item.department,
                    "frequency": item.frequency,
                    "legal_days": item.legal_days,
                    "promised_days": item.promised_days,
                    "window_category": item.window_category,
                    "materials": [_listing_line(line) for line in item.materials],
                }
                for item in self.items.values()
            ],
            "bundles": [
                {
                    "code": bundle.code,
                    "name": bundle.name,
                    "name_en": bundle.name_en,
                    "category": bundle.category,
                    "life_event": bundle.life_event,
                    "level": self.bundle_level(bundle.code),
                    "item_codes": list(bundle.item_codes),
                    "promised_days": bundle.promised_days,
                    "materials": [_listing_line(m) for m in self.bundle_materials(bundle.code)],
                }
                for bundle in self.bundles.values()
            ],
        }

    def to_data(self) -> dict[str, Any]:
        """The catalogue as file data: ``parse_catalogue(c.to_data()) == c``."""
        return {
            "sample": self.sample,
            "notice": self.notice,
            "version": self.version,
            "materials": {
                m.code: {"name": m.name, "name_en": m.name_en} for m in self.materials.values()
            },
            "items": [_item_data(item) for item in self.items.values()],
            "window_categories": dict(self.window_categories),
            "bundles": [
                {
                    "code": b.code,
                    "name": b.name,
                    "name_en": b.name_en,
                    "category": b.category,
                    "life_event": b.life_event,
                    "items": list(b.item_codes),
                    "promised_days": b.promised_days,
                }
                for b in self.bundles.values()
            ],
        }


def merge_forms(forms: list[str] | tuple[str, ...]) -> str:
    """The form that satisfies all of ``forms`` (see the rule at ``_PAPER``)."""
    paper: frozenset[str] = frozenset()
    for form in forms:
        paper |= _PAPER[form]
    return _FORM_OF_PAPER[paper]


def merge_materials(items: tuple[Item, ...] | list[Item]) -> tuple[ItemMaterial, ...]:
    """One line per material over ``items``, in first-appearance order, merged by the rule
    of ``Catalogue.bundle_materials`` (shared so that a bundle and a free choice of the same
    items give the applicant the same checklist)."""
    lines: dict[str, list[ItemMaterial]] = {}
    for item in items:
        for line in item.materials:
            lines.setdefault(line.material.code, []).append(line)
    return tuple(_merge(group) for group in lines.values())


def _merge(group: list[ItemMaterial]) -> ItemMaterial:
    ways = {line.mian_tijiao for line in group}
    notes: list[str] = []
    for line in group:
        if line.note and line.note not in notes:
            notes.append(line.note)
    return ItemMaterial(
        material=group[0].material,
        form=merge_forms([line.form for line in group]),
        count=max(line.count for line in group),
        required=any(line.required for line in group),
        rongque=all(line.rongque for line in group),
        mian_tijiao=ways.pop() if len(ways) == 1 else "none",
        note="；".join(notes),
    )


def _listing_line(line: ItemMaterial) -> dict[str, Any]:
    return {
        "code": line.material.code,
        "name": line.material.name,
        "form": line.form,
        "count": line.count,
        "required": line.required,
        "rongque": line.rongque,
        "mian_tijiao": line.mian_tijiao,
    }


def _item_data(item: Item) -> dict[str, Any]:
    amount = item.fees.amount_yuan
    return {
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "department": item.department,
        "category": item.category,
        "level": item.level,
        "frequency": item.frequency,
        "conditions": list(item.conditions),
        "materials": [
            {
                "material": line.material.code,
                "form": line.form,
                "count": line.count,
                "required": line.required,
                "rongque": line.rongque,
                "mian_tijiao": line.mian_tijiao,
                "note": line.note,
            }
            for line in item.materials
        ],
        "legal_days": item.legal_days,
        "promised_days": item.promised_days,
        "fees": {
            "amount_yuan": int(amount) if float(amount).is_integer() else amount,
            "basis": item.fees.basis,
        },
        "window_category": item.window_category,
    }


class CatalogueError(ValueError):
    """The catalogue data has problems; ``problems`` lists them all, each naming its place."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)


# --- parsing -------------------------------------------------------------------------------


class _Bad:
    """Marks a value that failed its check (the problem is already recorded)."""

    def __repr__(self) -> str:
        return "<bad>"


_BAD: Any = _Bad()


def _show(value: object) -> str:
    """A value as the clerk wrote it in the JSON file."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict):
        return "an object {...}"
    if isinstance(value, list):
        return "a list [...]"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _label(where: str, entry: object) -> str:
    """``items[3]`` plus the entry's code when it has a usable one: ``items[3] (SMP-X-004)``."""
    code = entry.get("code") if isinstance(entry, dict) else None
    if isinstance(code, str) and code.strip():
        return f"{where} ({code})"
    return where


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where or 'catalogue'}: {message}")

    def obj(self, value: object, where: str, keys: tuple[str, ...]) -> dict[str, Any] | None:
        """Check that ``value`` is an object with exactly ``keys``; None if not an object."""
        if not isinstance(value, dict):
            self.add(where, f"must be an object {{...}}, got {_show(value)}")
            return None
        for key in keys:
            if key not in value:
                self.add(where, f"missing key {key!r}")
        for key in value:
            if key not in keys:
                near = difflib.get_close_matches(str(key), keys, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                self.add(where, f"unknown key {key!r}{hint}; allowed keys: {', '.join(keys)}")
        return value

    def listing(self, d: dict[str, Any], key: str, where: str) -> list[Any] | Any:
        if key not in d:
            return _BAD
        value = d[key]
        if not isinstance(value, list):
            self.add(_at(where, key), f"must be a list [...], got {_show(value)}")
            return _BAD
        return value

    def text(self, d: dict[str, Any], key: str, where: str, *, blank_ok: bool = False) -> Any:
        if key not in d:
            return _BAD
        value = d[key]
        if not isinstance(value, str):
            self.add(_at(where, key), f"must be text in quotes, got {_show(value)}")
            return _BAD
        if not blank_ok and not value.strip():
            self.add(_at(where, key), "must not be empty")
            return _BAD
        return value

    def code(self, d: dict[str, Any], key: str, where: str, sample: Any) -> Any:
        value = self.text(d, key, where)
        if value is _BAD:
            return _BAD
        if value != value.strip() or any(ch.isspace() for ch in value):
            self.add(_at(where, key), f"{_show(value)} must not contain spaces")
            return _BAD
        if sample is True and not value.startswith(_SAMPLE_PREFIX):
            self.add(
                _at(where, key),
                f"{_show(value)} must start with {_SAMPLE_PREFIX!r}: this is a sample "
                "catalogue, and sample codes must not look like real 事项编码",
            )
            return _BAD
        return value

    def whole(self, d: dict[str, Any], key: str, where: str, *, minimum: int) -> Any:
        if key not in d:
            return _BAD
        value = d[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(_at(where, key), f"must be a whole number, got {_show(value)}")
            return _BAD
        if value < minimum:
            self.add(_at(where, key), f"must be {minimum} or more, got {value}")
            return _BAD
        return value

    def flag(self, d: dict[str, Any], key: str, where: str) -> Any:
        if key not in d:
            return _BAD
        value = d[key]
        if not isinstance(value, bool):
            self.add(_at(where, key), f"must be true or false, got {_show(value)}")
            return _BAD
        return value

    def choice(self, d: dict[str, Any], key: str, where: str, options: tuple[str, ...]) -> Any:
        if key not in d:
            return _BAD
        value = d[key]
        if not isinstance(value, str) or value not in options:
            self.add(_at(where, key), f"{_show(value)} is not one of {', '.join(options)}")
            return _BAD
        return value

    def amount(self, d: dict[str, Any], key: str, where: str) -> Any:
        if key not in d:
            return _BAD
        value = d[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(_at(where, key), f"must be a number of yuan, got {_show(value)}")
            return _BAD
        if value != value or value in (float("inf"), float("-inf")):
            self.add(_at(where, key), f"must be a finite number of yuan, got {_show(value)}")
            return _BAD
        if value < 0:
            self.add(_at(where, key), f"must be 0 or more, got {_show(value)}")
            return _BAD
        return float(value)


def _ok(*values: Any) -> bool:
    return all(value is not _BAD for value in values)


def parse_catalogue(data: dict[str, Any]) -> Catalogue:
    """Check catalogue data (decoded JSON) and build the ``Catalogue``.

    Every problem is collected first; if there is any, ``CatalogueError`` lists them all.
    """
    ck = _Checker()
    top = ck.obj(data, "", _TOP_KEYS)
    if top is None:
        raise CatalogueError(ck.problems)

    sample = ck.flag(top, "sample", "")
    notice = ck.text(top, "notice", "", blank_ok=True)
    if sample is True and isinstance(notice, str) and not notice.strip():
        ck.add("notice", "must say that this is sample data, because sample is true")
    version = ck.text(top, "version", "")

    materials, material_codes = _parse_materials(ck, top)
    windows = _parse_windows(ck, top)
    items, item_codes = _parse_items(ck, top, sample, materials, material_codes, windows)
    bundles = _parse_bundles(ck, top, sample, item_codes)

    if ck.problems:
        raise CatalogueError(ck.problems)
    return Catalogue(
        version=version,
        sample=sample,
        notice=notice,
        materials=materials,
        items=items,
        bundles=bundles,
        window_categories=windows or {},
    )


def _parse_materials(
    ck: _Checker, top: dict[str, Any]
) -> tuple[dict[str, Material], set[str] | None]:
    """Valid materials by code, and every code written (for references to check against).

    The codes are None when the section itself is unusable: references are then not checked,
    so that one broken section does not bury the clerk in follow-on problems.
    """
    out: dict[str, Material] = {}
    if "materials" not in top:
        return out, None
    raw = top["materials"]
    if not isinstance(raw, dict):
        ck.add("materials", f'must be an object {{"M001": {{...}}, ...}}, got {_show(raw)}')
        return out, None
    by_name: dict[str, str] = {}
    for code, entry in raw.items():
        where = f"materials.{code}"
        if not str(code).strip() or any(ch.isspace() for ch in str(code)):
            ck.add("materials", f"material code {_show(code)} must be non-empty, without spaces")
            continue
        if ck.obj(entry, where, _MATERIAL_KEYS) is None:
            continue
        name = ck.text(entry, "name", where)
        name_en = ck.text(entry, "name_en", where, blank_ok=True)
        if name is not _BAD:
            if name in by_name:
                ck.add(_at(where, "name"), f"{_show(name)} is already used by {by_name[name]}")
            else:
                by_name[name] = code
        if _ok(name, name_en):
            out[code] = Material(code=code, name=name, name_en=name_en)
    return out, {str(code) for code in raw}


def _parse_windows(ck: _Checker, top: dict[str, Any]) -> dict[str, str] | None:
    """Window categories; None when the section itself is unusable (then not checked against)."""
    if "window_categories" not in top:
        return None
    raw = top["window_categories"]
    if not isinstance(raw, dict):
        ck.add("window_categories", f'must be an object {{"A": ...}}, got {_show(raw)}')
        return None
    if not raw:
        ck.add("window_categories", "must list at least one window category")
    out: dict[str, str] = {}
    for key, name in raw.items():
        where = f"window_categories.{key}"
        if not (isinstance(key, str) and len(key) == 1 and "A" <= key <= "Z"):
            ck.add(
                where,
                f"key {_show(key)} must be a single capital letter A-Z "
                "(it is the ticket prefix, as in A001)",
            )
        if not isinstance(name, str):
            ck.add(where, f"must be text in quotes, got {_show(name)}")
        elif not name.strip():
            ck.add(where, "must not be empty")
        out[key] = name
    return out


def _parse_items(
    ck: _Checker,
    top: dict[str, Any],
    sample: Any,
    materials: dict[str, Material],
    material_codes: set[str] | None,
    windows: dict[str, str] | None,
) -> tuple[dict[str, Item], set[str] | None]:
    """Valid items by code, and every item code written (None if the section is unusable)."""
    out: dict[str, Item] = {}
    seen: dict[str, str] = {}
    raw = ck.listing(top, "items", "")
    if raw is _BAD:
        return out, None
    if not raw:
        ck.add("items", "must list at least one item")
    for i, entry in enumerate(raw):
        where = _label(f"items[{i}]", entry)
        before = len(ck.problems)
        if ck.obj(entry, where, _ITEM_KEYS) is None:
            continue
        code = ck.code(entry, "code", where, sample)
        _claim_code(ck, entry, where, seen, f"items[{i}]")
        name = ck.text(entry, "name", where)
        name_en = ck.text(entry, "name_en", where, blank_ok=True)
        department = ck.text(entry, "department", where)
        category = ck.choice(entry, "category", where, CATEGORIES)
        level = ck.choice(entry, "level", where, LEVELS)
        frequency = ck.choice(entry, "frequency", where, FREQUENCIES)
        conditions = _parse_conditions(ck, entry, where)
        lines = _parse_item_materials(ck, entry, where, materials, material_codes)
        legal = ck.whole(entry, "legal_days", where, minimum=0)
        promised = ck.whole(entry, "promised_days", where, minimum=0)
        if _ok(legal, promised) and promised > legal:
            ck.add(
                _at(where, "promised_days"),
                f"{promised} is more than legal_days {legal}; "
                "the promised time limit may not exceed the legal one",
            )
        fees = _parse_fees(ck, entry, where)
        window = ck.text(entry, "window_category", where)
        if window is not _BAD and windows is not None and window not in windows:
            known = ", ".join(windows) or "none"
            ck.add(
                _at(where, "window_category"),
                f"{_show(window)} is not one of {known} (see window_categories)",
            )
        if len(ck.problems) == before:
            out[code] = Item(
                code=code,
                name=name,
                name_en=name_en,
                department=department,
                category=category,
                level=level,
                frequency=frequency,
                conditions=conditions,
                materials=lines,
                legal_days=legal,
                promised_days=promised,
                fees=fees,
                window_category=window,
            )
    return out, set(seen)


def _parse_conditions(ck: _Checker, entry: dict[str, Any], where: str) -> Any:
    raw = ck.listing(entry, "conditions", where)
    if raw is _BAD:
        return _BAD
    here = _at(where, "conditions")
    if not raw:
        ck.add(here, "must list at least one condition")
        return _BAD
    out = []
    for j, condition in enumerate(raw):
        if not isinstance(condition, str):
            ck.add(_at(here, j), f"must be text in quotes, got {_show(condition)}")
        elif not condition.strip():
            ck.add(_at(here, j), "must not be empty")
        else:
            out.append(condition)
    return tuple(out) if len(out) == len(raw) else _BAD


def _parse_item_materials(
    ck: _Checker,
    entry: dict[str, Any],
    where: str,
    materials: dict[str, Material],
    material_codes: set[str] | None,
) -> Any:
    raw = ck.listing(entry, "materials", where)
    if raw is _BAD:
        return _BAD
    here = _at(where, "materials")
    out: list[ItemMaterial] = []
    listed: dict[str, int] = {}
    for j, line in enumerate(raw):
        at = _at(here, j)
        before = len(ck.problems)
        if ck.obj(line, at, _ITEM_MATERIAL_KEYS) is None:
            continue
        code = ck.text(line, "material", at)
        if code is not _BAD:
            if material_codes is not None and code not in material_codes:
                ck.add(_at(at, "material"), f"{_show(code)} is not in the materials dictionary")
            elif code in listed:
                ck.add(
                    _at(at, "material"),
                    f"{_show(code)} is already listed at materials[{listed[code]}]",
                )
            else:
                listed[code] = j
        form = ck.choice(line, "form", at, FORMS)
        count = ck.whole(line, "count", at, minimum=1)
        required = ck.flag(line, "required", at)
        rongque = ck.flag(line, "rongque", at)
        mian_tijiao = ck.choice(line, "mian_tijiao", at, MIAN_TIJIAO)
        note = ck.text(line, "note", at, blank_ok=True)
        if len(ck.problems) == before and code in materials:
            out.append(
                ItemMaterial(
                    material=materials[code],
                    form=form,
                    count=count,
                    required=required,
                    rongque=rongque,
                    mian_tijiao=mian_tijiao,
                    note=note,
                )
            )
    return tuple(out) if len(out) == len(raw) else _BAD


def _parse_fees(ck: _Checker, entry: dict[str, Any], where: str) -> Any:
    if "fees" not in entry:
        return _BAD
    here = _at(where, "fees")
    if ck.obj(entry["fees"], here, _FEES_KEYS) is None:
        return _BAD
    amount = ck.amount(entry["fees"], "amount_yuan", here)
    basis = ck.text(entry["fees"], "basis", here)
    return Fees(amount_yuan=amount, basis=basis) if _ok(amount, basis) else _BAD


def _claim_code(
    ck: _Checker,
    entry: dict[str, Any],
    where: str,
    seen: dict[str, str],
    label: str,
    item_codes: set[str] | None = None,
) -> None:
    """Record ``entry``'s code as used by ``label``; a code used before is a problem, and
    so is a bundle code equal to an item code."""
    written = entry.get("code")
    if not (isinstance(written, str) and written.strip()):
        return  # ck.code has reported it
    if written in seen:
        ck.add(_at(where, "code"), f"{_show(written)} is already used by {seen[written]}")
    elif item_codes is not None and written in item_codes:
        ck.add(_at(where, "code"),
               f"{_show(written)} is already used by an item; bundle and item codes must differ")
    else:
        seen[written] = label


def _parse_bundles(
    ck: _Checker, top: dict[str, Any], sample: Any, item_codes: set[str] | None
) -> dict[str, Bundle]:
    out: dict[str, Bundle] = {}
    seen: dict[str, str] = {}
    raw = ck.listing(top, "bundles", "")
    if raw is _BAD:
        return out
    for i, entry in enumerate(raw):
        where = _label(f"bundles[{i}]", entry)
        before = len(ck.problems)
        if ck.obj(entry, where, _BUNDLE_KEYS) is None:
            continue
        code = ck.code(entry, "code", where, sample)
        _claim_code(ck, entry, where, seen, f"bundles[{i}]", item_codes)
        name = ck.text(entry, "name", where)
        name_en = ck.text(entry, "name_en", where, blank_ok=True)
        category = ck.text(entry, "category", where)
        life_event = ck.text(entry, "life_event", where)
        members = _parse_bundle_items(ck, entry, where, item_codes)
        promised = ck.whole(entry, "promised_days", where, minimum=0)
        if len(ck.problems) == before:
            out[code] = Bundle(
                code=code,
                name=name,
                name_en=name_en,
                category=category,
                life_event=life_event,
                item_codes=members,
                promised_days=promised,
            )
    return out


def _parse_bundle_items(
    ck: _Checker, entry: dict[str, Any], where: str, item_codes: set[str] | None
) -> Any:
    raw = ck.listing(entry, "items", where)
    if raw is _BAD:
        return _BAD
    here = _at(where, "items")
    if len(raw) < 2:
        ck.add(here, f"a bundle must list at least 2 items, got {len(raw)}")
    out: list[str] = []
    for j, code in enumerate(raw):
        if not isinstance(code, str):
            ck.add(_at(here, j), f"must be an item code in quotes, got {_show(code)}")
        elif item_codes is not None and code not in item_codes:
            ck.add(_at(here, j), f"{_show(code)} is not the code of any item in this catalogue")
        elif code in out:
            ck.add(_at(here, j), f"{_show(code)} is listed twice")
        else:
            out.append(code)
    return tuple(out)
