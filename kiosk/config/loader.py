"""Read ``site.toml`` into a :class:`SiteConfig`, and write the documented example file.

Every problem in the file is reported at once, each with the file, line, dotted key and a
plain message a technician can act on::

    /var/lib/bianmin/site.toml:12: devices.ticket_printer: unknown key 'portt' (known keys: ...)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import textwrap
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticUndefined

from .schema import PLAIN_ERROR, ROLES, SiteConfig
from .toml_locate import locate

CONFIG_ENV = "BIANMIN_CONFIG"
CONFIG_FILE_NAME = "site.toml"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


# -- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a configuration file."""

    source: str
    """The file name (or whatever ``parse_config`` was told the text came from)."""
    line: int | None
    """1-based line in the file, or None when no line applies (e.g. the file is missing)."""
    key: str
    """Dotted key, e.g. ``devices.ticket_printer.port``; empty when no key applies."""
    message: str
    """What is wrong, in plain words."""

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(ValueError):
    """The configuration file cannot be used; ``problems`` says every reason, in file order."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# -- loading ---------------------------------------------------------------------------------


def find_config(
    option: Path | None, data_dir: Path, environ: Mapping[str, str] = os.environ
) -> Path | None:
    """The file to load: ``--config``, else ``$BIANMIN_CONFIG``, else ``<data_dir>/site.toml``.

    A file named by the option or the variable is returned even if it does not exist, so
    that :func:`load_config` reports it; the default file is returned only if it exists,
    and ``None`` (use the defaults) otherwise.
    """
    if option is not None:
        return option
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    default = data_dir / CONFIG_FILE_NAME
    return default if default.is_file() else None


def load_config(path: Path | None) -> SiteConfig:
    """Load and validate a configuration file; ``None`` gives the defaults.

    Relative ``calendar.override_file`` and ``crypto.key_file`` are made absolute against
    the file's folder (see :func:`resolve_relative`).

    :raises ConfigError: the file is missing, unreadable, not TOML or not a valid config.
    """
    if path is None:
        return SiteConfig()
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(source, None, "", "file not found")]) from None
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror or exc}"
        raise ConfigError([ConfigProblem(source, None, "", message)]) from None
    try:
        text = raw.decode("utf-8-sig")  # Windows Notepad may add a byte-order mark
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = "the file is not UTF-8 text; save it as UTF-8 (GBK is not accepted)"
        raise ConfigError([ConfigProblem(source, line, "", message)]) from None
    return resolve_relative(parse_config(text, source), path)


def parse_config(text: str, source: str) -> SiteConfig:
    """Validate TOML ``text``; ``source`` names it in error messages.

    Paths in the result are left as written (see :func:`resolve_relative`).

    :raises ConfigError: with one problem per mistake found.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(exc, text, source)]) from None
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, text, source)) from None


def resolve_relative(config: SiteConfig, config_path: Path) -> SiteConfig:
    """Return ``config`` with relative file paths made absolute against ``config_path``'s
    folder; empty and absolute paths are kept as they are."""
    base = Path(config_path).absolute().parent

    def resolved(value: str) -> str:
        return value if not value or Path(value).is_absolute() else str(base / value)

    calendar = config.calendar.model_copy(
        update={"override_file": resolved(config.calendar.override_file)}
    )
    crypto = config.crypto.model_copy(update={"key_file": resolved(config.crypto.key_file)})
    return config.model_copy(update={"calendar": calendar, "crypto": crypto})


# -- turning pydantic's errors into plain ones -----------------------------------------------


_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str, source: str) -> ConfigProblem:
    message = str(exc)
    match = _POSITION.search(message)
    line: int | None = None
    if match:
        message = message[: match.start()]
        if match.group(1):
            line = int(match.group(1))
            message += f" (column {match.group(2)})"
        else:
            line = max(1, len(text.rstrip("\n").split("\n")))
            message += " (at the end of the file)"
    if "Unescaped '\\'" in message:
        message += "; write Windows paths in single quotes ('C:\\data') or double each backslash"
    return ConfigProblem(source, line, "", f"not valid TOML: {message}")


def _problems(exc: ValidationError, text: str, source: str) -> list[ConfigProblem]:
    errors = exc.errors(include_url=False)
    bad_keys = {e["loc"][:-1] for e in errors if e["loc"] and e["loc"][-1] == "[key]"}
    problems: list[ConfigProblem] = []
    for error in errors:
        loc = error["loc"]
        if any(loc[: len(bad)] == bad and loc != (*bad, "[key]") for bad in bad_keys):
            continue  # the table's name is wrong; what is inside it does not matter yet
        for path, message in _explain(error):
            key = format_key(path)
            problems.append(ConfigProblem(source, locate(text, path), key, message))
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line is None, p.line or 0))


def _explain(error: ErrorDetails) -> Iterator[tuple[tuple[str | int, ...], str]]:
    kind, loc, value = error["type"], tuple(error["loc"]), error.get("input")
    ctx = error.get("ctx") or {}
    if loc and loc[-1] == "[key]":  # the name of a [table.<name>] is wrong
        if loc[:-2] == ("devices",):
            message = f"unknown device role {value!r} (known roles: {', '.join(ROLES)})"
        else:
            message = f"the name {value!r} is not allowed here ({_plain_default(error)})"
        yield loc[:-1], message
        return
    if kind == PLAIN_ERROR and "problems" in ctx:
        yield from ctx["problems"]
        return
    yield loc, _message(kind, loc, value, error)


def _message(kind: str, loc: tuple[str | int, ...], value: Any, error: ErrorDetails) -> str:
    annotation, field = _schema_at(loc)
    if kind == PLAIN_ERROR:
        return error["msg"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        parent, _ = _schema_at(loc[:-1])
        known = ", ".join(parent.model_fields) if _is_model(parent) else ""
        if parent is SiteConfig and isinstance(value, dict):
            return f"unknown section [{loc[-1]}] (known sections: {known})"
        return f"unknown key {loc[-1]!r} (known keys: {known})"
    if kind == "literal_error":
        choices = ", ".join(str(c) for c in get_args(annotation)) or error["ctx"]["expected"]
        return f"must be one of: {choices} (got {_show(value)})"
    expected = {
        "int_type": "an integer",
        "bool_type": "true or false",
        "string_type": "a string in quotes",
        "float_type": "a number",
        "model_type": "a table",
        "dict_type": "a table",
    }.get(kind)
    if expected:
        return f"expected {expected}, got {_describe(value)}"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return f"{_range_words(field) or _plain_default(error)} (got {_show(value)})"
    if kind == "string_too_short":
        return "must not be empty"
    return _plain_default(error)


def _plain_default(error: ErrorDetails) -> str:
    msg = error["msg"]
    return msg[0].lower() + msg[1:] if msg else error["type"]


def _show(value: Any) -> str:
    """A value as it would be written in TOML, for short messages."""
    if isinstance(value, bool | int | float | str):
        return toml_value(value)
    return _describe(value)


def _describe(value: Any) -> str:
    """Name a TOML value's type and show it, as ``a string ("30")``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a decimal number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({json.dumps(shown, ensure_ascii=False)})"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"a date or time ({value.isoformat()})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _range_words(field: FieldInfo | None) -> str:
    if field is None:
        return ""
    bounds: dict[str, Any] = {}
    for item in field.metadata:
        for name in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, name.capitalize())):
                bounds[name] = getattr(item, name)
    low = bounds.get("ge", bounds.get("gt"))
    high = bounds.get("le", bounds.get("lt"))
    if "ge" in bounds and "le" in bounds:
        return f"must be between {low} and {high}"
    words = []
    if "ge" in bounds:
        words.append(f"at least {low}")
    if "gt" in bounds:
        words.append(f"more than {low}")
    if "le" in bounds:
        words.append(f"at most {high}")
    if "lt" in bounds:
        words.append(f"less than {high}")
    return "must be " + " and ".join(words) if words else ""


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        if len(args) == 1:
            return args[0]
    return annotation


def _schema_at(loc: tuple[str | int, ...]) -> tuple[Any, FieldInfo | None]:
    """The annotation at ``loc`` in :class:`SiteConfig`, and the model field that holds it
    (None for dict entries); ``(None, None)`` if ``loc`` is not in the schema."""
    annotation: Any = SiteConfig
    field: FieldInfo | None = None
    for part in loc:
        annotation = _strip_optional(annotation)
        if _is_model(annotation):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None, None
            annotation = field.annotation
        elif get_origin(annotation) is dict:
            annotation, field = get_args(annotation)[1], None
        else:
            return None, None
    return _strip_optional(annotation), field


def format_key(path: tuple[str | int, ...]) -> str:
    """Write a key path as TOML would: ``devices.ticket_printer.port``, ``a."b.c"``, ``a[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = part if _BARE_KEY.fullmatch(part) else _toml_string(part)
        out = f"{out}.{text}" if out else text
    return out


# -- documentation: the example file and the field table -------------------------------------


@dataclass(frozen=True)
class FieldDoc:
    """One leaf key of the schema, as the docs and the example file describe it."""

    key: str
    """Dotted key with placeholders for table names: ``devices.<role>.port``."""
    type: str
    """The value's type in plain words."""
    default: str | None
    """The default written as TOML, or None if the key is required or has no value."""
    unit: str
    """The ``Unit: ...`` of the docstring, or empty."""
    doc: str
    """The field's docstring on one line, without the unit sentence."""
    allowed: str
    """Allowed values or range in words, or empty."""


_UNIT = re.compile(r"\s*Unit: (.+?)\.(?=\s|$)")


def field_docs(model: type[BaseModel] = SiteConfig, prefix: str = "") -> list[FieldDoc]:
    """Every leaf key of ``model``, depth first, in the order the schema defines them."""
    docs: list[FieldDoc] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = _strip_optional(field.annotation)
        if _is_model(annotation):
            docs.extend(field_docs(annotation, f"{key}."))
            continue
        if get_origin(annotation) is dict and _is_model(get_args(annotation)[1]):
            key_type, value_type = get_args(annotation)
            placeholder = "<role>" if get_origin(key_type) is Literal else "<name>"
            docs.extend(field_docs(value_type, f"{key}.{placeholder}."))
            continue
        text = " ".join((field.description or "").split())
        unit_match = _UNIT.search(text)
        unit = unit_match.group(1) if unit_match else ""
        doc = _UNIT.sub("", text).strip().replace("``", "`")
        default = _default_of(field)
        docs.append(
            FieldDoc(
                key=key,
                type=_type_words(annotation),
                default=None if default is None else toml_value(default),
                unit=unit,
                doc=doc,
                allowed=_allowed_words(annotation, field),
            )
        )
    return docs


def _default_of(field: FieldInfo) -> Any:
    if field.default_factory is not None:
        return field.default_factory()  # type: ignore[call-arg]
    return None if field.default is PydanticUndefined else field.default


def _type_words(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return "string" if all(isinstance(a, str) for a in get_args(annotation)) else "choice"
    if get_origin(annotation) is dict:
        if get_args(annotation)[1] is int:
            return "table of integers"
        return "table of strings, numbers or true/false"
    if get_origin(annotation) is list:
        return "array of strings"
    return {str: "string", int: "integer", float: "number", bool: "true/false"}.get(
        annotation, str(annotation)
    )


def _allowed_words(annotation: Any, field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if get_origin(annotation) is Literal:
        return "one of: " + ", ".join(str(a) for a in get_args(annotation))
    range_words = _range_words(field)
    if range_words:
        return range_words
    if any(getattr(item, "min_length", 0) for item in field.metadata):
        return "must not be empty"
    return ""


def _toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(value: Any) -> str:
    """``value`` written as TOML (a value, not a key): what dump_defaults writes, and what the
    setup wizard and the doctor's bundle write the configuration with."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{format_key((str(k),))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + ", ".join(items) + " }"
    raise TypeError(f"no TOML form for {value!r}")


_HEADER = """\
# Bianmin site configuration (site.toml).
#
# Every key is shown with its default value; a key or a whole section that is left out
# takes its default, so keep only what this site changes. Unknown keys are errors.
# Reference: docs/configuration.md
"""

_DEVICE_EXAMPLE = {
    "driver": "escpos-generic",
    "port": "serial:///dev/ttyUSB0?baud=115200",
    "printer_profile": "default",
    "options": {},
}


def _comment(text: str) -> list[str]:
    text = " ".join(text.replace("``", "`").split())
    return textwrap.wrap(
        text, 92, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False
    )


def _field_comment(field: FieldInfo, annotation: Any) -> list[str]:
    lines = _comment(field.description or "")
    allowed = _allowed_words(annotation, field)
    if allowed:
        lines += _comment(allowed[0].upper() + allowed[1:] + ".")
    return lines


def _table_lines(model: type[BaseModel], values: Mapping[str, Any], commented: bool) -> list[str]:
    lines: list[str] = []
    mark = "# " if commented else ""
    for name, field in model.model_fields.items():
        value = values.get(name)
        lines.append("")
        lines += [mark + line for line in _field_comment(field, _strip_optional(field.annotation))]
        if value is None:
            continue
        lines.append(f"{mark}{name} = {toml_value(value)}")
    return lines


def dump_defaults() -> str:
    """The documented example ``site.toml``: every section and key with its default and,
    above it, its docstring as a comment. It parses back to ``SiteConfig()``."""
    defaults = SiteConfig()
    lines = _HEADER.rstrip("\n").split("\n")
    for name, field in SiteConfig.model_fields.items():
        annotation = field.annotation
        lines.append("")
        lines += _comment(field.description or "")
        if _is_model(annotation):
            section = getattr(defaults, name)
            lines.append(f"[{name}]")
            lines += _table_lines(annotation, section.model_dump(), commented=False)
            continue
        key_type, value_type = get_args(annotation)
        entries: dict[str, BaseModel] = getattr(defaults, name)
        if get_origin(key_type) is Literal:
            lines += _comment("Roles: " + ", ".join(get_args(key_type)) + ".")
        if entries:
            for entry_name, entry in entries.items():
                lines.append(f"[{format_key((name, entry_name))}]")
                lines += _table_lines(value_type, entry.model_dump(), commented=False)
        else:
            lines.append("#")
            lines.append(f"# [{name}.receipt_printer]")
            lines += _table_lines(value_type, _DEVICE_EXAMPLE, commented=True)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
