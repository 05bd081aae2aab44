"""The station's LAN API: HTTP for the screens' requests, a WebSocket for what happens.

The contract is the OpenAPI document this app serves at ``/openapi.json`` and that is
committed as ``docs/api/station.openapi.json`` (a test keeps them equal); the event stream is
described in docs/api/events.md. Rules every route keeps:

- a bearer token (``bianmin station pair``) whose role allows the operation (``auth.py``);
- an ``Idempotency-Key`` header on every POST: a retry returns the first answer;
- a refusal is a 4xx with ``{"error": {"code", "message"}}`` in plain words (中文 / English);
  a malformed request never becomes a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import (
    Depends,
    FastAPI,
    Header,
    Path,
    Query,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk import __version__
from kiosk.domain.clerks import ID_PATTERN, SECRET_MAX, SecretRefused, check_secret
from offline_store import clerks as clerk_store
from offline_store import station_access
from offline_store.errors import StoreError

from . import auth
from .citizen import CitizenDesk, HelpDesk
from .clerks import ClerkDesk
from .engine import Answer, QueueEngine, Refused, fingerprint
from .runtime import Station
from .uploads import MAX_BYTES, SHA256_PATTERN, UploadRefused, media_type_of

log = logging.getLogger(__name__)
PING_S = 10.0

# --- request and answer shapes (they make the OpenAPI document) --------------------------------

# strict: "yes" is not true and "3" is not 3 (a screen that sends the wrong type has a bug
# that should show, not be guessed around)
_STRICT = ConfigDict(extra="forbid", strict=True)
WindowNumber = Annotated[str, Field(pattern=r"^[0-9]{1,3}$", examples=["3"])]
TicketNumber = Annotated[str, Field(pattern=r"^[A-Za-z][0-9]{3,5}$", examples=["A007"])]


class IdCard(BaseModel):
    model_config = _STRICT
    id_number: str = Field(pattern=r"^[0-9]{17}[0-9Xx]$", description="居民身份证号码")
    name: str = Field(default="", max_length=60)
    birth_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class Appointment(BaseModel):
    """The booked slot of a citizen checking in (ISO 8601 with a UTC offset)."""

    model_config = _STRICT
    start: str = Field(examples=["2026-11-24T10:00:00+08:00"])
    end: str = Field(examples=["2026-11-24T10:30:00+08:00"])

    def slot(self) -> tuple[dt.datetime, dt.datetime]:
        try:
            start, end = dt.datetime.fromisoformat(self.start), dt.datetime.fromisoformat(self.end)
        except ValueError:
            raise Refused(422, "invalid", "预约时间不是 ISO 8601 时间 / the appointment's start "
                                          "and end must be ISO 8601 times") from None
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise Refused(422, "invalid", "预约时段要带时区，且结束晚于开始 / the appointment "
                                          "needs a UTC offset and an end after its start")
        return start, end


class IssueRequest(BaseModel):
    model_config = _STRICT
    category: str = Field(pattern=r"^[A-Z]$", examples=["A"])
    id_card: IdCard | None = None
    appointment: Appointment | None = None
    reasons: list[Literal["disabled", "pregnant"]] = Field(default_factory=list, max_length=2)
    confirm: bool = Field(default=False, description="Issue and confirm at once (no printer).")


class CallRequest(BaseModel):
    model_config = _STRICT
    number: TicketNumber | None = None


class TransferRequest(BaseModel):
    model_config = _STRICT
    category: str | None = Field(default=None, pattern=r"^[A-Z]$")
    window: WindowNumber | None = None


class ResumeRequest(BaseModel):
    model_config = _STRICT
    number: TicketNumber


class WindowStateRequest(BaseModel):
    model_config = _STRICT
    state: Literal["open", "paused", "closed"]
    clerk: str | None = Field(default=None, max_length=40)


class AnnounceRequest(BaseModel):
    model_config = _STRICT
    text: str = Field(min_length=1, max_length=200)


class PairRequest(BaseModel):
    model_config = _STRICT
    code: str = Field(pattern=r"^[0-9]{8}$")


ClerkId = Annotated[str, Field(pattern=ID_PATTERN, examples=["zhang01"],
                                description="工号 / the clerk's id")]
# SecretStr: the secret prints as ********** in a repr, a log line and the request's
# fingerprint (model_dump), so the kept answers never hold it, not even hashed
Secret = Annotated[SecretStr, Field(max_length=SECRET_MAX,
                                    description="PIN (6-12 digits) or password (10+ characters)")]


class ClerkAddRequest(BaseModel):
    model_config = _STRICT
    id: ClerkId
    name: str = Field(min_length=1, max_length=40)
    secret: Secret
    manager: bool = False


class ClerkSecretRequest(BaseModel):
    model_config = _STRICT
    secret: Secret


class LoginRequest(BaseModel):
    model_config = _STRICT
    clerk: ClerkId
    secret: Secret
    window: WindowNumber


class LogoutRequest(BaseModel):
    model_config = _STRICT
    window: WindowNumber


class ClerkOut(BaseModel):
    id: str
    name: str
    manager: bool


class ClerkListed(ClerkOut):
    failed_logins: int = Field(description="Wrong secrets since the last success.")
    locked_until: str | None
    created_at: str
    updated_at: str
    disabled_at: str | None


class ClerksOut(BaseModel):
    clerks: list[ClerkListed]


class LoginOut(BaseModel):
    clerk: str
    name: str
    window: str
    manager: bool


class RaterIn(BaseModel):
    """实名: the rater chose to say who they are (then 回访 is owed); sealed in the store."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=40)
    phone: str = Field(default="", pattern=r"^[0-9+\- ]{0,20}$")


class RatingRequest(BaseModel):
    model_config = _STRICT
    level: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    channel: Literal["terminal", "qr", "kiosk"] = "terminal"
    dimensions: dict[str, int] = Field(default_factory=dict, max_length=4,
                                       description="overall, efficiency, competence, attitude")
    reasons: list[str] = Field(default_factory=list, max_length=10,
                               description="差评 reason codes of the current set")
    text: str = Field(default="", max_length=500)
    rater: RaterIn | None = None
    case_id: str | None = Field(default=None, max_length=64)
    ticket_id: str | None = Field(default=None, max_length=64)
    window: WindowNumber | None = None


class RectificationOut(BaseModel):
    id: str
    stage: str
    deadline: str


class RatingOut(BaseModel):
    id: str
    level: int
    window: str | None
    clerk: str | None
    rectification: RectificationOut | None


class StepRequest(BaseModel):
    model_config = _STRICT
    note: str = Field(min_length=1, max_length=500)
    by: str = Field(min_length=1, max_length=40, description="who took the step")
    upheld: bool | None = Field(default=None, description="review_appeal only")


# --- cases (一窗受理, docs/cases.md) ------------------------------------------------------------

Sha256 = Annotated[str, Field(pattern=SHA256_PATTERN, description="SHA-256 of the page's bytes, "
                                                               "64 lower-case hex digits")]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._\-]+$",
                            examples=["SMP-YJS-001"])]
# a half-typed number is a problem for the preview to show, not a malformed request; the
# GB 11643 check digit is the desk's (422 invalid_party), letters are for foreigners' cards
IdNumber = Annotated[str, Field(max_length=18, pattern=r"^[0-9A-Za-z]*$",
                                description="公民身份号码 (GB 11643) or the card's number")]
Phone = Annotated[str, Field(pattern=r"^[0-9+\- ]{0,20}$")]


def _no_personal_data(value: str) -> str:
    """Refuse text that carries an ID number (GB 11643: 17 digits and a check character, or
    the old 15 digits) or a mobile number: the audit log and the 办不成事 list are read
    without the sealing that personal data needs."""
    if re.search(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)", value):
        raise ValueError("不得包含身份证号或手机号 / must not hold an ID number or a phone "
                         "number")
    return value


Plain = Annotated[str, AfterValidator(_no_personal_data)]


class PartyIn(BaseModel):
    model_config = _STRICT
    name: str = Field(max_length=60)
    id_number: IdNumber
    phone: Phone = ""
    from_card: bool = Field(default=False, description="Read from the card's chip (the reader "
                                                       "checked it) rather than typed.")


class AgentIn(PartyIn):
    """代办人: applies on the applicant's behalf."""

    relationship: str = Field(max_length=32, description="A code of kiosk.domain.cases."
                                                          "RELATIONSHIPS, e.g. parent")


class CapturedIn(BaseModel):
    model_config = _STRICT
    code: Code
    state: Literal["captured"]
    pages: list[Sha256] = Field(default_factory=list, max_length=200,
                                description="The pages, in order, uploaded first")
    page_count: int | None = Field(default=None, ge=0, le=200,
                                   description="Preview only: pages captured but not uploaded")


class WaivedIn(BaseModel):
    """免提交: from shared data, or the e-licence whose code was scanned."""

    model_config = _STRICT
    code: Code
    state: Literal["waived"]
    reason: Literal["shared_data", "e_licence"]
    licence_code: str | None = Field(default=None, max_length=128)


class DeferredIn(BaseModel):
    """容缺: to be brought by ``due``; the applicant signed the 告知承诺书."""

    model_config = _STRICT
    code: Code
    state: Literal["deferred"]
    due: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    commitment_signed: bool


class MissingIn(BaseModel):
    model_config = _STRICT
    code: Code
    state: Literal["missing"]


MaterialIn = Annotated[CapturedIn | WaivedIn | DeferredIn | MissingIn,
                       Field(discriminator="state")]


class CaseRequest(BaseModel):
    """A case to accept: items or a bundle (一件事), each material's state, who applies."""

    model_config = _STRICT
    applicant: PartyIn
    agent: AgentIn | None = None
    item_codes: list[Code] = Field(default_factory=list, max_length=20)
    bundle_code: Code | None = None
    materials: list[MaterialIn] = Field(default_factory=list, max_length=100)
    ticket_id: str | None = Field(default=None, max_length=64)
    window: WindowNumber | None = None
    mode: Literal["counter", "agent", "home_visit"] = "counter"
    accepted_at: str | None = Field(default=None, max_length=40,
                                    description="ISO 8601 with offset; home_visit and agent "
                                                "only (accepted offline, delivered later)")
    receipt_no: str | None = Field(
        default=None, max_length=64, pattern=r"^\S+-\d{8}-H\d{4,6}$",
        description="home_visit and agent only: the number the counter printed offline, "
                    "<site>-<yyyymmdd>-H<window><seq:03d> with this site's code; a number "
                    "already used is refused (409 duplicate_receipt)",
        examples=["DEMO-0001-20261124-H1001"])


class CaseStepRequest(BaseModel):
    """A step after acceptance: ``material`` for ``supply`` (补交: captured with its uploaded
    pages, or waived), ``note`` (why, for ``withdraw``), the ``window`` it happens at."""

    model_config = _STRICT
    material: CapturedIn | WaivedIn | None = Field(default=None, discriminator="state")
    note: str = Field(default="", max_length=500)
    window: WindowNumber | None = None


class CaseStepOut(BaseModel):
    id: str
    status: str
    step: dict[str, str]
    history: list[dict[str, str]]


class PreviewRequest(CaseRequest):
    applicant: PartyIn | None = None  # type: ignore[assignment]


class AuditRequest(BaseModel):
    """A view of personal data or a print at a screen, for the audit log: never the data."""

    model_config = _STRICT
    action: str = Field(max_length=64, pattern=r"^[a-z_]+(\.[a-z_]+)+$",
                        examples=["id_card.read", "case.printed"])
    subject: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:\-]{1,64}$",
                                  description="A case id, a ticket id or -"),
                       AfterValidator(_no_personal_data)]
    screen: str = Field(max_length=32, pattern=r"^[a-z_]+(\.[a-z_]+)*$",
                        examples=["counter.acceptance"])
    window: WindowNumber | None = None


class RequesterIn(BaseModel):
    """Who asked (sealed in the store); ``name`` may be a description ("一位老人")."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=40)
    id_number: IdNumber | None = None
    phone: Phone = ""


class UnresolvedRequest(BaseModel):
    model_config = _STRICT
    requester: RequesterIn
    what: Plain = Field(min_length=1, max_length=200, description="What the citizen wanted")
    why: Plain = Field(min_length=1, max_length=500, description="Why it could not be done")
    item_code: Code | None = None
    window: WindowNumber | None = None
    by: str | None = Field(default=None, max_length=40,
                           description="Who took it, when no clerk is signed in at the window")


class UnresolvedStepRequest(BaseModel):
    model_config = _STRICT
    note: Plain = Field(min_length=1, max_length=500)
    by: str = Field(min_length=1, max_length=40, description="who took the step")
    outcome: Literal["solved", "explained", "referred"] | None = Field(
        default=None, description="close only")


class CatalogueItemOut(BaseModel):
    code: str
    name: str
    name_en: str
    department: str
    category: str
    level: str
    promised_days: int


class CatalogueBundleOut(BaseModel):
    code: str
    name: str
    name_en: str
    level: str
    item_codes: list[str]
    promised_days: int


class CatalogueOut(BaseModel):
    version: str
    sample: bool = Field(description="Sample data: never an official catalogue")
    items: list[CatalogueItemOut]
    bundles: list[CatalogueBundleOut]
    source: dict[str, Any] | None = Field(
        default=None, description="With ?full=true: the catalogue as its file has it "
        "(kiosk.domain.catalogue.parse_catalogue reads it), for a counter working offline")


class UploadOut(BaseModel):
    sha256: str
    size: int


class ChecklistLineOut(BaseModel):
    code: str
    name: str
    name_en: str
    form: str
    count: int
    required: bool
    rongque: bool
    mian_tijiao: str
    note: str


class ProblemOut(BaseModel):
    kind: str
    message: str
    material_code: str | None


class NoticeOut(BaseModel):
    material_code: str
    name: str
    form: str
    count: int
    note: str
    due: str | None = Field(description="None: the case cannot be accepted without it")


class FeeOut(BaseModel):
    item_code: str
    item_name: str
    amount_yuan: float
    basis: str


class PreviewOut(BaseModel):
    ok: bool
    status: Literal["accepted", "accepted_rongque"] | None
    checklist: list[ChecklistLineOut]
    problems: list[ProblemOut]
    notice: list[NoticeOut]
    promised_days: int | None
    promised_date: str | None
    promised_estimated: bool
    fees: list[FeeOut]
    fee_total_yuan: float
    rongque_latest: str = Field(description="The latest due date a 容缺 material may get")
    accepted_on: str


class NamedOut(BaseModel):
    code: str
    name: str


class CaseMaterialOut(BaseModel):
    code: str
    name: str
    name_en: str
    state: Literal["captured", "waived", "deferred", "missing"]
    pages: int
    due: str | None
    reason: str | None


class MaskedOut(BaseModel):
    name: str
    id_number: str


class CaseOut(BaseModel):
    id: str
    receipt_no: str
    status: str
    accepted_at: str
    accepted_on: str | None
    window: str | None
    clerk: str | None
    clerk_name: str | None
    mode: str
    ticket_id: str | None
    items: list[NamedOut]
    bundle: NamedOut | None
    materials: list[CaseMaterialOut]
    notice: list[NoticeOut]
    promised_days: int | None
    promised_date: str | None
    promised_estimated: bool
    fees: list[FeeOut]
    fee_total_yuan: float
    catalogue_version: str | None
    query_url: str = Field(description="The receipt's QR code: site.query_url with the receipt "
                                       "number and its keyed token, or BMR:<no>:<token>")
    applicant_masked: MaskedOut | None = Field(description="None once its key is destroyed")
    agent_masked: MaskedOut | None


class CaseListed(BaseModel):
    id: str
    receipt_no: str
    status: str
    accepted_at: str
    mode: str
    items: list[str]
    promised_date: str | None
    applicant_masked: MaskedOut | None
    window: str | None
    clerk: str | None


class CasesOut(BaseModel):
    day: str
    cases: list[CaseListed]


class OkOut(BaseModel):
    ok: bool


class UnresolvedOut(BaseModel):
    id: str
    what: str
    why: str
    item_code: str | None
    window: str | None
    clerk: str | None
    escalation: Literal["window", "centre", "county"]
    stage: Literal["open", "closed"]
    deadline: str
    outcome: str | None
    overdue: bool
    history: list[dict[str, Any]]
    created_at: str | None


class RequesterMaskedOut(BaseModel):
    name: str
    id_number: str | None


class UnresolvedMadeOut(UnresolvedOut):
    requester_masked: RequesterMaskedOut


class UnresolvedListOut(BaseModel):
    requests: list[UnresolvedOut]


class TicketOut(BaseModel):
    id: str
    number: str
    category: str
    status: Literal["reserved", "waiting", "called", "serving", "parked", "done"]
    window: str | None
    priority: int
    reasons: list[str]
    issued_at: str
    called_at: str | None
    calls: int
    outcome: str | None
    ahead: int | None = Field(description="Tickets of its category before it (waiting only).")
    estimated_wait_s: float | None = Field(description="None: no open window serves it.")
    code: str | None = Field(default=None, description=(
        "The ticket's QR code, BMT:<id>:<token> (follow the queue, rate the visit): only in "
        "the answer to the screen that issued or confirmed it, never in events"))


class CategoryOut(BaseModel):
    prefix: str
    name: str
    name_en: str
    waiting: int
    estimated_wait_s: float | None
    issued: int
    open_now: bool


class CurrentOut(BaseModel):
    number: str
    status: str


class WindowOut(BaseModel):
    number: str
    name: str
    state: Literal["open", "paused", "closed"]
    temporary: bool
    categories: dict[str, int]
    current: CurrentOut | None


class CallOut(BaseModel):
    number: str
    window: str
    at: str
    recall: bool
    text: str


class AdviceOut(BaseModel):
    action: Literal["open_window", "close_window"]
    category: str | None
    window: str | None
    reason: str


class SiteOut(BaseModel):
    code: str
    name: str


class StatusOut(BaseModel):
    service_day: str
    at: str
    site: SiteOut
    categories: list[CategoryOut]
    windows: list[WindowOut]
    recent_calls: list[CallOut]
    advice: list[AdviceOut]
    notice: str


# --- the citizen kiosk (docs/citizen-api.md) ---------------------------------------------------

Scanned = Annotated[str, Field(min_length=1, max_length=8000, description=(
    "What the scanner or the camera read, as it read it"))]


class CitizenCasesRequest(BaseModel):
    """Exactly one of ``id_card`` (read from the card's chip) or ``code`` (a receipt's or a
    ticket's QR code)."""

    model_config = _STRICT
    id_card: IdCard | None = None
    code: Scanned | None = None


class CitizenResultRequest(BaseModel):
    model_config = _STRICT
    id_card: IdCard


class OwedOut(BaseModel):
    name: str
    name_en: str
    due: str | None = Field(description="The date promised in the 容缺 commitment")


class ResultDocOut(BaseModel):
    id: str = Field(description="SHA-256 of the document: the result_id to fetch it by")
    name: str
    media_type: str
    received_at: str


class CaseSummaryOut(BaseModel):
    case_id: str
    receipt_no: str
    official_no: str | None = Field(description="The county's 办件编号, once synced")
    title: str = Field(description="The items' names joined with 、, or the bundle's name")
    title_en: str
    status: str = Field(description="The site's status: accepted, accepted_rongque, "
                                    "materials_complete, done, withdrawn")
    status_text: str
    status_text_en: str
    county_status: str | None = Field(description="in_review, done, returned; None before "
                                                  "the county said anything")
    county_status_text: str | None
    county_status_text_en: str | None
    county_updated_at: str | None
    promised: str | None = Field(description="承诺办结 date (ISO 8601)")
    accepted_at: str
    applicant: str = Field(description="The applicant's name, masked (张*明)")
    missing: list[OwedOut] = Field(description="容缺 materials still owed")
    rated: bool
    rateable: bool = Field(description="Done (here or at the county) and not rated yet")
    results: list[ResultDocOut]


class TicketSummaryOut(BaseModel):
    ticket_id: str
    number: str
    category: str
    category_name: str
    category_name_en: str
    status: Literal["reserved", "waiting", "called", "serving", "parked", "done"]
    ahead: int = Field(description="People ahead now (0 once called or done)")
    estimated_wait_s: float | None
    rated: bool
    rateable: bool = Field(description="Being served or served, and not rated yet")


class CitizenCasesOut(BaseModel):
    cases: list[CaseSummaryOut]
    ticket: TicketSummaryOut | None
    last_sync_at: str | None = Field(description="When the site last heard from the county "
                                                 "(None: never): statuses are as of then")


class FindAppointmentsRequest(BaseModel):
    """Exactly one of ``code`` (scanned or typed; a URL holding it will do) or ``phone``."""

    model_config = _STRICT
    code: Scanned | None = None
    phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")


class AppointmentOut(BaseModel):
    id: str
    category: str
    category_name: str
    category_name_en: str
    start_at: str = Field(description="ISO 8601 in the site's time")
    end_at: str
    status: str
    holder: str = Field(description="The holder's name, masked; empty when unknown")
    when: Literal["early", "open", "late"] = Field(
        description="early: before check-in opens (30 min before the start); late: after "
                    "the end")


class AppointmentsOut(BaseModel):
    appointments: list[AppointmentOut]


class CheckedInOut(TicketOut):
    appointment_id: str


class HelpAskRequest(BaseModel):
    model_config = _STRICT
    screen: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$",
                        examples=["guide"], description="Where the citizen got stuck")


class HelpAnswerRequest(BaseModel):
    model_config = _STRICT
    window: WindowNumber | None = Field(default=None, description="The window going to help")


class HelpOut(BaseModel):
    id: str
    at: str
    screen: str
    kiosk: str = Field(description="The asking screen's short name (role@token-hash head)")
    answered_at: str | None
    window: str | None
    clerk: str | None


class HelpListOut(BaseModel):
    requests: list[HelpOut]


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


class HealthOut(BaseModel):
    ok: bool
    version: str
    service_day: str


class PairOut(BaseModel):
    token: str
    role: str


class AnnounceOut(BaseModel):
    text: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 422)}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 413: {
    "model": ErrorOut, "description": "More than 8 MB"}, 415: {
    "model": ErrorOut, "description": "Not image/jpeg, image/png or application/pdf"}}
CODE_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 429: {
    "model": ErrorOut, "description": "``slow_down``: 10 wrong codes within 60 s from this "
                                      "screen; the error has ``retry_after_s``"}}
LOGIN_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 423: {
    "model": ErrorOut, "description": "Locked after repeated wrong secrets; the error has "
                                      "``locked_until`` (ISO 8601, UTC)."}}


async def _who(request: Request,
               authorization: Annotated[str | None, Header()] = None) -> tuple[str, str]:
    """The caller's token and role; 401 without a paired token."""
    station: Station = request.app.state.station
    token = _bearer(authorization)
    found = await station.role_of(token) if token else None
    if found is None:
        raise Refused(401, "unauthorized", "请先配对本设备 / this screen is not paired: "
                                           "run bianmin station pair and use its token")
    return token, found  # type: ignore[return-value]


Role = Annotated[tuple[str, str], Depends(_who)]
async def _key(idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", max_length=100,
        description="Any string the caller makes once per operation; a retry repeats it.",
)] = None) -> str | None:
    return idempotency_key


Key = Annotated[str | None, Depends(_key)]


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status)


# --- the app -----------------------------------------------------------------------------------


def create_app(station: Station | None) -> FastAPI:
    """The app serving ``station`` (None: only to write the OpenAPI document)."""
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        assert station is not None
        station.loop = asyncio.get_running_loop()
        ticker = asyncio.create_task(station.ticking())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            if desk is not None:
                desk.close()

    app = FastAPI(title="Bianmin station", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="The site service of a 便民服务中心: queue tickets, calls and the "
                              "hall's event stream (docs/api/).")
    app.state.station = station
    desk = ClerkDesk(station.engine) if station is not None else None
    citizens = CitizenDesk(station.engine, station.cases) if station is not None else None
    helps = HelpDesk(station.engine) if station is not None else None
    _handlers(app)

    def eng() -> QueueEngine:
        assert station is not None, "an app made without a station only describes the API"
        return station.engine

    def need(who: tuple[str, str], operation: str) -> str:
        token, found = who
        if not auth.allowed(found, operation):
            raise Refused(403, "forbidden", f"“{found}”角色不能执行此操作 / the {found} role may "
                                            f"not {operation.replace('_', ' ')}")
        return token

    async def post(who: tuple[str, str], operation: str, key: str | None, request: Request,
                   body: BaseModel | None, op: Callable[[Any], Answer],
                   after: Callable[[Answer], Any] | None = None) -> JSONResponse:
        """Carry out ``op`` once per key on the writer; ``after(answer)`` runs once the
        transaction committed (or the kept answer was found)."""
        token = need(who, operation)
        if not key:
            raise Refused(400, "idempotency_key_missing",
                          "请求缺少 Idempotency-Key / every POST needs an Idempotency-Key "
                          "header, so that a retry cannot do the work twice")
        print_ = fingerprint("POST", request.url.path,
                             body.model_dump(mode="json") if body else None)
        answer = await station.do(token, key, print_, op)
        if after is not None:
            after(answer)
        return JSONResponse(answer.body, answer.status)

    def actor(who: tuple[str, str]) -> str:
        # the screen, not its token: the hash's head tells screens apart in the audit log
        return f"{who[1]}@{station_access.token_hash(who[0]).hex()[:12]}"

    def the_station() -> Station:
        assert station is not None, "an app made without a station only describes the API"
        return station

    @app.get("/v1/health", response_model=HealthOut)
    async def health() -> dict[str, Any]:
        return {"ok": True, "version": __version__, "service_day": eng().day}

    @app.post("/v1/pair", response_model=PairOut, responses=ERRORS)
    async def pair(body: PairRequest) -> dict[str, Any]:
        found = await station.on_writer(station_access.use_pair_code, station.site, body.code,
                                        station.site.clock.now())
        if found is None:
            raise Refused(404, "not_found", "配对码不对、已用过或已过期 / the pairing code is "
                                            "wrong, used or expired")
        return {"token": found[0], "role": found[1]}

    @app.get("/v1/status", response_model=StatusOut, responses=ERRORS)
    async def status(who: Role) -> dict[str, Any]:
        need(who, "status")
        return (await station.snapshot())[1]

    @app.get("/v1/kpi", responses=ERRORS)
    async def kpi(who: Role, day: Annotated[str | None, Query(
            pattern=r"^\d{4}-\d{2}-\d{2}$")] = None) -> dict[str, Any]:
        need(who, "kpi")
        try:
            dt.date.fromisoformat(day or "2000-01-01")
        except ValueError:
            raise Refused(422, "invalid", f"没有这一天 / there is no day {day}") from None
        return await station.read(lambda: eng().kpi(day))

    def citizen() -> CitizenDesk:
        assert citizens is not None, "an app made without a station only describes the API"
        return citizens

    def help_desk() -> HelpDesk:
        assert helps is not None, "an app made without a station only describes the API"
        return helps

    @app.post("/v1/tickets", status_code=201, response_model=TicketOut, responses=ERRORS)
    async def issue(who: Role, key: Key, request: Request, body: IssueRequest) -> JSONResponse:
        """Number a ticket: reserved until the kiosk printed it (then ``confirm``, or
        ``void`` when printing failed), unless ``confirm``. The answer has the ticket's QR
        ``code``; a second open ticket of the card in the category is 409
        ``duplicate_ticket`` with that ``ticket`` (and its ``code``) to reprint."""
        channel = "kiosk" if who[1] == "kiosk" else "manager"
        slot = body.appointment.slot() if body.appointment else None
        return await post(who, "issue", key, request, body, lambda conn: citizen().with_code(
            lambda: eng().issue(
                conn, category=body.category,
                id_card=body.id_card.model_dump() if body.id_card else None,
                reasons=body.reasons, appointment=slot, confirm=body.confirm,
                channel=channel)))

    @app.post("/v1/tickets/{ticket_id}/confirm", response_model=TicketOut, responses=ERRORS)
    async def confirm(who: Role, key: Key, request: Request, ticket_id: str) -> JSONResponse:
        return await post(who, "confirm", key, request, None, lambda conn: citizen().with_code(
            lambda: eng().confirm(conn, ticket_id)))

    @app.post("/v1/tickets/{ticket_id}/void", response_model=TicketOut, responses=ERRORS)
    async def void(who: Role, key: Key, request: Request, ticket_id: str) -> JSONResponse:
        """The ticket did not print: it leaves the queue, and a booking checked in with it
        may check in again."""
        return await post(who, "void", key, request, None, lambda conn: citizen().after_void(
            conn, eng().void(conn, ticket_id)))

    @app.post("/v1/tickets/{ticket_id}/cancel", response_model=TicketOut, responses=ERRORS)
    async def cancel(who: Role, key: Key, request: Request, ticket_id: str) -> JSONResponse:
        return await post(who, "cancel", key, request, None,
                          lambda conn: eng().cancel(conn, ticket_id))

    @app.post("/v1/windows/{window}/call", response_model=TicketOut, responses=ERRORS)
    async def call(who: Role, key: Key, request: Request, window: WindowNumber,
                   body: CallRequest | None = None) -> JSONResponse:
        number = body.number if body else None
        return await post(who, "call", key, request, body,
                          lambda conn: eng().call(conn, window, number))

    @app.post("/v1/windows/{window}/recall", response_model=TicketOut, responses=ERRORS)
    async def recall(who: Role, key: Key, request: Request, window: WindowNumber) -> JSONResponse:
        return await post(who, "recall", key, request, None,
                          lambda conn: eng().recall(conn, window))

    def at_window(action: str) -> Callable[..., Any]:
        async def route(who: Role, key: Key, request: Request,
                        window: WindowNumber) -> JSONResponse:
            return await post(who, action, key, request, None,
                              lambda conn: eng().at_window(conn, window, action))
        route.__name__ = action.replace("-", "_")
        return route

    for action in ("no-show", "start", "finish", "park"):
        app.post(f"/v1/windows/{{window}}/{action}", response_model=TicketOut,
                 responses=ERRORS)(at_window(action))

    @app.post("/v1/windows/{window}/transfer", response_model=TicketOut, responses=ERRORS)
    async def transfer(who: Role, key: Key, request: Request, window: WindowNumber,
                       body: TransferRequest) -> JSONResponse:
        if (body.category is None) == (body.window is None):
            raise Refused(422, "invalid", "转到一个业务类别或一个窗口 / give either a category "
                                          "or a window to transfer to")
        return await post(who, "transfer", key, request, body, lambda conn: eng().transfer(
            conn, window, category=body.category, to_window=body.window))

    @app.post("/v1/windows/{window}/resume", response_model=TicketOut, responses=ERRORS)
    async def resume(who: Role, key: Key, request: Request, window: WindowNumber,
                     body: ResumeRequest) -> JSONResponse:
        return await post(who, "resume", key, request, body,
                          lambda conn: eng().resume(conn, window, body.number))

    @app.post("/v1/windows/{window}/state", response_model=WindowOut, responses=ERRORS)
    async def window_state(who: Role, key: Key, request: Request, window: WindowNumber,
                           body: WindowStateRequest) -> JSONResponse:
        return await post(who, "window_state", key, request, body,
                          lambda conn: eng().window_state(conn, window, body.state, body.clerk))

    @app.post("/v1/announcements", response_model=AnnounceOut, responses=ERRORS)
    async def announce(who: Role, key: Key, request: Request,
                       body: AnnounceRequest) -> JSONResponse:
        return await post(who, "announce", key, request, body,
                          lambda conn: eng().announce(body.text))

    # --- 好差评 (docs/cases.md) ------------------------------------------------------------

    @app.post("/v1/ratings", status_code=201, response_model=RatingOut, responses=ERRORS)
    async def rate(who: Role, key: Key, request: Request, body: RatingRequest) -> JSONResponse:
        assert station is not None
        return await post(who, "rate", key, request, body, lambda conn: station.ratings.rate(
            conn, level=body.level, channel=body.channel, dimensions=body.dimensions,
            reasons=body.reasons, text=body.text,
            rater=body.rater.model_dump() if body.rater else None, case_id=body.case_id,
            ticket_id=body.ticket_id, window=body.window))

    @app.get("/v1/rectifications", responses=ERRORS)
    async def rectifications(who: Role, closed: bool = False) -> dict[str, Any]:
        """Open tasks, overdue first (``closed=true``: the ended ones too)."""
        need(who, "rectifications")
        assert station is not None
        return {"tasks": await station.read(
            lambda: station.ratings.tasks(open_only=not closed))}

    @app.post("/v1/rectifications/{task_id}/{step}", responses=ERRORS)
    async def rectification_step(
            who: Role, key: Key, request: Request, task_id: str,
            step: Literal["verify", "appeal", "review_appeal", "rectify", "feed_back",
                          "revisit"], body: StepRequest) -> JSONResponse:
        assert station is not None
        return await post(who, "rectify", key, request, body, lambda conn: station.ratings.step(
            conn, task_id, step, by=body.by, note=body.note, upheld=body.upheld))

    # --- cases: catalogue, pages, preview, acceptance, reading back (docs/cases.md) ------------

    @app.get("/v1/catalogue", response_model=CatalogueOut, response_model_exclude_none=True,
             responses=ERRORS)
    async def catalogue(who: Role, full: bool = False) -> dict[str, Any]:
        """The current 事项清单 for the counter's search: items and bundles (一件事); the
        counter makes the pinyin initials itself. ``full=true`` adds ``source``, the whole
        catalogue (materials and rules), which a counter that may work offline keeps. 409
        ``no_catalogue`` before one is loaded."""
        need(who, "catalogue")
        return await the_station().read(lambda: the_station().cases.listing(full))

    @app.put("/v1/uploads/{sha256}", status_code=201, response_model=UploadOut,
             responses={**UPLOAD_ERRORS, 200: {"model": UploadOut,
                                               "description": "Staged already"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 media: {"schema": {"type": "string", "format": "binary"}}
                 for media in ("image/jpeg", "image/png", "application/pdf")}}})
    async def upload(who: Role, request: Request,
                     sha256: Annotated[str, Path(pattern=SHA256_PATTERN)]) -> JSONResponse:
        """Stage one page (at most 8 MB) before the case that refers to it; sealed at once
        under a key that lives only in this process. 422 ``hash_mismatch`` when the bytes
        are not the page the path names."""
        need(who, "upload")
        try:
            media = media_type_of(request.headers.get("content-type"))
            data = await _read_capped(request)
            created = await asyncio.to_thread(the_station().staging.put, sha256, data, media)
        except UploadRefused as exc:
            raise Refused(exc.status, exc.code, exc.message) from None
        return JSONResponse({"sha256": sha256, "size": len(data)}, 201 if created else 200)

    @app.head("/v1/uploads/{sha256}", responses={
        200: {"description": "Staged"}, 404: {"description": "Not staged: upload it"}})
    async def upload_staged(who: Role, sha256: Annotated[str, Path(
            pattern=SHA256_PATTERN)]) -> Response:
        need(who, "upload")
        return Response(status_code=200 if the_station().staging.has(sha256) else 404)

    @app.post("/v1/cases/preview", response_model=PreviewOut, responses=ERRORS)
    async def preview_case(who: Role, body: PreviewRequest) -> dict[str, Any]:
        """What accepting the draft would decide now: the checklist, every problem, the
        notice, fees and the promised date. Writes nothing (no Idempotency-Key needed)."""
        need(who, "case_preview")
        draft = body.model_dump(mode="json")
        return await the_station().read(lambda: the_station().cases.preview(draft))

    @app.post("/v1/cases", status_code=201, response_model=CaseOut, responses={
        **ERRORS, 409: {"model": ErrorOut, "description": "``missing_uploads`` (the error "
                        "has ``missing``: upload those pages, retry with the same "
                        "Idempotency-Key) or ``no_catalogue``"},
        422: {"model": ErrorOut, "description": "``acceptance_refused`` (with ``problems`` "
              "and ``notice``), ``invalid_party`` (with ``problems``) or ``invalid``"}})
    async def accept_case(who: Role, key: Key, request: Request,
                          body: CaseRequest) -> JSONResponse:
        """Accept a case: stored with its history's first step, its materials, its pages
        sealed under the case's own key, the outbox op and an audit entry, in one
        transaction. The answer has the applicant and the agent masked only."""
        cases = the_station().cases
        draft = body.model_dump(mode="json")

        def staged_pages_done(answer: Answer) -> None:
            if answer.status == 201:  # kept in the case now, sealed under its own key
                cases.staging.discard(cases.pages_of(draft))

        return await post(who, "case_accept", key, request, body,
                          lambda conn: cases.accept(conn, draft, actor=actor(who)),
                          after=staged_pages_done)

    @app.post("/v1/cases/{case_id}/{step}", response_model=CaseStepOut, responses={
        **ERRORS, 409: {"model": ErrorOut, "description": "``invalid_transition`` (not in this "
                        "status, not a deferred material…) or ``missing_uploads``"}})
    async def case_step(who: Role, key: Key, request: Request,
                        case_id: Annotated[str, Path(max_length=64)],
                        step: Literal["supply", "finish", "withdraw"],
                        body: CaseStepRequest) -> JSONResponse:
        """A step of an accepted case: ``supply`` a 容缺 material (补交; the last one owed
        makes the case ``materials_complete``), ``finish`` (办结; not while something is
        owed), ``withdraw`` (撤回, with a note saying why). History, outbox and audit in one
        transaction."""
        cases = the_station().cases
        given = body.model_dump(mode="json")

        def staged_pages_done(answer: Answer) -> None:
            if answer.status == 200 and given.get("material"):
                cases.staging.discard(cases.pages_of({"materials": [given["material"]]}))

        return await post(who, "case_step", key, request, body,
                          lambda conn: cases.step(conn, case_id, step, given,
                                                  actor=actor(who)),
                          after=staged_pages_done)

    @app.get("/v1/cases", response_model=CasesOut, responses=ERRORS)
    async def list_cases(who: Role, day: Annotated[str | None, Query(
            pattern=r"^\d{4}-\d{2}-\d{2}$")] = None) -> dict[str, Any]:
        """The cases accepted on ``day`` (default today), masked; the view is audited."""
        need(who, "cases")
        try:
            wanted = dt.date.fromisoformat(day) if day else None
        except ValueError:
            raise Refused(422, "invalid", f"没有这一天 / there is no day {day}") from None
        return await the_station().read(
            lambda: the_station().cases.of_day(wanted, actor=actor(who)))

    @app.get("/v1/cases/{case_id}", response_model=CaseOut, responses=ERRORS)
    async def read_case(who: Role, case_id: Annotated[str, Path(max_length=64)],
                        ) -> dict[str, Any]:
        """One case as its acceptance answered (masked), for a reprint; audited
        (``case.viewed``)."""
        need(who, "cases")
        return await the_station().read(
            lambda: the_station().cases.case(case_id, actor=actor(who)))

    @app.post("/v1/audit", status_code=201, response_model=OkOut, responses=ERRORS)
    async def screen_audit(who: Role, key: Key, request: Request,
                           body: AuditRequest) -> JSONResponse:
        """A screen records a view of personal data or a print (who, what, when, where),
        never the data itself."""
        return await post(who, "audit", key, request, body, lambda conn: the_station().cases
                          .screen_audit(conn, action=body.action, subject=body.subject,
                                        screen=body.screen, window=body.window,
                                        actor=actor(who)))

    # --- 办不成事 (docs/cases.md) ---------------------------------------------------------------

    @app.post("/v1/unresolved", status_code=201, response_model=UnresolvedMadeOut,
              responses=ERRORS)
    async def report_unresolved(who: Role, key: Key, request: Request,
                                body: UnresolvedRequest) -> JSONResponse:
        """Record a matter the window could not settle; who asked is sealed."""
        return await post(who, "unresolved_report", key, request, body,
                          lambda conn: the_station().unresolved.report(
                              conn, requester=body.requester.model_dump(), what=body.what,
                              why=body.why, item_code=body.item_code, window=body.window,
                              by=body.by, actor=actor(who)))

    @app.get("/v1/unresolved", response_model=UnresolvedListOut, responses=ERRORS)
    async def list_unresolved(who: Role, closed: bool = False) -> dict[str, Any]:
        """Open requests, overdue first (``closed=true``: the closed ones too, last)."""
        need(who, "unresolved")
        return {"requests": await the_station().read(
            lambda: the_station().unresolved.requests(open_only=not closed))}

    @app.post("/v1/unresolved/{request_id}/{step}", response_model=UnresolvedOut,
              responses=ERRORS)
    async def unresolved_step(who: Role, key: Key, request: Request,
                              request_id: Annotated[str, Path(max_length=64)],
                              step: Literal["escalate", "close"],
                              body: UnresolvedStepRequest) -> JSONResponse:
        """``escalate`` (window → centre → county, a new deadline) or ``close`` with an
        ``outcome``."""
        return await post(who, "unresolved_step", key, request, body,
                          lambda conn: the_station().unresolved.step(
                              conn, request_id, step, by=body.by, note=body.note,
                              outcome=body.outcome, actor=actor(who)))

    # --- clerk accounts (docs/clerks.md) ------------------------------------------------------

    def clerks() -> ClerkDesk:
        assert desk is not None, "an app made without a station only describes the API"
        return desk

    async def hashed(who: tuple[str, str], operation: str,
                     secret: SecretStr) -> clerk_store.Hashed:
        need(who, operation)  # before argon2: a screen that may not do this costs nothing
        try:
            check_secret(secret.get_secret_value())
        except SecretRefused as exc:
            raise Refused(422, "weak_secret", str(exc)) from None
        return await clerks().hash(secret.get_secret_value())

    @app.get("/v1/clerks", response_model=ClerksOut, responses=ERRORS)
    async def list_clerks(who: Role) -> dict[str, Any]:
        need(who, "clerks")
        assert station is not None
        return {"clerks": await station.read(lambda: clerk_store.clerks(station.site.store))}

    @app.post("/v1/clerks", status_code=201, response_model=ClerkOut, responses=ERRORS)
    async def add_clerk(who: Role, key: Key, request: Request,
                        body: ClerkAddRequest) -> JSONResponse:
        secret = await hashed(who, "clerk_add", body.secret)
        return await post(who, "clerk_add", key, request, body, lambda conn: clerks().add(
            conn, clerk_id=body.id, name=body.name, secret=secret, manager=body.manager,
            actor=actor(who)))

    @app.post("/v1/clerks/login", response_model=LoginOut, responses=LOGIN_ERRORS)
    async def login(who: Role, key: Key, request: Request, body: LoginRequest) -> JSONResponse:
        need(who, "clerk_login")
        assert station is not None
        stored = await station.read(
            lambda: clerk_store.secret_hash_of(station.site.store, body.clerk))
        checked = await clerks().check(stored, body.secret.get_secret_value())
        return await post(who, "clerk_login", key, request, body, lambda conn: clerks().login(
            conn, body.clerk, checked, body.window, actor=actor(who)))

    @app.post("/v1/clerks/logout", response_model=WindowOut, responses=ERRORS)
    async def logout(who: Role, key: Key, request: Request,
                     body: LogoutRequest) -> JSONResponse:
        return await post(who, "clerk_logout", key, request, body,
                          lambda conn: clerks().logout(conn, body.window, actor=actor(who)))

    @app.post("/v1/clerks/{clerk_id}/secret", response_model=ClerkOut, responses=ERRORS)
    async def reset_secret(who: Role, key: Key, request: Request, clerk_id: ClerkId,
                           body: ClerkSecretRequest) -> JSONResponse:
        secret = await hashed(who, "clerk_reset", body.secret)
        return await post(who, "clerk_reset", key, request, body, lambda conn: clerks().reset(
            conn, clerk_id, secret, actor=actor(who)))

    @app.post("/v1/clerks/{clerk_id}/disable", response_model=ClerkOut, responses=ERRORS)
    async def disable_clerk(who: Role, key: Key, request: Request,
                            clerk_id: ClerkId) -> JSONResponse:
        return await post(who, "clerk_disable", key, request, None,
                          lambda conn: clerks().disable(conn, clerk_id, actor=actor(who)))

    # --- the citizen kiosk: 进度查询, 结果打印, 预约签到, 我要帮办 (docs/citizen-api.md) --------

    @app.post("/v1/citizen/cases", response_model=CitizenCasesOut, responses=CODE_ERRORS)
    async def citizen_cases(who: Role, body: CitizenCasesRequest) -> dict[str, Any]:
        """A citizen's own cases by the ID card swiped (newest first, at most 20), or the
        one case or ticket whose QR code was scanned (its token checked). A code that is
        not ours or does not verify is 404 ``not_found``. Audited (``citizen.cases``);
        writes nothing else, so no Idempotency-Key."""
        token = need(who, "citizen")
        if (body.id_card is None) == (body.code is None):
            raise Refused(422, "invalid", "请刷身份证或扫描二维码，二选一 / give either id_card "
                                          "or code")
        card = body.id_card.model_dump() if body.id_card else None
        return await the_station().read(lambda: citizen().cases_of(
            token=token, actor=actor(who), id_card=card, code=body.code))

    @app.post("/v1/citizen/results/{case_id}/{result_id}", response_class=Response,
              responses={**ERRORS, 200: {"description": "The document's bytes", "content": {
                  media: {"schema": {"type": "string", "format": "binary"}}
                  for media in ("application/pdf", "image/png", "image/jpeg")}}})
    async def citizen_result(who: Role, case_id: Annotated[str, Path(max_length=64)],
                             result_id: Annotated[str, Path(pattern=SHA256_PATTERN)],
                             body: CitizenResultRequest) -> Response:
        """A result document the county sent (统一窗口出件), for the applicant's own card
        only (403 ``not_yours``); audited as ``result.printed``."""
        need(who, "citizen")
        card = body.id_card.model_dump()
        data, media_type = await the_station().read(lambda: citizen().result(
            case_id, result_id, card, actor=actor(who)))
        return Response(data, media_type=media_type, headers={"Cache-Control": "no-store"})

    @app.post("/v1/appointments/find", response_model=AppointmentsOut, responses=CODE_ERRORS)
    async def find_appointments(who: Role, body: FindAppointmentsRequest) -> dict[str, Any]:
        """Today's bookings by the code scanned or typed (at most one; 404 ``not_found``
        for a code no booking has) or by the phone they were made with."""
        token = need(who, "citizen")
        if (body.code is None) == (body.phone is None):
            raise Refused(422, "invalid", "请扫预约码或输入手机号，二选一 / give either code or "
                                          "phone")
        return await the_station().read(lambda: citizen().find_appointments(
            token=token, actor=actor(who), code=body.code, phone=body.phone))

    @app.post("/v1/appointments/{appointment_id}/checkin", status_code=201,
              response_model=CheckedInOut, responses={**ERRORS, 409: {
                  "model": ErrorOut, "description": "``too_early`` (with ``opens_at``), "
                  "``too_late``, ``cancelled``, ``already_checked_in`` or "
                  "``duplicate_ticket`` (each of the last two with ``ticket`` to reprint)"}})
    async def check_in(who: Role, key: Key, request: Request,
                       appointment_id: Annotated[str, Path(max_length=64)]) -> JSONResponse:
        """Check a booking in: a reserved ticket with the slot (ahead of walk-ins inside
        it) and the holder's card (the green channel by age); print it, then ``confirm``
        (or ``void``, which gives the booking back)."""
        return await post(who, "citizen", key, request, None, lambda conn: citizen().check_in(
            conn, appointment_id, actor=actor(who)))

    @app.post("/v1/help", status_code=201, response_model=HelpOut, responses={
        **ERRORS, 200: {"model": HelpOut, "description": "This screen's call still open"}})
    async def ask_help(who: Role, key: Key, request: Request,
                       body: HelpAskRequest) -> JSONResponse:
        """我要帮办: ring the counters and the manager (event ``help.requested``). One open
        call per screen; held in memory (a restart forgets it)."""
        token = who[0]
        return await post(who, "help_ask", key, request, body, lambda conn: help_desk().ask(
            token, body.screen, actor(who)))

    @app.get("/v1/help", response_model=HelpListOut, responses=ERRORS)
    async def list_help(who: Role) -> dict[str, Any]:
        """The open calls for help, oldest first."""
        need(who, "help_list")
        return {"requests": await the_station().read(help_desk().requests)}

    @app.post("/v1/help/{help_id}/answer", response_model=HelpOut, responses=ERRORS)
    async def answer_help(who: Role, key: Key, request: Request,
                          help_id: Annotated[str, Path(max_length=64)],
                          body: HelpAnswerRequest | None = None) -> JSONResponse:
        """Someone is on the way (event ``help.answered``); 409 ``already_answered``."""
        window = body.window if body else None
        return await post(who, "help_answer", key, request, body,
                          lambda conn: help_desk().answer(help_id, window))

    @app.websocket("/v1/events")
    async def events(socket: WebSocket, token: str | None = None) -> None:
        await _stream(station, socket, token)

    return app


DRAIN_LIMIT = 2 * MAX_BYTES


async def _read_capped(request: Request) -> bytes:
    """The body, or 413 past :data:`MAX_BYTES`. What comes beyond is read and dropped up to
    :data:`DRAIN_LIMIT`, so that a client still sending hears the 413 instead of a reset
    connection; past that the connection may close."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_LIMIT:
        raise _too_large()
    body = bytearray()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BYTES:
            body += chunk
        elif size > DRAIN_LIMIT:
            break
    if size > MAX_BYTES:
        raise _too_large()
    return bytes(body)


def _too_large() -> Refused:
    return Refused(413, "too_large", f"页面超过 {MAX_BYTES // 2**20} MB / a page may be at "
                                     f"most {MAX_BYTES // 2**20} MB")


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _stream(station: Station, socket: WebSocket, token: str | None) -> None:
    token = token or _bearer(socket.headers.get("authorization"))
    role = await station.role_of(token) if token else None
    await socket.accept()
    if role is None or not auth.allowed(role, "events"):
        # accepted first so the client reads why (4401), not a bare HTTP 403 it would retry
        await socket.close(code=4401, reason="not paired")
        return
    subscriber = station.hub.subscribe()
    try:
        seq, status = await station.snapshot()
        subscriber.after_seq = seq
        await socket.send_json({"type": "hello", "seq": seq, "status": status})
        reader = asyncio.create_task(_drain(socket))
        try:
            while True:
                # wait for an event and for the client at once: one that went away is
                # unsubscribed now, not at the next event or ping
                getter = asyncio.ensure_future(subscriber.queue.get())
                done, _ = await asyncio.wait({getter, reader}, timeout=PING_S,
                                             return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    if reader in done:
                        return
                    await socket.send_json({"type": "ping", "seq": station.seq})
                    continue
                event = getter.result()
                if event is None:
                    await socket.close(code=subscriber.close_code, reason="reconnect")
                    return
                if event["seq"] > subscriber.after_seq:
                    await socket.send_json(event)
        finally:
            reader.cancel()
    except (WebSocketDisconnect, RuntimeError, ConnectionError):
        pass
    finally:
        station.hub.unsubscribe(subscriber)


async def _drain(socket: WebSocket) -> None:
    # Clients send nothing; reading notices at once when one goes away.
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await socket.receive_text()


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for problem in exc.errors()[:5]:
            where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
            parts.append(f"{where or 'body'}: {problem.get('msg', 'invalid')}")
        return _error(422, "invalid", "请求内容不对 / invalid request: " + "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        words = {400: "请求内容无法解析 / the request body could not be parsed",
                 404: "没有这个地址 / no such address", 405: "不支持此方法 / method not allowed"}
        code = {400: "invalid", 404: "not_found",
                405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, words.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(StoreError)
    async def store(_: Request, exc: StoreError) -> JSONResponse:
        log.error("the store refused a write: %s", exc)
        return _error(503, "store_unavailable", f"数据库暂时不能写入 / the store cannot be "
                                                f"written now: {exc}")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("station error")
        return _error(500, "station_error", "站点服务出错，请联系技术员 / the station failed; "
                                            "call the technician")
