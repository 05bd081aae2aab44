"""The site configuration: ``site.toml`` read into a typed, documented schema.

``load_config(path)`` returns a :class:`SiteConfig` or raises :class:`ConfigError` listing
every problem with its file, line and key.  The config object is passed in to whoever
needs it; nothing reads a global.
"""

from .loader import (
    CONFIG_ENV,
    CONFIG_FILE_NAME,
    ConfigError,
    ConfigProblem,
    FieldDoc,
    dump_defaults,
    field_docs,
    find_config,
    format_key,
    load_config,
    parse_config,
    resolve_relative,
    toml_value,
)
from .schema import (
    PORT_SCHEMES,
    ROLES,
    CalendarSection,
    CategoryConfig,
    CryptoSection,
    DeviceConfig,
    KioskSection,
    PrinterProfile,
    QueueSection,
    RatingsSection,
    RetentionSection,
    Role,
    SiteConfig,
    SiteSection,
    StationSection,
    StoreSection,
    SyncSection,
    WindowConfig,
)
from .toml_locate import locate

__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILE_NAME",
    "PORT_SCHEMES",
    "ROLES",
    "CalendarSection",
    "CategoryConfig",
    "ConfigError",
    "ConfigProblem",
    "CryptoSection",
    "DeviceConfig",
    "FieldDoc",
    "KioskSection",
    "PrinterProfile",
    "QueueSection",
    "RatingsSection",
    "RetentionSection",
    "Role",
    "SiteConfig",
    "SiteSection",
    "StationSection",
    "StoreSection",
    "SyncSection",
    "WindowConfig",
    "dump_defaults",
    "field_docs",
    "find_config",
    "format_key",
    "load_config",
    "locate",
    "parse_config",
    "resolve_relative",
    "toml_value",
]
