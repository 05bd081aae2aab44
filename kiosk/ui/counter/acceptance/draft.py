"""The case being built at the counter: who applies (and who for), the items or the bundle
(一件事), the merged checklist the station previewed, each material's state with its pages in
order, and the ``POST /v1/cases`` body they make (/tmp/api_contract.md, "Accept a case").

Personal data lives here only, in memory, for as long as the case is on the screen:
:meth:`Draft.clear` drops the names, the numbers and the pages. ``repr`` masks them, so a
draft in a log line or a traceback gives nothing away.

The states follow :mod:`kiosk.domain.cases`: captured (pages), 免提交 (``waived``, only the
way the line's ``mian_tijiao`` names, an e-licence with its code), 容缺 (``deferred``, only
where the line allows it, with the signed 告知承诺书 and a due date) and missing. Which
material allows what is the catalogue's to say, never the clerk's: the choices offered come
from the previewed checklist line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.domain.cases import RELATIONSHIPS, Agent, Applicant, check_parties
from kiosk.domain.masking import mask_id_number, mask_name

CAPTURE, WAIVE, DEFER = "capture", "waive", "defer"
"""What the clerk chose for a material: capture it (missing until a page is taken), waive
it (免提交) or defer it (容缺)."""
CHOICES = (CAPTURE, WAIVE, DEFER)


@dataclass(repr=False)
class Person:
    """The applicant (申请人) or the agent (代办人, with ``relationship``, a key of
    :data:`kiosk.domain.cases.RELATIONSHIPS`)."""

    name: str = ""
    id_number: str = ""
    phone: str = ""
    from_card: bool = False
    relationship: str = ""

    def __repr__(self) -> str:
        return f"Person(from_card={self.from_card}, name=*, id_number=*)"

    def is_empty(self) -> bool:
        return not (self.name.strip() or self.id_number.strip())

    def masked(self) -> tuple[str, str]:
        return mask_name(self.name), mask_id_number(self.id_number)

    def record(self, *, agent: bool = False) -> dict[str, Any]:
        """The body's ``applicant`` or ``agent`` object."""
        out: dict[str, Any] = {"name": self.name.strip(),
                               "id_number": self.id_number.strip().upper(),
                               "from_card": self.from_card}
        if agent:
            out["relationship"] = self.relationship
        if self.phone.strip():
            out["phone"] = self.phone.strip()
        return out

    def clear(self) -> None:
        self.name = self.id_number = self.phone = self.relationship = ""
        self.from_card = False


@dataclass(eq=False)
class PageDraft:
    """One captured page: the upload copy (JPEG), the strip's thumbnail (PNG) and the
    content hash the page travels under (``PUT /v1/uploads/{sha256}``)."""

    upload: bytes = field(repr=False)
    thumbnail: bytes = field(repr=False)
    media_type: str = "image/jpeg"
    width: int = 0
    height: int = 0
    size_name: str = ""
    codes: tuple[str, ...] = field(default=(), repr=False)
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.upload).hexdigest()


@dataclass
class MaterialDraft:
    """One checklist line (as the station previewed it) and what the clerk did about it."""

    code: str
    name: str = ""
    name_en: str = ""
    form: str = ""
    count: int = 1
    required: bool = False
    rongque: bool = False
    mian_tijiao: str = "none"
    note: str = ""
    pages: list[PageDraft] = field(default_factory=list, repr=False)
    choice: str = CAPTURE
    licence_code: str = field(default="", repr=False)
    due: dt.date | None = None
    commitment_signed: bool = False
    commitment_printed: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(kind, message) of the station's problems with this line, from the last preview or
    refusal."""

    @classmethod
    def from_line(cls, line: Mapping[str, Any]) -> MaterialDraft:
        made = cls(code=str(line["code"]))
        made.update_line(line)
        return made

    def update_line(self, line: Mapping[str, Any]) -> None:
        """Take the line's facts from a preview; a choice the line no longer allows (the
        items changed) falls back to capture."""
        self.name = str(line.get("name", self.name))
        self.name_en = str(line.get("name_en") or "")
        self.form = str(line.get("form") or "")
        self.count = int(line.get("count") or 1)
        self.required = bool(line.get("required"))
        self.rongque = bool(line.get("rongque"))
        self.mian_tijiao = str(line.get("mian_tijiao") or "none")
        self.note = str(line.get("note") or "")
        if (self.choice == WAIVE and not self.may_waive) or \
                (self.choice == DEFER and not self.may_defer):
            self.choice = CAPTURE

    @property
    def may_waive(self) -> bool:
        return self.mian_tijiao in ("shared_data", "e_licence")

    @property
    def may_defer(self) -> bool:
        return self.rongque

    @property
    def needs_licence_code(self) -> bool:
        return self.choice == WAIVE and self.mian_tijiao == "e_licence"

    @property
    def state(self) -> str:
        """captured, waived, deferred or missing: what the body will say."""
        if self.choice == WAIVE:
            return "waived"
        if self.choice == DEFER:
            return "deferred"
        return "captured" if self.pages else "missing"

    def choose(self, choice: str, *, default_due: dt.date | None = None) -> None:
        """Capture, waive or defer; only what the line allows. Deferring without a due date
        takes ``default_due`` (the latest the station allows, ``rongque_latest``).

        :raises ValueError: the line does not allow it (the screen offers only what it does).
        """
        if choice not in CHOICES:
            raise ValueError(f"unknown choice {choice!r}")
        if choice == WAIVE and not self.may_waive:
            raise ValueError(f"{self.code} cannot be waived")
        if choice == DEFER and not self.may_defer:
            raise ValueError(f"{self.code} cannot be deferred")
        self.choice = choice
        if choice == DEFER and self.due is None:
            self.due = default_due

    # --- the page strip ---------------------------------------------------------------------

    def add_page(self, page: PageDraft) -> int:
        """Append a page (a captured page means the clerk captures: the choice follows)."""
        self.pages.append(page)
        self.choice = CAPTURE
        return len(self.pages) - 1

    def delete_page(self, index: int) -> PageDraft:
        return self.pages.pop(index)

    def move_page(self, index: int, delta: int) -> int:
        """Move a page ``delta`` places (−1 left, +1 right), within the strip; its new
        index."""
        to = max(0, min(len(self.pages) - 1, index + delta))
        if to != index:
            self.pages.insert(to, self.pages.pop(index))
        return to

    def body(self) -> dict[str, Any]:
        """This material's entry of the body's ``materials``."""
        state = self.state
        if state == "captured":
            return {"code": self.code, "state": state, "pages": [p.sha256 for p in self.pages]}
        if state == "waived":
            out: dict[str, Any] = {"code": self.code, "state": state,
                                   "reason": self.mian_tijiao}
            if self.mian_tijiao == "e_licence":
                out["licence_code"] = self.licence_code.strip()
            return out
        if state == "deferred":
            return {"code": self.code, "state": state,
                    "due": self.due.isoformat() if self.due else None,
                    "commitment_signed": self.commitment_signed}
        return {"code": self.code, "state": "missing"}


class Draft:
    """The case on the screen (module docstring)."""

    def __init__(self, window: str | None = None, mode: str = "counter") -> None:
        self.window = window
        self.mode = mode
        self.applicant = Person()
        self.agent: Person | None = None
        self.ticket_id: str | None = None
        self.ticket_number: str = ""
        self.item_codes: list[str] = []
        self.bundle_code: str | None = None
        self.order: list[str] = []
        """The checklist's material codes, in the station's order."""
        self._materials: dict[str, MaterialDraft] = {}
        self.preview: dict[str, Any] | None = None
        self.general_problems: list[str] = []
        """Problems naming no material (the applicant, the items)."""
        self._key = ""
        self._key_print = ""

    def __repr__(self) -> str:
        return (f"Draft(items={self.item_codes}, bundle={self.bundle_code}, "
                f"materials={len(self.order)})")

    # --- what is applied for ------------------------------------------------------------------

    def choose_bundle(self, code: str) -> None:
        """A bundle (一件事) replaces whatever was chosen: a case is one bundle or items."""
        self.bundle_code, self.item_codes = code, []

    def add_item(self, code: str) -> None:
        """One more item; a chosen bundle gives way (items and a bundle do not mix)."""
        self.bundle_code = None
        if code not in self.item_codes:
            self.item_codes.append(code)

    def remove(self, code: str) -> None:
        if code == self.bundle_code:
            self.bundle_code = None
        elif code in self.item_codes:
            self.item_codes.remove(code)

    @property
    def chosen(self) -> bool:
        return bool(self.bundle_code or self.item_codes)

    def set_agent(self, on: bool) -> None:
        if on and self.agent is None:
            self.agent = Person()
        elif not on and self.agent is not None:
            self.agent.clear()
            self.agent = None

    # --- the checklist ----------------------------------------------------------------------------

    def apply_preview(self, answer: Mapping[str, Any]) -> None:
        """The station's preview: the checklist (materials keep their pages and choices
        across changes of items, so a slip of the finger loses no capture), and its problems
        beside their materials."""
        self.preview = dict(answer)
        self.order = []
        for line in answer.get("checklist") or []:
            code = str(line["code"])
            if code in self._materials:
                self._materials[code].update_line(line)
            else:
                self._materials[code] = MaterialDraft.from_line(line)
            self.order.append(code)
        self.apply_problems(answer.get("problems") or [])

    def clear_checklist(self) -> None:
        self.preview = None
        self.order = []
        self.general_problems = []

    def apply_problems(self, problems: Sequence[Mapping[str, Any]]) -> None:
        for material in self._materials.values():
            material.problems = []
        self.general_problems = []
        for problem in problems:
            code = problem.get("material_code")
            message = str(problem.get("message", ""))
            if code and code in self._materials and code in self.order:
                self._materials[code].problems.append((str(problem.get("kind", "")), message))
            else:
                self.general_problems.append(message)

    def materials(self) -> list[MaterialDraft]:
        return [self._materials[code] for code in self.order]

    def material(self, code: str) -> MaterialDraft:
        return self._materials[code]

    @property
    def accepted_on(self) -> dt.date | None:
        return _date((self.preview or {}).get("accepted_on"))

    @property
    def rongque_latest(self) -> dt.date | None:
        return _date((self.preview or {}).get("rongque_latest"))

    # --- the request --------------------------------------------------------------------------

    def body(self, *, preview: bool = False) -> dict[str, Any]:
        """The ``POST /v1/cases`` body; with ``preview``, the preview's, whose applicant is
        null until the clerk has begun on it (an empty form is not yet a problem)."""
        for material in self.materials():
            if material.state == "deferred" and material.due is None:
                # the station names a wrong date as a problem; a missing one is malformed
                material.due = self.rongque_latest or self.accepted_on or dt.date.today()
        applicant = None if preview and self.applicant.is_empty() else self.applicant.record()
        out: dict[str, Any] = {
            "applicant": applicant,
            "agent": self.agent.record(agent=True) if self.agent is not None else None,
            "materials": [m.body() for m in self.materials()],
            "ticket_id": self.ticket_id,
            "window": self.window,
            "mode": self.mode,
            "accepted_at": None,
        }
        if self.bundle_code:
            out["bundle_code"] = self.bundle_code
        else:
            out["item_codes"] = list(self.item_codes)
        return out

    def pages(self) -> dict[str, PageDraft]:
        """The pages the body names, by hash, in checklist and strip order."""
        return {p.sha256: p for m in self.materials() if m.state == "captured"
                for p in m.pages}

    def accept_key(self, body: Mapping[str, Any]) -> str:
        """The ``Idempotency-Key`` for accepting ``body``: the same while the body is the
        same (a retry after a lost answer or a ``missing_uploads`` cannot make a second
        case), a new one once anything changed (the station refuses a key reused for
        another request)."""
        printed = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False)
                                 .encode()).hexdigest()
        if printed != self._key_print:
            self._key, self._key_print = uuid.uuid4().hex, printed
        return self._key

    def party_problems(self, id_check: Callable[[str], bool] | None) -> list[str]:
        """What is wrong with the applicant and the agent before anything is sent (the
        station checks again): names, GB 11643 check digits, the relationship."""
        applicant = Applicant(self.applicant.name, self.applicant.id_number.strip().upper())
        agent = None
        if self.agent is not None:
            agent = Agent(self.agent.name, self.agent.id_number.strip().upper(),
                          self.agent.relationship)
        return [p.message for p in check_parties(applicant, agent, id_check=id_check)]

    def clear(self) -> None:
        """Forget everything: the people, the choice, the pages (the case is done or
        cancelled)."""
        self.applicant.clear()
        self.set_agent(False)
        self.ticket_id, self.ticket_number = None, ""
        self.item_codes, self.bundle_code = [], None
        for material in self._materials.values():
            material.pages.clear()
            material.licence_code = ""
        self._materials = {}
        self.clear_checklist()
        self._key = self._key_print = ""


def relationship_names() -> list[tuple[str, str]]:
    """(code, words) of :data:`~kiosk.domain.cases.RELATIONSHIPS`, for the agent's list."""
    return list(RELATIONSHIPS.items())


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None

