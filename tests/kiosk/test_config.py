"""The site configuration: schema defaults, documentation, plain errors with lines, locate()."""

from __future__ import annotations

import re
import tomllib
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from kiosk.config import (
    CalendarSection,
    CategoryConfig,
    ConfigError,
    ConfigProblem,
    CryptoSection,
    DeviceConfig,
    KioskSection,
    PrinterProfile,
    QueueSection,
    RatingsSection,
    RetentionSection,
    SiteConfig,
    SiteSection,
    StationSection,
    StoreSection,
    SyncSection,
    WindowConfig,
    dump_defaults,
    field_docs,
    find_config,
    format_key,
    load_config,
    locate,
    parse_config,
    resolve_relative,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"

FULL_EXAMPLE = """\
[site]
code = "330110-105-007"
name = "上村便民服务站"
kind = "village"
township = "良渚街道"
village = "上村"
timezone = "Asia/Urumqi"

[station]
host = "0.0.0.0"
port = 9000

[printer_profiles.default]
encoding = "gbk"

[printer_profiles."58mm"]
encoding = "gb18030"
paper_width_mm = 58
dots_per_line = 384
chars_per_line = 32
cut = false
image_fallback = false

[devices.id_card_reader]
driver = "ga467-sam"
port = "serial:///dev/ttyUSB0?baud=115200"

[devices.ticket_printer]
driver = "escpos-generic"
port = "usb://0416:5011"
printer_profile = "58mm"

[devices.receipt_printer]
driver = "escpos-generic"
port = "tcp://192.168.1.50:9100"

[devices.rating_terminal]
driver = "bianmin-rating-v1"
port = "sim://rating?auto=4"

[devices.announcer]
driver = "clips"
port = "sim://announcer"
options = { voice = "cmn-latn-pinyin", timeout_s = 10.0, volume = 80, chime = true }

[queue]
reset_hour = 4
elderly_age = 65
ageing_minutes = 20
idle_timeout_s = 90

[retention]
shred_grace_days = 7
outbox_acked_keep_days = 30
audit_keep_days = 2000
orphan_blob_minutes = 15

[store]
busy_timeout_ms = 5000

[crypto]
cipher = "sm4-gcm"
key_file = "/etc/bianmin/site.key"
credential_name = "site-key"

[calendar]
override_file = "holidays.toml"
"""


# -- defaults, a full file, the example file ----------------------------------------------


def test_empty_text_gives_the_schema_defaults() -> None:
    config = parse_config("", "empty.toml")

    assert config == SiteConfig()
    assert config.site.code == "DEMO-0001"
    assert config.site.kind == "township"
    assert config.site.timezone == "Asia/Shanghai"
    assert config.station.port == 8470
    assert config.printer_profiles == {"default": PrinterProfile()}
    assert config.printer_profiles["default"].paper_width_mm == 80
    assert config.devices == {}
    assert config.queue.idle_timeout_s == 60
    assert config.retention.audit_keep_days == 1095
    assert config.store.busy_timeout_ms == 30000
    assert config.crypto.cipher == "aes-256-gcm"
    assert config.calendar.override_file == ""


def test_a_full_file_parses_into_every_section() -> None:
    config = parse_config(FULL_EXAMPLE, "full.toml")

    assert config.site.kind == "village"
    assert config.site.village == "上村"
    assert config.site.timezone == "Asia/Urumqi"
    assert config.station.port == 9000
    assert set(config.printer_profiles) == {"default", "58mm"}
    assert config.printer_profiles["default"].encoding == "gbk"
    assert config.printer_profiles["default"].paper_width_mm == 80  # the rest stays default
    assert config.printer_profiles["58mm"].chars_per_line == 32
    assert config.printer_profiles["58mm"].cut is False
    assert set(config.devices) == {
        "id_card_reader",
        "ticket_printer",
        "receipt_printer",
        "rating_terminal",
        "announcer",
    }
    assert config.devices["ticket_printer"].port == "usb://0416:5011"
    assert config.devices["announcer"].options == {
        "voice": "cmn-latn-pinyin",
        "timeout_s": 10.0,
        "volume": 80,
        "chime": True,
    }
    assert config.printer_profile_for("ticket_printer").paper_width_mm == 58
    assert config.printer_profile_for("receipt_printer").encoding == "gbk"  # the default one
    assert config.queue.reset_hour == 4
    assert config.retention.orphan_blob_minutes == 15
    assert config.store.busy_timeout_ms == 5000
    assert config.crypto.cipher == "sm4-gcm"
    assert config.calendar.override_file == "holidays.toml"  # parse_config leaves paths


def test_the_default_printer_profile_stays_when_others_are_added() -> None:
    config = parse_config("[printer_profiles.narrow]\npaper_width_mm = 58\n", "site.toml")

    assert list(config.printer_profiles) == ["default", "narrow"]
    assert config.printer_profiles["default"] == PrinterProfile()


def test_the_config_is_frozen() -> None:
    config = SiteConfig()
    with pytest.raises(ValidationError):
        config.station.port = 1  # type: ignore[misc]


def test_dump_defaults_parses_back_to_the_defaults() -> None:
    text = dump_defaults()

    assert parse_config(text, "defaults.toml") == SiteConfig()
    # Every default is written out, not just left to the schema (devices has none).
    written = tomllib.loads(text)
    expected = SiteConfig().model_dump(exclude={"devices"})
    assert written == expected


def test_dump_defaults_comments_each_key_with_its_docstring() -> None:
    text = " ".join(line.lstrip("# ") for line in dump_defaults().splitlines())
    text = " ".join(text.split())
    for doc in field_docs():
        first_words = " ".join(doc.doc.split()[:6])
        assert first_words in text, doc.key
        name = doc.key.rsplit(".", 1)[1]
        assert re.search(rf"^(# )?{name} = ", dump_defaults(), re.MULTILINE), doc.key


# -- every field documented with its unit ------------------------------------------------


def _models_under(model: type[BaseModel]) -> set[type[BaseModel]]:
    """``model`` and every model reachable through its fields (dict values, optionals)."""
    found = {model}
    for field in model.model_fields.values():
        pending = [field.annotation]
        while pending:
            annotation = pending.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                if annotation not in found:
                    found |= _models_under(annotation)
            else:
                pending.extend(typing.get_args(annotation))
    return found


def _is_number(annotation: object) -> bool:
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_number(a) for a in typing.get_args(annotation))
    return False


def test_the_walk_reaches_every_section_model() -> None:
    assert _models_under(SiteConfig) == {
        SiteConfig,
        SiteSection,
        StationSection,
        PrinterProfile,
        DeviceConfig,
        QueueSection,
        RetentionSection,
        StoreSection,
        CryptoSection,
        CalendarSection,
        CategoryConfig,
        WindowConfig,
        RatingsSection,
        SyncSection,
        KioskSection,
    }


@pytest.mark.parametrize("model", sorted(_models_under(SiteConfig), key=lambda m: m.__name__))
def test_every_field_has_a_docstring_and_numbers_have_a_unit(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("strict") is True
    assert model.model_config.get("frozen") is True
    assert model.model_config.get("use_attribute_docstrings") is True
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no docstring"
        if _is_number(field.annotation):
            assert "Unit:" in field.description, f"{model.__name__}.{name} has no unit"


def test_number_fields_exist_so_the_unit_check_checks_something() -> None:
    numbers = [
        f"{model.__name__}.{name}"
        for model in _models_under(SiteConfig)
        for name, field in model.model_fields.items()
        if _is_number(field.annotation)
    ]
    assert "StationSection.port" in numbers
    assert "StoreSection.busy_timeout_ms" in numbers
    assert len(numbers) >= 12


# -- rejections: line, key and words ------------------------------------------------------

REJECTIONS = [
    pytest.param(
        "[site]\ncode = 'X'\n\n[sitee]\ncode = 'Y'\n",
        4,
        "sitee",
        ["unknown section [sitee]", "known sections: site, station"],
        id="unknown-top-level-section",
    ),
    pytest.param(
        '[devices.ticket_printer]\ndriver = "escpos-generic"\nport = "sim://p"\nportt = "x"\n',
        4,
        "devices.ticket_printer.portt",
        ["unknown key 'portt' (known keys: driver, port, printer_profile, options)"],
        id="unknown-key-in-device",
    ),
    pytest.param(
        '[queue]\nelderly_age = 60\nidle_timeout_s = "30"\n',
        3,
        "queue.idle_timeout_s",
        ['expected an integer, got a string ("30")'],
        id="string-for-integer",
    ),
    pytest.param(
        '[printer_profiles.default]\ncut = "yes"\n',
        2,
        "printer_profiles.default.cut",
        ['expected true or false, got a string ("yes")'],
        id="string-for-bool",
    ),
    pytest.param(
        "[station]\nport = true\n",
        2,
        "station.port",
        ["expected an integer, got true"],
        id="bool-for-integer",
    ),
    pytest.param(
        "[site]\nname = 5\n",
        2,
        "site.name",
        ["expected a string", "got an integer (5)"],
        id="integer-for-string",
    ),
    pytest.param(
        '# a comment\n[site]\nkind = "city"\n',
        3,
        "site.kind",
        ["must be one of: township, village", '"city"'],
        id="bad-literal",
    ),
    pytest.param(
        '[devices.receipt_printer]\ndriver = "escpos-generic"\nport = "COM3"\n',
        3,
        "devices.receipt_printer.port",
        ["not a device URL", "serial://", "sim://", "did you mean 'serial://COM3'"],
        id="bad-port-scheme",
    ),
    pytest.param(
        '[devices.receipt_printer]\ndriver = "escpos-generic"\nport = "http://printer"\n',
        3,
        "devices.receipt_printer.port",
        ["not a device URL", "usb://, tcp://, file://"],
        id="unknown-port-scheme",
    ),
    pytest.param(
        "[printer_profiles.narrow]\npaper_width_mm = 58\n\n[devices.ticket_printer]\n"
        'driver = "escpos-generic"\nport = "sim://printer"\nprinter_profile = "wide"\n',
        7,
        "devices.ticket_printer.printer_profile",
        ["no printer profile named 'wide'", "known profiles: default, narrow"],
        id="unknown-printer-profile",
    ),
    pytest.param(
        '[devices.scanner]\ndriver = "x"\nport = "sim://x"\n',
        1,
        "devices.scanner",
        ["unknown device role 'scanner'", "code_scanner"],
        id="unknown-device-role",
    ),
    pytest.param(
        '[station]\nhost = "0.0.0.0"\nport = 70000\n',
        3,
        "station.port",
        ["must be between 1 and 65535", "70000"],
        id="port-out-of-range",
    ),
    pytest.param(
        "[queue]\nreset_hour = 24\n",
        2,
        "queue.reset_hour",
        ["must be between 0 and 23"],
        id="hour-out-of-range",
    ),
    pytest.param(
        "[printer_profiles.default]\npaper_width_mm = 57\n",
        2,
        "printer_profiles.default.paper_width_mm",
        ["must be 58 or 80"],
        id="paper-width",
    ),
    pytest.param(
        '[site]\ntimezone = "Asia/Shangai"\n',
        2,
        "site.timezone",
        ["unknown time zone 'Asia/Shangai'"],
        id="unknown-time-zone",
    ),
    pytest.param(
        '\n\n[devices.id_card_reader]\ndriver = "ga467-sam"\n',
        3,
        "devices.id_card_reader.port",
        ["required key is missing"],
        id="missing-required-key",
    ),
    pytest.param(
        'site = "x"\n',
        1,
        "site",
        ["expected a table", 'got a string ("x")'],
        id="value-for-table",
    ),
    pytest.param(
        '[devices.code_scanner]\ndriver = "wedge"\nport = "sim://s"\noptions = { keys = [1, 2] }\n',
        4,
        "devices.code_scanner.options.keys",
        ["must be a string, a number or true/false, got an array"],
        id="array-option",
    ),
    pytest.param(
        '[site]\ncode = "a"\nname = "unterminated\n[station]\n',
        3,
        "",
        ["not valid TOML"],
        id="toml-syntax-error",
    ),
    pytest.param(
        '[crypto]\n\nkey_file = "C:\\bianmin\\site.key"\n',
        3,
        "",
        ["not valid TOML", "single quotes"],
        id="windows-path-in-double-quotes",
    ),
]


@pytest.mark.parametrize(("text", "line", "key", "words"), REJECTIONS)
def test_rejections_name_the_line_the_key_and_the_problem(
    text: str, line: int, key: str, words: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "site.toml")

    [problem] = caught.value.problems
    assert (problem.source, problem.line, problem.key) == ("site.toml", line, key)
    for word in words:
        assert word in problem.message
    assert "Input should" not in problem.message  # no pydantic wording leaks through
    assert str(caught.value) == str(problem)
    assert str(problem).startswith(f"site.toml:{line}: ")


def test_several_problems_are_reported_at_once_in_file_order() -> None:
    # The file order differs from the schema's order (queue is after station there).
    text = (
        "[queue]\n"  # 1
        'ageing_minutes = "30"\n'  # 2
        "\n"  # 3
        "[devices.ticket_printer]\n"  # 4
        'driver = "escpos-generic"\n'  # 5
        'portt = "sim://p"\n'  # 6
        "\n"  # 7
        "[station]\n"  # 8
        "port = 0\n"  # 9
        "[bogus]\n"  # 10
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "site.toml")

    got = [(p.line, p.key) for p in caught.value.problems]
    assert got == [
        (2, "queue.ageing_minutes"),
        (4, "devices.ticket_printer.port"),
        (6, "devices.ticket_printer.portt"),
        (9, "station.port"),
        (10, "bogus"),
    ]
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]
    assert str(caught.value).splitlines()[1] == (
        "site.toml:4: devices.ticket_printer.port: required key is missing"
    )


def test_two_bad_printer_profile_references_are_two_problems() -> None:
    text = (
        '[devices.ticket_printer]\ndriver = "escpos-generic"\nport = "sim://printer"\n'
        'printer_profile = "a"\n'
        '[devices.receipt_printer]\ndriver = "escpos-generic"\nport = "sim://printer"\n'
        'printer_profile = "b"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "site.toml")

    assert [(p.line, p.key) for p in caught.value.problems] == [
        (4, "devices.ticket_printer.printer_profile"),
        (8, "devices.receipt_printer.printer_profile"),
    ]


def test_an_unknown_role_hides_the_problems_inside_its_table() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("[devices.printer]\nportt = 1\n", "site.toml")

    assert [p.key for p in caught.value.problems] == ["devices.printer"]


def test_a_syntax_error_at_the_end_of_the_file_points_at_the_last_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("[site]\ncode = \n", "site.toml")

    [problem] = caught.value.problems
    assert problem.line == 2
    assert "not valid TOML" in problem.message


def test_a_problem_without_line_or_key_prints_without_them() -> None:
    assert str(ConfigProblem("a.toml", None, "", "file not found")) == "a.toml: file not found"
    assert str(ConfigProblem("a.toml", 3, "site.kind", "bad")) == "a.toml:3: site.kind: bad"
    assert isinstance(ConfigError([]), ValueError)


def test_format_key_quotes_what_is_not_a_bare_key() -> None:
    assert format_key(("devices", "ticket_printer", "port")) == "devices.ticket_printer.port"
    assert format_key(("printer_profiles", "58 mm", "cut")) == 'printer_profiles."58 mm".cut'
    assert format_key(("a", 0, "b")) == "a[0].b"


def test_a_quoted_profile_name_is_located_and_quoted_in_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config('[printer_profiles."58 mm"]\n\ncut = 1\n', "site.toml")

    [problem] = caught.value.problems
    assert (problem.line, problem.key) == (3, 'printer_profiles."58 mm".cut')


# -- loading files ------------------------------------------------------------------------


def test_load_config_none_gives_the_defaults() -> None:
    assert load_config(None) == SiteConfig()


def test_load_config_of_a_named_missing_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing)

    assert caught.value.problems == [ConfigProblem(str(missing), None, "", "file not found")]


def test_load_config_resolves_relative_paths_against_the_file_folder(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "site.toml"
    path.parent.mkdir()
    path.write_text(
        '[calendar]\noverride_file = "holidays.toml"\n[crypto]\nkey_file = "/srv/k.key"\n',
        encoding="utf-8",
    )

    config = load_config(path)

    assert config.calendar.override_file == str(tmp_path / "etc" / "holidays.toml")
    assert config.crypto.key_file == "/srv/k.key"


def test_resolve_relative_keeps_empty_paths_empty() -> None:
    config = resolve_relative(SiteConfig(), Path("/etc/bianmin/site.toml"))

    assert config.calendar.override_file == ""
    assert config.crypto.key_file == ""


def test_resolve_relative_resolves_the_key_file() -> None:
    config = parse_config('[crypto]\nkey_file = "keys/site.key"\n', "site.toml")

    resolved = resolve_relative(config, Path("/etc/bianmin/site.toml"))

    assert resolved.crypto.key_file == str(Path("/etc/bianmin/keys/site.key"))
    assert config.crypto.key_file == "keys/site.key"  # the original is untouched


def test_load_config_reports_the_file_name_and_accepts_a_byte_order_mark(
    tmp_path: Path,
) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes('\ufeff[site]\nname = "上村"\n'.encode())
    assert load_config(path).site.name == "上村"

    path.write_bytes(b"[site]\nname = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:2: site.name: expected a string")


def test_load_config_rejects_gbk_text_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes('[site]\nname = "上村"\n'.encode("gbk"))

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    [problem] = caught.value.problems
    assert problem.line == 2
    assert "UTF-8" in problem.message


def test_find_config_prefers_the_option_then_the_environment(tmp_path: Path) -> None:
    option = tmp_path / "option.toml"
    env = {"BIANMIN_CONFIG": str(tmp_path / "env.toml")}

    assert find_config(option, tmp_path, env) == option
    assert find_config(None, tmp_path, env) == tmp_path / "env.toml"
    assert find_config(None, tmp_path, {}) is None  # no site.toml: use the defaults
    (tmp_path / "site.toml").write_text("", encoding="utf-8")
    assert find_config(None, tmp_path, {}) == tmp_path / "site.toml"


# -- locate() -----------------------------------------------------------------------------


def test_locate_finds_tables_and_keys() -> None:
    text = (
        "top = 1\n"  # 1
        "\n"  # 2
        "[site]\n"  # 3
        "code = 'X'\n"  # 4
        '  name = "N"  # trailing comment\n'  # 5
        "[station]\n"  # 6
        "port = 1\n"  # 7
    )

    assert locate(text, ("top",)) == 1
    assert locate(text, ("site",)) == 3
    assert locate(text, ("site", "code")) == 4
    assert locate(text, ("site", "name")) == 5
    assert locate(text, ("station", "port")) == 7


def test_locate_falls_back_to_the_deepest_enclosing_table() -> None:
    text = "[site]\ncode = 'X'\n\n[devices.ticket_printer]\ndriver = 'd'\n"

    assert locate(text, ("site", "kind")) == 1
    assert locate(text, ("devices", "ticket_printer", "port")) == 4
    assert locate(text, ("devices",)) == 4  # defined implicitly by its sub-table
    assert locate(text, ("devices", "receipt_printer", "port")) == 4
    assert locate(text, ("queue", "reset_hour")) is None
    assert locate(text, ()) is None


def test_locate_prefers_an_explicit_table_over_an_implicit_one() -> None:
    text = "[devices.ticket_printer]\ndriver = 'd'\n[devices]\n"

    assert locate(text, ("devices",)) == 3
    assert locate(text, ("devices", "receipt_printer")) == 3


def test_locate_dotted_keys() -> None:
    text = "[devices]\nticket_printer.driver = 'd'\nticket_printer . port = 'p'\n"

    assert locate(text, ("devices", "ticket_printer", "driver")) == 2
    assert locate(text, ("devices", "ticket_printer", "port")) == 3
    assert locate(text, ("devices", "ticket_printer")) == 2
    assert locate(text, ("devices", "ticket_printer", "options")) == 2


def test_locate_quoted_keys() -> None:
    text = (
        '[printer_profiles."58.mm"]\n'
        "cut = false\n"
        '[ \'literal key\' . "a\\"b" ]\n'
        '"quoted" = 1\n'
        "'single' = 2\n"
    )

    assert locate(text, ("printer_profiles", "58.mm", "cut")) == 2
    # "58.mm" is one key: the split path only reaches the enclosing printer_profiles.
    assert locate(text, ("printer_profiles", "58", "mm", "cut")) == 1
    assert locate(text, ("literal key", 'a"b')) == 3
    assert locate(text, ("literal key", 'a"b', "quoted")) == 4
    assert locate(text, ("literal key", 'a"b', "single")) == 5


def test_locate_arrays_of_tables() -> None:
    text = (
        "[[fruit]]\n"  # 1
        "name = 'apple'\n"  # 2
        "[[fruit.variety]]\n"  # 3
        "name = 'red'\n"  # 4
        "[[fruit.variety]]\n"  # 5
        "name = 'green'\n"  # 6
        "[[fruit]]\n"  # 7
        "name = 'pear'\n"  # 8
        "[[fruit.variety]]\n"  # 9
        "name = 'nashi'\n"  # 10
        "[fruit.shape]\n"  # 11
        "round = true\n"  # 12
    )

    assert locate(text, ("fruit",)) == 1
    assert locate(text, ("fruit", 0, "name")) == 2
    assert locate(text, ("fruit", 0, "variety", 1, "name")) == 6
    assert locate(text, ("fruit", 1)) == 7
    assert locate(text, ("fruit", 1, "name")) == 8
    assert locate(text, ("fruit", 1, "variety", 0, "name")) == 10
    assert locate(text, ("fruit", 1, "shape", "round")) == 12
    assert locate(text, ("fruit", 0, "shape")) == 1


def test_locate_inline_tables_and_arrays() -> None:
    text = (
        "[devices.code_scanner]\n"  # 1
        "options = { a = 1, b = { c = 'x,}' } }\n"  # 2
        "list = [\n"  # 3
        "  1,  # one, two\n"  # 4
        "  { name = 'n' },\n"  # 5
        "]\n"  # 6
        "after = 3\n"  # 7
    )

    assert locate(text, ("devices", "code_scanner", "options")) == 2
    assert locate(text, ("devices", "code_scanner", "options", "a")) == 2
    assert locate(text, ("devices", "code_scanner", "options", "b", "c")) == 2
    assert locate(text, ("devices", "code_scanner", "options", "zz")) == 2
    assert locate(text, ("devices", "code_scanner", "list", 0)) == 4
    assert locate(text, ("devices", "code_scanner", "list", 1, "name")) == 5
    assert locate(text, ("devices", "code_scanner", "after")) == 7


def test_locate_ignores_comments() -> None:
    text = "# [site]\n# code = 1\n[station] # [site]\n#port = 1\nhost = 'h' # port = 2\n"

    assert locate(text, ("site",)) is None
    assert locate(text, ("station", "port")) == 3
    assert locate(text, ("station", "host")) == 5


def test_locate_skips_keys_inside_multiline_strings_and_arrays() -> None:
    text = (
        'a = """\n'  # 1
        "[site]\n"  # 2
        'code = "inside"\n'  # 3
        '\\"""\n'  # 4: an escaped quote, the string goes on
        '"""\n'  # 5
        "b = '''\n"  # 6
        "[station]\n"  # 7
        "'''\n"  # 8
        "c = [\n"  # 9
        "  '[queue]',\n"  # 10
        '  """\n'  # 11
        "reset_hour = 1\n"  # 12
        '  """,\n'  # 13
        "]\n"  # 14
        "[site]\n"  # 15
        "code = 'real'\n"  # 16
    )
    assert tomllib.loads(text)["site"]["code"] == "real"  # the fixture is valid TOML

    assert locate(text, ("site",)) == 15
    assert locate(text, ("site", "code")) == 16
    assert locate(text, ("station",)) is None
    assert locate(text, ("queue",)) is None
    assert locate(text, ("reset_hour",)) is None
    assert locate(text, ("b",)) == 6
    assert locate(text, ("c", 1)) == 11


def test_locate_multiline_strings_ending_in_quotes() -> None:
    # Up to two quotes before the closing three belong to the string: """say "hi"""" is say "hi".
    text = 'c = ["""say "hi"""", \'\'\'it\'s\'\'\'\'\', """x""",\n  2]\nd = 1\n'
    assert tomllib.loads(text)["c"] == ['say "hi"', "it's''", "x", 2]

    assert locate(text, ("c", 3)) == 2
    assert locate(text, ("d",)) == 3


def test_locate_survives_broken_text() -> None:
    text = '[site\ncode = "unterminated\n= 5\n[station]\nport = 1\n"""never closed\n'

    assert locate(text, ("station", "port")) == 5


# -- docs/configuration.md ----------------------------------------------------------------


def _doc_text() -> str:
    return DOCS.read_text(encoding="utf-8")


def test_the_docs_table_lists_every_key_with_its_default_and_unit() -> None:
    rows = [line for line in _doc_text().splitlines() if line.startswith("| `")]
    for doc in field_docs():
        matching = [row for row in rows if row.startswith(f"| `{doc.key}` |")]
        assert matching, f"docs/configuration.md has no row for {doc.key}"
        cells = [cell.strip() for cell in matching[0].strip("|").split("|")]
        if doc.default is not None:
            assert cells[2] == f"`{doc.default}`", doc.key
        assert cells[3] == (doc.unit or "—"), doc.key
    assert len(rows) == len(field_docs())  # and no key the schema does not have


def _toml_blocks(text: str) -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def test_the_docs_example_is_a_valid_config() -> None:
    example = _toml_blocks(_doc_text())[0]

    config = parse_config(example, "docs example")

    assert config.site.kind == "village"
    assert config.devices  # the example shows devices


def test_the_docs_show_the_current_dump_defaults() -> None:
    assert _toml_blocks(_doc_text())[-1] == dump_defaults()
