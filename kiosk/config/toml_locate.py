"""Find the line where a key is defined in TOML text, to point configuration errors at it.

``tomllib`` returns plain dicts with no positions, so a validation error on
``devices.ticket_printer.port`` cannot say where that key is.  This module is a small,
lenient line scanner (not a TOML parser) that records the first line of every key,
table header, array-of-tables entry and array element.  It only has to agree with
``tomllib`` on text that ``tomllib`` accepted; on broken text it does its best and never
raises.
"""

from __future__ import annotations

from functools import lru_cache

Path = tuple[str | int, ...]

_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_SCALAR_END = frozenset(",]}\n#")


def locate(text: str, path: tuple[str | int, ...]) -> int | None:
    """Return the 1-based line where ``path`` is defined in the TOML ``text``.

    :param path: keys from the document root, with ``int`` indices for arrays and arrays of
        tables, e.g. ``("devices", "ticket_printer", "port")`` or ``("fruits", 1, "name")``.
    :returns: the line of the key itself; if it is not in the text (a required key that is
        missing), the line of the deepest enclosing table or key that is; ``None`` if
        nothing on the path is in the text.
    """
    explicit, implicit = _index(text)
    path = tuple(path)
    for end in range(len(path), 0, -1):
        prefix = path[:end]
        line = explicit.get(prefix, implicit.get(prefix))
        if line is not None:
            return line
    return None


@lru_cache(maxsize=8)
def _index(text: str) -> tuple[dict[Path, int], dict[Path, int]]:
    scanner = _Scanner(text)
    scanner.run()
    return scanner.explicit, scanner.implicit


class _Scanner:
    """One pass over the text; ``explicit`` maps each written key path to its line and
    ``implicit`` maps the super-tables a header or dotted key creates on the way."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.line = 1
        self.table: Path = ()
        self.array_counts: dict[Path, int] = {}
        self.explicit: dict[Path, int] = {}
        self.implicit: dict[Path, int] = {}

    # -- recording -------------------------------------------------------------------------

    def define(self, path: Path, line: int) -> None:
        self.explicit.setdefault(path, line)
        for end in range(1, len(path)):
            self.implicit.setdefault(path[:end], line)

    def resolve(self, keys: list[str]) -> Path:
        """Turn header keys into a path, stepping into the last entry of any array of tables."""
        path: Path = ()
        for key in keys:
            path = (*path, key)
            count = self.array_counts.get(path)
            if count:
                path = (*path, count - 1)
        return path

    # -- the main loop ---------------------------------------------------------------------

    def run(self) -> None:
        s = self.s
        while self.i < len(s):
            self.skip_blanks()
            if self.i >= len(s):
                break
            c = s[self.i]
            if c == "\n":
                self.newline()
            elif c == "#":
                self.skip_line()
            elif c == "[":
                self.header()
            else:
                self.key_value(self.table)
                self.skip_line()

    def header(self) -> None:
        line = self.line
        is_array = self.s.startswith("[[", self.i)
        self.i += 2 if is_array else 1
        keys = self.key()
        if keys:
            if is_array:
                parent = self.resolve(keys[:-1])
                array = (*parent, keys[-1])
                index = self.array_counts.get(array, 0)
                self.array_counts[array] = index + 1
                self.define(array, line)
                self.table = (*array, index)
            else:
                self.table = self.resolve(keys)
            self.define(self.table, line)
        self.skip_line()

    def key_value(self, table: Path) -> bool:
        """Parse ``key = value`` at the cursor, recording the key; False if it is not one."""
        line = self.line
        keys = self.key()
        self.skip_blanks()
        if not keys or not self.s.startswith("=", self.i):
            return False
        self.i += 1
        path = (*table, *keys)
        self.define(path, line)
        self.value(path)
        return True

    # -- keys ------------------------------------------------------------------------------

    def key(self) -> list[str]:
        """Parse a dotted key (bare, "basic" or 'literal' parts); [] if there is none."""
        keys: list[str] = []
        s = self.s
        while True:
            self.skip_blanks()
            if self.i >= len(s):
                return keys
            c = s[self.i]
            if c == '"':
                keys.append(self.basic_string())
            elif c == "'":
                keys.append(self.literal_string())
            else:
                start = self.i
                while self.i < len(s) and s[self.i] in _BARE_KEY_CHARS:
                    self.i += 1
                if self.i == start:
                    return keys
                keys.append(s[start : self.i])
            self.skip_blanks()
            if not s.startswith(".", self.i):
                return keys
            self.i += 1

    # -- values ----------------------------------------------------------------------------

    def value(self, path: Path) -> None:
        self.skip_blanks()
        s = self.s
        if self.i >= len(s):
            return
        if s.startswith('"""', self.i):
            self.multiline_string('"""', escapes=True)
        elif s.startswith("'''", self.i):
            self.multiline_string("'''", escapes=False)
        elif s[self.i] == '"':
            self.basic_string()
        elif s[self.i] == "'":
            self.literal_string()
        elif s[self.i] == "[":
            self.array(path)
        elif s[self.i] == "{":
            self.inline_table(path)
        else:
            while self.i < len(s) and s[self.i] not in _SCALAR_END:
                self.i += 1

    def array(self, path: Path) -> None:
        self.i += 1
        index = 0
        while self.i < len(self.s):
            self.skip_space_and_comments()
            if self.i >= len(self.s):
                return
            c = self.s[self.i]
            if c == "]":
                self.i += 1
                return
            if c == ",":
                self.i += 1
                continue
            start = self.i
            element = (*path, index)
            self.define(element, self.line)
            self.value(element)
            index += 1
            if self.i == start:  # something we do not understand: step over it
                self.i += 1

    def inline_table(self, path: Path) -> None:
        self.i += 1
        while self.i < len(self.s):
            self.skip_space_and_comments()  # newlines are TOML 1.1; accept them anyway
            if self.i >= len(self.s):
                return
            c = self.s[self.i]
            if c == "}":
                self.i += 1
                return
            if c == ",":
                self.i += 1
                continue
            start = self.i
            if not self.key_value(path) and self.i == start:
                self.i += 1

    # -- strings ---------------------------------------------------------------------------

    def basic_string(self) -> str:
        """Parse "..." at the cursor and return its decoded text (escapes decoded)."""
        s = self.s
        self.i += 1
        out: list[str] = []
        while self.i < len(s):
            c = s[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\n":  # unterminated: stop at the end of the line
                break
            if c == "\\" and self.i + 1 < len(s):
                out.append(self.escape())
                continue
            out.append(c)
            self.i += 1
        return "".join(out)

    def escape(self) -> str:
        s = self.s
        code = s[self.i + 1]
        if code in "uU":
            width = 4 if code == "u" else 8
            digits = s[self.i + 2 : self.i + 2 + width]
            self.i += 2 + width
            try:
                return chr(int(digits, 16))
            except ValueError:
                return ""
        self.i += 2
        return _ESCAPES.get(code, code)

    def literal_string(self) -> str:
        s = self.s
        end = s.find("'", self.i + 1)
        newline = s.find("\n", self.i + 1)
        if end == -1 or (newline != -1 and newline < end):
            end = newline if newline != -1 else len(s)
            text = s[self.i + 1 : end]
            self.i = end
            return text
        text = s[self.i + 1 : end]
        self.i = end + 1
        return text

    def multiline_string(self, quote: str, *, escapes: bool) -> None:
        s = self.s
        self.i += 3
        while self.i < len(s):
            if escapes and s[self.i] == "\\":
                if self.i + 1 < len(s) and s[self.i + 1] == "\n":
                    self.line += 1
                self.i += 2
                continue
            if s.startswith(quote, self.i):
                self.i += 3
                # up to two more quote characters may close the string: """a""""" is a"".
                while self.i < len(s) and s[self.i] == quote[0]:
                    self.i += 1
                return
            if s[self.i] == "\n":
                self.line += 1
            self.i += 1

    # -- whitespace ------------------------------------------------------------------------

    def skip_blanks(self) -> None:
        s = self.s
        while self.i < len(s) and s[self.i] in " \t\r":
            self.i += 1

    def skip_space_and_comments(self) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "\n":
                self.newline()
            elif c == "#":
                self.skip_line()
            else:
                return

    def skip_line(self) -> None:
        """Move to the next newline (not past it)."""
        end = self.s.find("\n", self.i)
        self.i = len(self.s) if end == -1 else end

    def newline(self) -> None:
        self.i += 1
        self.line += 1
