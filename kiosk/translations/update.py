"""Refresh the translations: collect the screens' strings into the ``.ts`` files
(``pyside6-lupdate``) and compile them to ``.qm`` (``pyside6-lrelease``), the tools
PySide6-Essentials ships.

Run ``python -m kiosk.translations.update`` after changing a screen's words, translate the
new entries in ``bianmin_zh_CN.ts`` (they are marked ``type="unfinished"``), and run it
again. The ``.qm`` is committed rather than built at install time, so an installed site
needs no Qt tools; tests/kiosk/display/test_translations.py fails when either file is
behind the sources.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
UI = HERE.parent / "ui"
LOCALES = ("zh_CN",)


def ts_path(locale: str) -> Path:
    return HERE / f"bianmin_{locale}.ts"


def qm_path(locale: str) -> Path:
    return HERE / f"bianmin_{locale}.qm"


def sources() -> list[Path]:
    """The screens' Python files (lupdate does not find ``.py`` files in a folder by
    itself, so they are named one by one)."""
    return sorted(UI.rglob("*.py"))


def tool(name: str) -> str:
    """``pyside6-<name>`` beside this Python (a venv), else on PATH.

    :raises FileNotFoundError: PySide6's tools are not installed.
    """
    beside = Path(sys.executable).with_name(f"pyside6-{name}")
    if beside.exists():
        return str(beside)
    found = shutil.which(f"pyside6-{name}")
    if found is None:
        raise FileNotFoundError(f"pyside6-{name} not found: install PySide6-Essentials")
    return found


def lupdate(ts: Path, locale: str) -> None:
    """Bring ``ts`` up to date with the sources: new strings added as unfinished, strings
    no longer used dropped, no source line numbers (they would change the file at every
    edit of the code)."""
    subprocess.run([tool("lupdate"), *map(str, sources()), "-ts", str(ts),  # noqa: S603
                    "-target-language", locale, "-locations", "none", "-no-obsolete",
                    "-silent"], check=True)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(qm)],  # noqa: S603
                   check=True)


def main() -> None:
    for locale in LOCALES:
        lupdate(ts_path(locale), locale)
        lrelease(ts_path(locale), qm_path(locale))
        print(f"{ts_path(locale).name} -> {qm_path(locale).name}")


if __name__ == "__main__":
    main()
