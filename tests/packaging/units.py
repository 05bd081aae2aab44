"""Reading the package's files as systemd, udev and dpkg read them (helpers for the tests)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SYSTEMD = PACKAGING / "systemd"
DEB = PACKAGING / "deb"
UNITS = sorted([*SYSTEMD.glob("*.service"), *SYSTEMD.glob("*.timer")])

Unit = dict[str, dict[str, list[str]]]


def read_unit(path: Path) -> Unit:
    """``{section: {key: [values...]}}``: systemd allows a key more than once (After=, ...)."""
    unit: Unit = {}
    section = None
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        assert not line.endswith("\\"), f"{path.name}:{number}: keep each setting on one line"
        if line.startswith("["):
            assert line.endswith("]"), f"{path.name}:{number}: {line}"
            section = line[1:-1]
            assert section not in unit, f"{path.name}:{number}: [{section}] twice"
            unit[section] = {}
            continue
        assert section is not None, f"{path.name}:{number}: a setting before any section"
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", key), f"{path.name}:{number}: {line}"
        unit[section].setdefault(key, []).append(value.strip())
    return unit


def one(unit: Unit, section: str, key: str) -> str:
    values = unit.get(section, {}).get(key, [])
    assert len(values) == 1, f"[{section}] {key}: {values}"
    return values[0]


def every(unit: Unit, section: str, key: str) -> list[str]:
    """All values of a key, list settings (After=a b) split into their items."""
    return [item for value in unit.get(section, {}).get(key, []) for item in value.split()]


def sysusers() -> list[list[str]]:
    """The sysusers.d lines as fields (quoted GECOS kept as one field)."""
    lines = []
    for raw in (PACKAGING / "sysusers.d" / "bianmin.conf").read_text("utf-8").splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            lines.append(re.findall(r'"[^"]*"|\S+', raw))
    return lines


def package_names(field: str) -> list[str]:
    """The package names of a control field (Depends:, Recommends:) of control.in."""
    text = (DEB / "control.in").read_text("utf-8")
    match = re.search(rf"^{field}: (.*)$", text, flags=re.MULTILINE)
    assert match, f"no {field}: in control.in"
    names = []
    for relation in match.group(1).split(","):
        for alternative in relation.split("|"):
            names.append(re.sub(r"\s*\(.*\)", "", alternative).strip())
    return names


def debian_packages() -> set[str]:
    text = (PACKAGING / "debian-packages.txt").read_text("utf-8")
    return {line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")}
