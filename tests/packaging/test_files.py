"""The package's other files: udev rules, sysusers and tmpfiles entries (applied by systemd's
own tools to a scratch root), the maintainer scripts (sh -n, shellcheck) and the control
template (its Depends are the Debian packages the project lists)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from .units import DEB, PACKAGING, debian_packages, package_names, sysusers

SCRIPTS = [DEB / name for name in ("preinst", "postinst", "prerm", "postrm", "bianmin",
                                   "store-upgrade", "build.sh")] + [
    PACKAGING / "check_install.sh"]
RULES = PACKAGING / "udev" / "70-bianmin.rules"

# udev(7): keys that match, keys that assign, and the operators of each.
MATCH_KEYS = re.compile(r"^(ACTION|DEVPATH|KERNEL|NAME|SYMLINK|SUBSYSTEM|DRIVER|KERNELS|"
                        r"SUBSYSTEMS|DRIVERS|TAG|TAGS|PROGRAM|RESULT|TEST(\{\d+\})?|"
                        r"(ATTR|ATTRS|SYSCTL|ENV|CONST)\{[^}]+\})$")
ASSIGN_KEYS = re.compile(r"^(OWNER|GROUP|MODE|TAG|SYMLINK|NAME|RUN(\{\w+\})?|LABEL|GOTO|"
                         r"OPTIONS|IMPORT\{\w+\}|(ATTR|ENV|SYSCTL)\{[^}]+\})$")
TOKEN = re.compile(r'\s*([A-Z]+(?:\{[^}]*\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')


def _rules() -> list[tuple[int, list[tuple[str, str, str]]]]:
    rules = []
    for number, raw in enumerate(RULES.read_text("utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens, pos = [], 0
        while pos < len(line):
            match = TOKEN.match(line, pos)
            assert match, f"{RULES.name}:{number}: cannot read {line[pos:]!r}"
            tokens.append(match.groups())
            pos = match.end()
        rules.append((number, tokens))
    return rules


def test_the_udev_rules_are_well_formed() -> None:
    groups = {fields[1] for fields in sysusers() if fields[0] in ("u", "g")}
    rules = _rules()
    assert len(rules) >= 10
    for number, tokens in rules:
        matches = [t for t in tokens if t[1] in ("==", "!=")]
        assigns = [t for t in tokens if t[1] not in ("==", "!=")]
        assert matches and assigns, f"line {number}: a rule needs a match and an assignment"
        for key, _op, _value in matches:
            assert MATCH_KEYS.match(key), f"line {number}: {key} cannot be matched"
        for key, _op, value in assigns:
            assert ASSIGN_KEYS.match(key), f"line {number}: {key} cannot be assigned"
            if key == "GROUP":
                assert value in groups, f"line {number}: group {value} is not the package's"
            if key == "MODE":
                assert value == "0660", f"line {number}: devices are for owner and group"


def test_the_udev_rules_cover_every_kind_of_device() -> None:
    text = RULES.read_text("utf-8")
    for needle in ['SUBSYSTEM=="tty"', "ttyUSB", "ttyACM", "ttyS", '"1a86|10c4|0403|067b"',
                   '"0400"', '"c35a"', 'SUBSYSTEM=="usbmisc"', "*:0701*",
                   'SUBSYSTEM=="hidraw"', 'SUBSYSTEM=="input"', 'SUBSYSTEM=="video4linux"']:
        assert needle in text, needle


def test_a_broken_udev_rule_is_noticed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.rules"
    broken.write_text('SUBSYSTEM=="tty", GROUP="bianmin", MODE="0660\n')
    monkeypatch.setattr(f"{__name__}.RULES", broken)
    with pytest.raises(AssertionError, match="cannot read"):
        _rules()


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: sh packaging/system-deps.sh installs it (systemd)"
    return path


def test_sysusers_and_tmpfiles_make_the_users_and_directories(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    # The groups Debian has before our package (basic.conf): the kiosk user joins them.
    (root / "etc/group").write_text("video:x:44:\naudio:x:29:\ninput:x:105:\nrender:x:108:\n")
    subprocess.run([_tool("systemd-sysusers"), f"--root={root}",
                    str(PACKAGING / "sysusers.d/bianmin.conf")],
                   check=True, capture_output=True, timeout=30)
    passwd = {line.split(":")[0]: line.split(":") for line in
              (root / "etc/passwd").read_text().splitlines()}
    assert passwd["bianmin"][5] == "/var/lib/bianmin"
    assert passwd["bianmin"][6] == "/usr/sbin/nologin"
    group = {line.split(":")[0]: line.split(":")[3].split(",") for line in
             (root / "etc/group").read_text().splitlines()}
    for name in ("bianmin", "video", "input", "audio", "render"):
        assert "bianmin-kiosk" in group[name], name
    subprocess.run([_tool("systemd-tmpfiles"), f"--root={root}", "--create",
                    str(PACKAGING / "tmpfiles.d/bianmin.conf")],
                   check=True, capture_output=True, timeout=30)
    uid = {name: int(fields[2]) for name, fields in passwd.items()}
    for path, mode, owner in [("var/lib/bianmin", 0o700, "bianmin"),
                              ("var/lib/bianmin/backups", 0o700, "bianmin"),
                              ("var/lib/bianmin-kiosk", 0o700, "bianmin-kiosk"),
                              ("var/log/bianmin", 0o750, "bianmin"),
                              ("run/bianmin", 0o750, "bianmin")]:
        st = (root / path).stat()
        assert stat.S_IMODE(st.st_mode) == mode, path
        if os.geteuid() == 0:  # only root may give a file away
            assert st.st_uid == uid[owner], path


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_scripts_are_posix_sh_that_parses(script: Path) -> None:
    assert script.read_text("utf-8").startswith("#!/bin/sh\n")
    assert os.access(script, os.X_OK), f"{script.name} is not executable"
    subprocess.run(["sh", "-n", str(script)], check=True, timeout=30)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck_finds_nothing(script: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: sh packaging/system-deps.sh installs it"
    result = subprocess.run([shellcheck, "-s", "sh", str(script)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name", ["preinst", "postinst", "prerm", "postrm"])
def test_the_maintainer_scripts_stop_at_the_first_error_and_ask_nothing(name: str) -> None:
    text = (DEB / name).read_text("utf-8")
    assert re.search(r"^set -e$", text, flags=re.MULTILINE)
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for interactive in (r"(^|[;|&]\s*)read\b", r"\bdebconf\b", r"\bwhiptail\b", r"\bdialog\b"):
        assert not re.search(interactive, code, flags=re.MULTILINE), f"{name}: {interactive}"
    # Service actions only where systemd runs (a chroot, a container, debootstrap have none).
    for line in text.splitlines():
        if re.search(r"\b(deb-systemd-invoke|systemctl)\b", line) and "is-enabled" not in line:
            block = text[: text.index(line)]
            assert "/run/systemd/system" in block, f"{name}: {line.strip()}"


def test_the_runtime_depends_are_the_projects_debian_packages() -> None:
    listed = debian_packages()
    depends = package_names("Depends")
    assert set(depends) <= listed, set(depends) - listed
    # Build and test tools never become run-time dependencies.
    assert not set(depends) & {"python3-venv", "lintian", "debootstrap", "shellcheck",
                               "postgresql", "sox", "util-linux"}
    assert {"python3", "systemd", "fonts-noto-cjk", "fonts-hanazono", "espeak-ng",
            "alsa-utils", "libzbar0", "libegl1", "libgl1"} <= set(depends)
    assert "cage" in package_names("Recommends")


def test_the_control_template_has_every_field_dpkg_needs() -> None:
    text = (DEB / "control.in").read_text("utf-8")
    for field in ("Package: bianmin", "Version: @VERSION@", "Architecture: @ARCH@",
                  "Maintainer: ", "Installed-Size: @INSTALLED_SIZE@", "Description: "):
        assert f"\n{field}" in f"\n{text}", field
    # python3 pinned to the minor version the venv was built with
    assert "python3 (>= 3.11~), python3 (<< 3.12~)" in text


def test_purge_keeps_the_sites_data_unless_asked() -> None:
    text = (DEB / "postrm").read_text("utf-8")
    purge = text[text.index("    purge)"):]
    removals = [line for line in purge.splitlines() if "rm -rf /var/lib/bianmin" in line
                and "bianmin-kiosk" not in line]
    assert removals and all(
        'BIANMIN_PURGE_DATA:-}" = yes' in purge[: purge.index(line)] for line in removals)


DESKTOP = PACKAGING / "desktop" / "bianmin-counter.desktop"


def test_the_counter_desktop_entry_is_valid_and_opens_the_counter() -> None:
    """The clerk opens the counter from the desktop's menu (docs/setup.md, This PC): the
    entry passes desktop-file-validate, is named in Chinese first, and runs the wrapper's
    ``bianmin counter``, which takes the window and the token from counter.env."""
    import configparser

    validate = shutil.which("desktop-file-validate")
    assert validate, "desktop-file-validate is missing: sh packaging/system-deps.sh installs it"
    checked = subprocess.run([validate, str(DESKTOP)], capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Exec"] == "bianmin counter"
    assert section["Name[zh_CN]"] == "便民窗口受理"
    assert section["Terminal"] == "false"
    build = (DEB / "build.sh").read_text("utf-8")
    assert "usr/share/applications/bianmin-counter.desktop" in build

