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

import ast
import shutil
import subprocess
import sys
import tempfile
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


KIOSK = UI / "kiosk"
KIOSK_CONTEXT = "Kiosk"


def kiosk_words() -> list[str]:
    """The kiosk's words: the first argument of every ``….t("…")`` call in its screens.

    The kiosk translates at run time with its own translator (kiosk/ui/kiosk/language.py),
    written ``self.t("Take a ticket")`` or ``self.t("%1 waiting", n)``. pyside6-lupdate does
    not know that call (and skips a ``translate`` call with arguments after the text), so
    these words are handed to it as ``QT_TRANSLATE_NOOP`` lines of a generated file."""
    found: dict[str, None] = {}
    for path in sorted(KIOSK.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "t" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found[node.args[0].value] = None
    return list(found)


def lupdate(ts: Path, locale: str) -> None:
    """Bring ``ts`` up to date with the sources: new strings added as unfinished, strings
    no longer used dropped, no source line numbers (they would change the file at every
    edit of the code)."""
    with tempfile.TemporaryDirectory() as folder:
        words = Path(folder) / "kiosk_words.py"
        words.write_text("".join(f"QT_TRANSLATE_NOOP({KIOSK_CONTEXT!r}, {word!r})\n"
                                 for word in kiosk_words()), "utf-8")
        subprocess.run([tool("lupdate"), *map(str, sources()), str(words),  # noqa: S603
                        "-ts", str(ts), "-target-language", locale, "-locations", "none",
                        "-no-obsolete", "-silent"], check=True)


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
