"""The site configuration schema: every key of ``site.toml``, its type, default and unit.

The defaults live here and nowhere else.  Each field is followed by an attribute docstring
(pydantic reads it as the field's description); ``dump_defaults()`` turns those into the
comments of the example file and ``docs/configuration.md`` lists them.  Every ``int`` or
``float`` field's docstring states its unit as ``Unit: <unit>.``.

Models are strict (``"30"`` is not an integer), frozen, and reject unknown keys.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator, model_validator
from pydantic_core import PydanticCustomError

Role = Literal[
    "id_card_reader",
    "ticket_printer",
    "receipt_printer",
    "document_camera",
    "rating_terminal",
    "code_scanner",
    "window_sign",
    "announcer",
]
"""The device roles a site can configure, one ``[devices.<role>]`` table each."""

ROLES: tuple[str, ...] = get_args(Role)

PORT_SCHEMES: tuple[str, ...] = ("serial", "usb", "tcp", "file", "sim", "audio")
"""URL schemes a device ``port`` may use."""

_PORT_EXAMPLES = "serial:///dev/ttyUSB0?baud=115200, tcp://192.168.1.50:9100, sim://escpos-generic"

# Error type for messages written for people; the loader passes them through unchanged.
PLAIN_ERROR = "bianmin_config"


def _plain(message: str, **ctx: Any) -> PydanticCustomError:
    # pydantic-core only substitutes "{name}" for names in ctx, so the message needs no escaping.
    return PydanticCustomError(PLAIN_ERROR, message, ctx or None)


def _option_value(value: object) -> str | int | float | bool:
    # A plain validator instead of a union: a union reports one error per member type.
    if isinstance(value, str | int | float | bool):
        return value
    got = {list: "an array", dict: "a table"}.get(type(value), "a date or time")
    raise _plain(f"must be a string, a number or true/false, got {got}")


OptionValue = Annotated[str | int | float | bool, PlainValidator(_option_value)]

_STRICT = ConfigDict(extra="forbid", strict=True, use_attribute_docstrings=True, frozen=True)


class SiteSection(BaseModel):
    """``[site]``: who this site is."""

    model_config = _STRICT

    code: str = Field(default="DEMO-0001", min_length=1)
    """The site code the county assigns at enrolment; it prefixes receipt numbers
    (``<code>-<yyyymmdd>-<seq>``) and identifies the site to the county hub."""

    name: str = Field(default="演示镇便民服务中心", min_length=1)
    """The site's name as printed on tickets and receipts and shown on screens."""

    kind: Literal["township", "village"] = "township"
    """``township`` for a township or street service centre (便民服务中心), ``village`` for a
    village or community service point (便民服务站, 代办点)."""

    township: str = ""
    """The township (乡镇/街道) the site is in or belongs to; empty if not needed."""

    village: str = ""
    """The village or community (村/社区) of a village service point; empty for a township
    centre."""

    timezone: str = "Asia/Shanghai"
    """IANA time zone in which times are shown and the day starts; times are stored in UTC."""

    query_url: str = ""
    """Where a citizen follows a case, printed as the acceptance receipt's QR code;
    ``{receipt_no}`` and ``{token}`` are replaced by the case's receipt number and the
    site's keyed token of it (e.g. ``https://zwfw.example.gov.cn/q/{receipt_no}``; without
    ``{token}`` it is appended as ``t=``). Empty: the QR code is ``BMR:<receipt_no>:<token>``,
    which the kiosk's 进度查询 reads."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _plain(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from None
        return value


class StationSection(BaseModel):
    """``[station]``: where the site service listens for the screens on the LAN."""

    model_config = _STRICT

    host: str = Field(default="127.0.0.1", min_length=1)
    """Address the station listens on; ``0.0.0.0`` to serve counter PCs across the LAN."""

    port: int = Field(default=8470, ge=1, le=65535)
    """Port of the station's HTTP and WebSocket API. Unit: TCP port."""


class PrinterProfile(BaseModel):
    """``[printer_profiles.<name>]``: how to print Chinese text on one model of printer."""

    model_config = _STRICT

    encoding: Literal["gb18030", "gbk"] = "gb18030"
    """Character encoding the printer's Chinese font expects."""

    paper_width_mm: int = 80
    """Width of the paper roll, 58 or 80. Unit: mm."""

    dots_per_line: int = Field(default=576, gt=0)
    """Printable width for images (576 on 80 mm paper, 384 on 58 mm). Unit: dots."""

    chars_per_line: int = Field(default=48, gt=0)
    """Characters per line in the normal font; a Chinese character takes two. Unit: count
    (half-width characters)."""

    cut: bool = True
    """Cut the paper after each ticket or receipt (needs a printer with a cutter)."""

    qr_native: bool = False
    """Print QR codes with the printer's own QR command (``GS ( k``); false sends them as a
    raster image, which every printer can print but takes more bytes."""

    image_fallback: bool = True
    """Print characters the printer's font lacks (rare characters in names) as an image
    instead of a placeholder."""

    @field_validator("paper_width_mm")
    @classmethod
    def _known_width(cls, value: int) -> int:
        if value not in (58, 80):
            raise _plain(f"must be 58 or 80 (got {value})")
        return value


class DeviceConfig(BaseModel):
    """``[devices.<role>]``: which driver serves a role and where the device is plugged in."""

    model_config = _STRICT

    driver: str = Field(min_length=1)
    """Driver model slug, e.g. ``escpos-generic``."""

    port: str
    """Where the device is, as a URL: ``serial:///dev/ttyUSB0?baud=115200``,
    ``usb://VID:PID``, ``tcp://host:9100``, ``file:///path`` or ``sim://NAME`` for the
    simulator."""

    printer_profile: str | None = None
    """Name of a ``[printer_profiles.<name>]`` table, for printers; unset means the
    ``default`` profile."""

    options: dict[str, OptionValue] = Field(default_factory=dict)
    """Driver-specific settings (strings, numbers, true/false), e.g. simulator faults."""

    @field_validator("port")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme if "://" in value else ""
        if scheme not in PORT_SCHEMES:
            if re.fullmatch(r"/dev/\S+|COM\d+", value):
                hint = f"did you mean 'serial://{value}'?"
            else:
                hint = f"for example {_PORT_EXAMPLES}"
            schemes = ", ".join(f"{s}://" for s in PORT_SCHEMES)
            raise _plain(f"{value!r} is not a device URL starting with one of {schemes} ({hint})")
        if not value.split("://", 1)[1]:
            raise _plain(f"{value!r} says nothing after {scheme}://")
        return value


class QueueSection(BaseModel):
    """``[queue]``: tickets, priority and the kiosk's idle timeout."""

    model_config = _STRICT

    reset_hour: int = Field(default=0, ge=0, le=23)
    """Hour, in site local time, at which the day's ticket numbers start again from 001.
    Unit: hour of day."""

    elderly_age: int = Field(default=60, ge=0, le=150)
    """Age from which a citizen identified by ID card gets elderly priority (适老化).
    Unit: years."""

    ageing_minutes: int = Field(default=30, ge=1)
    """A waiting ticket gains one priority step each time this much time passes, so nobody
    waits forever behind priority tickets. Unit: minutes."""

    idle_timeout_s: int = Field(default=60, ge=1)
    """Without a touch for this long the kiosk returns to its home screen and forgets the
    citizen. Unit: s."""

    default_service_s: int = Field(default=300, ge=1)
    """Service time the wait estimate assumes for a category until three of its tickets
    have been served today. Unit: s."""

    reservation_timeout_s: int = Field(default=120, ge=5)
    """A ticket the kiosk reserved but neither confirmed (printed) nor voided within this
    time is confirmed: a printed ticket in a citizen's hand must be called, and a ticket that
    never came out costs one no-show. Unit: s."""

    open_window_wait_s: int = Field(default=1800, ge=60)
    """Advise the manager to open a temporary window when a category's estimated wait
    reaches this. Unit: s."""

    open_window_waiting: int = Field(default=15, ge=1)
    """Advise the manager to open a temporary window when this many tickets of one category
    are waiting. Unit: tickets."""

    close_window_idle_s: int = Field(default=900, ge=60)
    """Advise the manager to close an open temporary window idle for this long. Unit: s."""

    hall_notice: str = "请取号后留意叫号，过号请到咨询台。Please watch for your number."
    """The scrolling notice of the hall display; empty for none."""


_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


def _check_span(value: str) -> str:
    if not _HOURS.match(value) or value[:5] >= value[6:]:
        raise _plain(f"{value!r} is not a span of the day such as \"08:30-12:00\"")
    return value


class CategoryConfig(BaseModel):
    """``[categories.<prefix>]``: a kind of business citizens take a ticket for."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    """Name on the kiosk button, the ticket and the hall display (Chinese)."""

    name_en: str = ""
    """English name shown under the Chinese one."""

    hours: list[str] = Field(default_factory=list)
    """When tickets are issued, as spans of the local day (``["08:30-12:00",
    "13:30-17:00"]``); empty means whenever the station runs."""

    daily_quota: int = Field(default=0, ge=0)
    """Most tickets issued per service day; 0 for no limit. Unit: tickets."""

    slot_quotas: dict[str, int] = Field(default_factory=dict)
    """Most tickets per span of the day (``{ "08:30-10:00" = 40 }``), for categories whose
    clerks can only take so many in a morning. Unit: tickets."""

    green_channel: bool = True
    """Whether elderly, disabled and pregnant citizens and appointments go ahead (绿色通道)."""

    @field_validator("hours")
    @classmethod
    def _spans(cls, value: list[str]) -> list[str]:
        return [_check_span(span) for span in value]

    @field_validator("slot_quotas")
    @classmethod
    def _slots(cls, value: dict[str, int]) -> dict[str, int]:
        for span, quota in value.items():
            _check_span(span)
            if quota < 0:
                raise _plain(f"quota for {span} must not be negative")
        return value


class WindowConfig(BaseModel):
    """``[windows.<number>]``: a service window (窗口) and what it serves."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    """Name on the counter app and the hall display, e.g. ``综合窗口``."""

    categories: dict[str, int] = Field(min_length=1)
    """The categories it serves with their weights (``{ A = 2, B = 1 }``): a higher weight
    is served first at this window, and a 综合窗口 serving four categories gives each its
    share of the wait estimate. Unit: weight (1-9)."""

    temporary: bool = False
    """A temporary window (临时窗口), closed until the manager opens it at a rush."""

    @field_validator("categories")
    @classmethod
    def _weights(cls, value: dict[str, int]) -> dict[str, int]:
        for prefix, weight in value.items():
            if not 1 <= weight <= 9:
                raise _plain(f"weight of {prefix} must be 1 to 9 (got {weight})")
        return value


def _default_categories() -> dict[str, CategoryConfig]:
    return {
        "A": CategoryConfig(name="综合受理", name_en="General services"),
        "B": CategoryConfig(name="社保医保", name_en="Social and medical insurance"),
        "C": CategoryConfig(name="民政残联", name_en="Civil affairs and disability"),
        "D": CategoryConfig(name="农业农村", name_en="Agriculture and rural affairs"),
    }


def _default_windows() -> dict[str, WindowConfig]:
    every = {"A": 2, "B": 1, "C": 1, "D": 1}
    return {
        "1": WindowConfig(name="综合窗口", categories=every),
        "2": WindowConfig(name="综合窗口", categories=every),
        "3": WindowConfig(name="社保医保", categories={"B": 2, "A": 1}),
        "4": WindowConfig(name="民政残联", categories={"C": 2, "A": 1}),
        "5": WindowConfig(name="农业农村", categories={"D": 2, "A": 1}),
        "6": WindowConfig(name="帮办代办", categories={"A": 1, "B": 1, "C": 1, "D": 1}),
        "7": WindowConfig(name="临时窗口", categories={"A": 1, "B": 1}, temporary=True),
    }


class RatingsSection(BaseModel):
    """``[ratings]``: 好差评 at the counter and the follow-up of a bad rating."""

    model_config = _STRICT

    rectify_days: int = Field(default=15, ge=1, le=60)
    """Working days the rectification of a 不满意 or 非常不满意 rating may take, from the day
    it was given (15 by the Sichuan rule; 5 where a centre follows 德州's). Unit: working
    days."""


class RetentionSection(BaseModel):
    """``[retention]``: how long records and keys are kept."""

    model_config = _STRICT

    shred_grace_days: int = Field(default=30, ge=0)
    """Days after the county acknowledged a case before its key is destroyed and its
    personal data becomes unreadable (crypto-shredding). Unit: days."""

    outbox_acked_keep_days: int = Field(default=90, ge=0)
    """Days a sync outbox row is kept after the county acknowledged it. Unit: days."""

    audit_keep_days: int = Field(default=1095, ge=0)
    """Days audit log entries are kept. Unit: days."""

    orphan_blob_minutes: int = Field(default=60, ge=1)
    """A stored file that no record references is deleted once it is this old; the wait
    protects files whose record is still being written. Unit: minutes."""


class StoreSection(BaseModel):
    """``[store]``: the site's SQLite store."""

    model_config = _STRICT

    busy_timeout_ms: int = Field(default=30000, ge=0)
    """How long a write waits for the station or the sync daemon to finish theirs before
    failing (SQLite ``busy_timeout``). Unit: ms."""


class CryptoSection(BaseModel):
    """``[crypto]``: encryption of personal data at rest."""

    model_config = _STRICT

    cipher: Literal["aes-256-gcm", "sm4-gcm"] = "aes-256-gcm"
    """Cipher for new personal data and scans; ``sm4-gcm`` where the national (国密)
    algorithms are required."""

    key_file: str = ""
    """File holding the site key; empty means ``<data dir>/site.key``. A relative path is
    relative to the folder of this configuration file."""

    credential_name: str = Field(default="bianmin-site-key", min_length=1)
    """File name of the site key inside ``$CREDENTIALS_DIRECTORY``, for a service that
    systemd starts with the key passed as a credential."""


class CalendarSection(BaseModel):
    """``[calendar]``: the working-day calendar that deadlines run on."""

    model_config = _STRICT

    override_file: str = ""
    """TOML file of public holidays and make-up working days (调休) for years the
    chinese-calendar package does not know yet; empty for none. A relative path is relative
    to the folder of this configuration file."""


class KioskSection(BaseModel):
    """``[kiosk]``: the citizen's touchscreen (``bianmin kiosk``, docs/kiosk.md). Its idle
    timeout is ``queue.idle_timeout_s``."""

    model_config = _STRICT

    countdown_s: int = Field(default=10, ge=3, le=60)
    """After the idle timeout, how long the kiosk counts down (on the screen and aloud)
    before it goes home and forgets the citizen. Unit: s."""

    language: Literal["zh", "en"] = "zh"
    """The language each citizen starts in; the kiosk's 中文/English button switches."""

    elderly: bool = False
    """Start every citizen in 大字模式 (larger text, higher contrast, every step spoken)."""

    locked: bool = True
    """Full screen with no way out but the hidden gesture and the technician's PIN."""

    unlock_pin_hash: str = Field(default="", pattern=r"^(|scrypt\$[0-9a-f]{32}\$[0-9a-f]{64})$")
    """The technician's PIN as ``bianmin kiosk pin-hash`` prints it; empty: the kiosk cannot
    be left from its screen (stop it with systemctl)."""

    screen_dpi: float = Field(default=0.0, ge=0.0, le=600.0)
    """Dots per inch of the panel, for the millimetres the accessibility check measures;
    0: what the screen reports. Unit: dpi."""


class SyncSection(BaseModel):
    """``[sync]``: the sync daemon that delivers the site's records to the county hub
    (``bianmin sync``, docs/sync-protocol.md). The hub's address is kept at enrolment."""

    model_config = _STRICT

    chunk_kib: int = Field(default=1024, ge=64, le=4096)
    """Size of one upload request (tus PATCH) of a page; a cut link costs at most one. Unit:
    KiB."""

    upload_kbit_s: int = Field(default=0, ge=0)
    """Upload bandwidth cap for pages, so that the windows' own traffic keeps room on a slow
    link; 0 for no cap. Unit: kbit/s."""

    batch_ops: int = Field(default=100, ge=1, le=100)
    """Records sent to the hub in one request (the hub takes at most 100). Unit: ops."""

    pull_limit: int = Field(default=500, ge=1, le=500)
    """Items asked for in one page of a stream from the hub (catalogue, case status,
    appointments, rectifications). Unit: items."""

    heartbeat_s: int = Field(default=300, ge=10)
    """How often the daemon tells the hub its status and health. Unit: s."""

    health_port: int = Field(default=8471, ge=0, le=65535)
    """Port of the daemon's ``GET /healthz`` on 127.0.0.1; 0 for none. Unit: TCP port."""

    connect_timeout_s: int = Field(default=10, ge=1)
    """How long a connection to the hub may take to open. Unit: s."""

    read_timeout_s: int = Field(default=60, ge=1)
    """How long the hub may take to send the next bytes of an answer. Unit: s."""

    backoff_base_s: int = Field(default=5, ge=1)
    """The first wait after a failed attempt; each further failure doubles it, with random
    jitter. Unit: s."""

    backoff_cap_s: int = Field(default=900, ge=1)
    """The longest wait after failures, and the longest ``Retry-After`` of the hub that is
    honoured. Unit: s."""

    poll_s: int = Field(default=5, ge=1)
    """How often an idle daemon looks for new records to send. Unit: s."""

    pull_every_s: int = Field(default=60, ge=5)
    """How often an idle daemon asks the hub for news. Unit: s."""

    retention_every_s: int = Field(default=3600, ge=60)
    """How often the daemon applies the retention rules (``[retention]``) and checks the
    store. Unit: s."""


def _default_profiles() -> dict[str, PrinterProfile]:
    return {"default": PrinterProfile()}


class SiteConfig(BaseModel):
    """The whole ``site.toml``. Every key has a default, so an empty file is valid."""

    model_config = _STRICT

    site: SiteSection = Field(default_factory=SiteSection)
    """Who this site is."""

    station: StationSection = Field(default_factory=StationSection)
    """Where the site service listens."""

    printer_profiles: dict[str, PrinterProfile] = Field(default_factory=_default_profiles)
    """Printer profiles by name; devices refer to them with ``printer_profile``. A profile
    named ``default`` always exists; ``[printer_profiles.default]`` changes it."""

    devices: dict[Role, DeviceConfig] = Field(default_factory=dict)
    """The devices plugged into this PC, by role; a role that is not listed is absent."""

    queue: QueueSection = Field(default_factory=QueueSection)
    """Tickets, priority and the kiosk's idle timeout."""

    categories: dict[str, CategoryConfig] = Field(default_factory=_default_categories)
    """The categories of business, by ticket prefix (one capital letter): ``A`` gives
    A001, A002, … A site that lists its own replaces the four shipped ones."""

    windows: dict[str, WindowConfig] = Field(default_factory=_default_windows)
    """The service windows, by number as called (``3`` → 请A001号到3号窗口办理). A site
    that lists its own replaces the seven shipped ones."""

    ratings: RatingsSection = Field(default_factory=RatingsSection)
    """好差评 and the rectification of bad ratings."""

    retention: RetentionSection = Field(default_factory=RetentionSection)
    """How long records and keys are kept."""

    store: StoreSection = Field(default_factory=StoreSection)
    """The site's SQLite store."""

    crypto: CryptoSection = Field(default_factory=CryptoSection)
    """Encryption of personal data at rest."""

    calendar: CalendarSection = Field(default_factory=CalendarSection)
    """The working-day calendar."""

    sync: SyncSection = Field(default_factory=SyncSection)
    """Delivery of the site's records to the county hub."""

    kiosk: KioskSection = Field(default_factory=KioskSection)
    """The citizen's touchscreen."""

    @field_validator("printer_profiles")
    @classmethod
    def _keep_default_profile(cls, value: dict[str, PrinterProfile]) -> dict[str, PrinterProfile]:
        # Adding [printer_profiles.narrow] must not take away the profile devices fall back on.
        return value if "default" in value else {"default": PrinterProfile(), **value}

    @model_validator(mode="after")
    def _queue_consistent(self) -> SiteConfig:
        problems = []
        for prefix in self.categories:
            if not re.fullmatch(r"[A-Z]", prefix):
                problems.append((("categories", prefix),
                                 "a category is named by one capital letter, A to Z"))
        for number, window in self.windows.items():
            if not re.fullmatch(r"[0-9]{1,3}", number):
                problems.append((("windows", number),
                                 "a window is named by its number, 1 to 999"))
            for prefix in window.categories:
                if prefix not in self.categories:
                    problems.append((("windows", number, "categories"),
                                     f"no category {prefix!r} (known: "
                                     f"{', '.join(self.categories) or 'none'})"))
        if problems:
            raise _plain("; ".join(message for _, message in problems), problems=problems)
        return self

    @model_validator(mode="after")
    def _devices_usable(self) -> SiteConfig:
        # Checked here, at load, so a wrong driver, port or option stops the program with
        # its line instead of failing at the first print (devices.registry.check_device).
        from devices.registry import check_device

        known = ", ".join(self.printer_profiles) or "none defined"
        problems = []
        for role, device in self.devices.items():
            if device.printer_profile is not None and (
                device.printer_profile not in self.printer_profiles
            ):
                problems.append((
                    ("devices", role, "printer_profile"),
                    f"no printer profile named {device.printer_profile!r} "
                    f"(known profiles: {known})",
                ))
            problems += [
                (("devices", role, *where), message)
                for where, message in check_device(role, device.driver, device.port,
                                                   device.options)
            ]
        if problems:
            raise _plain("; ".join(message for _, message in problems), problems=problems)
        return self

    def printer_profile_for(self, role: Role) -> PrinterProfile:
        """The printer profile a device uses: its ``printer_profile``, else ``default``.

        :raises KeyError: if the role has no device, or it names no profile and there is no
            ``default`` profile.
        """
        name = self.devices[role].printer_profile or "default"
        return self.printer_profiles[name]
