"""ESC/POS receipt and ticket printers: queue tickets at the kiosk, acceptance receipts at
the counter.

Protocol: Epson *ESC/POS Application Programming Guide* and the *ESC/POS Command
Reference* for TM-series paper-roll printers (https://download4.epson.biz/sec_pubs/pos/
reference_en/escpos/). Commands used, with the section of the command reference:

=================  ==========  ===========================================================
``ESC @``          1B 40       initialize printer (start of every job)
``FS &``           1C 26       select Kanji (Chinese) character mode: bytes 0x81-0xFE start a
                               double-byte character in the printer's Chinese encoding
``ESC a n``        1B 61 n     select justification (0 left, 1 centre, 2 right)
``GS ! n``         1D 21 n     select character size (width and height multipliers; acts on
                               Chinese characters too, unlike ``ESC !``)
``ESC E n``        1B 45 n     turn emphasized (bold) mode on/off
``LF``             0A          print and line feed
``ESC d n``        1B 64 n     print and feed n lines
``ESC J n``        1B 4A n     print and feed n dots (quiet zone around native QR codes)
``GS v 0``         1D 76 30    print raster bit image (image lines, raster QR codes, images)
``GS ( k``         1D 28 6B    2D code, QR: cn=49, fn=65 model, 67 module size, 69 error
                               correction, 80 store data, 81 print
``GS V m``         1D 56 m     select cut mode and cut paper
``DLE EOT n``      10 04 n     transmit real-time status, n = 1 printer, 2 offline cause,
                               3 error cause, 4 roll paper sensor (bit tables: see
                               :func:`parse_status`)
=================  ==========  ===========================================================

python-escpos builds the command bytes it gets right (``set``, ``image``, ``qr(native=True)``,
``cut``, ``print_and_feed``) into an ``escpos.printer.Dummy``; text bytes are encoded here.
Its ``MagicEncode`` sends any string containing ``[\\u4e00-\\u9fa5]`` as GB18030 without
``FS &``, sends punctuation-only strings through a code page (``?``) and turns ``¥`` into the
4-byte GB18030 sequence ``81 30 84 36`` (../shared/research/hardware.md §3), so it is never
used for text.

Which characters are sent as text, and which make their line an image
--------------------------------------------------------------------

A character is sent as text (bytes in the profile's encoding) only when the printer's own
font is sure to have it:

1. printable ASCII ``0x20-0x7E`` (one byte, a 12×24-dot half-width cell);
2. a character of **GBK's two-byte repertoire** (21 791 characters; a 24×24-dot full-width
   cell), sent in the profile's encoding (GBK's two-byte codes are the same in GB18030),
   unless the code lies in one of GBK's user-defined areas (``AAA1-AFFE``, ``F8A1-FEFE``,
   ``A140-A7A0``) or the character is in the Unicode Private Use Area: printer fonts have no
   glyphs there. This holds for ``gb18030`` profiles too: printers sold as GB18030 often
   carry a GBK font, and a citizen's name must never print as a blank box, so the GB18030
   codes outside GBK (``€`` A2E3, ``䶮`` FE9F, Extension A as four bytes) go as images.

Everything else is not sent as text: characters the encoding cannot encode, Extension B and
later (every code point above ``U+FFFF``, e.g. ``𠈌`` U+2020C, as well as emoji), other
four-byte GB18030 sequences (accented Latin letters, minority scripts, ``•``), and GBK's
single byte ``0x80`` (``€``). A wrapped line holding any such character is printed whole as a
raster image drawn with the installed CJK font at the printer's dot width, so a rare
character in a name prints right. With ``image_fallback`` off, or when no installed font has
the glyph, the character is printed as ``〓`` (GB2312 A1FE, the conventional mark for a
missing character) and the result's warnings name it.

Before that rule: ``¥`` (U+00A5) becomes ``￥`` (U+FFE5, A3A4) for both encodings, tabs and
other spaces become ASCII spaces (the ideographic space U+3000 stays), and control and
format characters are dropped so text can never inject a command.

Display width: an ASCII character takes one column, any other character two; at size ``n``
a line holds ``chars_per_line // n`` columns.
"""

from __future__ import annotations

import functools
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

import qrcode
import qrcode.constants
import qrcode.exceptions
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from .transports import Transport, TransportError

Align = Literal["left", "center", "right"]
Encoding = Literal["gb18030", "gbk"]

ESC_INIT = b"\x1b@"
FS_KANJI_ON = b"\x1c&"
FS_KANJI_OFF = b"\x1c."
LF = b"\n"
DLE_EOT = b"\x10\x04"

MISSING_MARK = "〓"
"""Printed in place of a character that can be printed neither as text nor as an image."""

DOT_ROW = 24
"""Height of the printer's character cell in dots (12×24 half-width, 24×24 full-width)."""

LINE_GAP = 6
"""Dots between two lines at the default line spacing (about 30 dots in all)."""

QUIET_ZONE_MODULES = 4
"""White modules around a QR code (ISO/IEC 18004 asks for four)."""

_GBK_USER_DEFINED = (  # (first lead, last lead, first trail, last trail)
    (0xAA, 0xAF, 0xA1, 0xFE),
    (0xF8, 0xFE, 0xA1, 0xFE),
    (0xA1, 0xA7, 0x40, 0xA0),
)


# ---------------------------------------------------------------------------------------
# profile and job model


@dataclass(frozen=True)
class EscPosProfile:
    """How one model of printer prints: paper, Chinese encoding and features.

    A plain mirror of the site config's printer profile (drivers do not import the kiosk
    config); the device layer builds one from it.
    """

    paper_width_mm: int = 80
    """Width of the paper roll, 58 or 80. Unit: mm."""
    dots_per_line: int = 576
    """Printable width (576 on 80 mm paper, 384 on 58 mm). Unit: dots."""
    chars_per_line: int = 48
    """Half-width characters per line in the normal font; a Chinese character takes two.
    Unit: count."""
    encoding: Encoding = "gb18030"
    """The encoding of the printer's Chinese font: ``gb18030`` or ``gbk``."""
    qr_native: bool = False
    """Print QR codes with the printer's ``GS ( k`` command; false sends a raster image."""
    cutter: bool = True
    """The printer has an autocutter; false feeds the paper to the tear bar instead."""
    image_fallback: bool = True
    """Print lines with characters the printer's font lacks as images, not ``〓``."""

    def __post_init__(self) -> None:
        if self.paper_width_mm not in (58, 80):
            raise ValueError(f"paper_width_mm must be 58 or 80, not {self.paper_width_mm}")
        if self.encoding not in ("gb18030", "gbk"):
            raise ValueError(f"encoding must be gb18030 or gbk, not {self.encoding!r}")
        if self.dots_per_line <= 0 or self.chars_per_line <= 0:
            raise ValueError("dots_per_line and chars_per_line must be positive")

    @classmethod
    def for_paper(cls, paper_width_mm: int, **settings: object) -> EscPosProfile:
        """The usual dots and columns for 58 mm (384, 32) or 80 mm (576, 48) paper."""
        dots, chars = {58: (384, 32), 80: (576, 48)}.get(paper_width_mm, (576, 48))
        base: dict[str, object] = {"dots_per_line": dots, "chars_per_line": chars}
        base.update(settings)
        return cls(paper_width_mm=paper_width_mm, **base)  # type: ignore[arg-type]

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> EscPosProfile:
        """From the site config's ``[printer_profiles.<name>]`` values (its ``cut`` is
        ``cutter`` here; other keys are ignored), e.g. ``from_settings(p.model_dump())``."""
        names = {f.name for f in fields(cls)}
        values = {("cutter" if key == "cut" else key): value for key, value in settings.items()}
        return cls(**{k: v for k, v in values.items() if k in names})  # type: ignore[arg-type]

    @property
    def dots_per_mm(self) -> float:
        """Print resolution: 8 dots/mm (203 dpi) on both the 72 mm and the 48 mm print area."""
        return self.dots_per_line / (72.0 if self.paper_width_mm == 80 else 48.0)


@dataclass(frozen=True)
class Text:
    """A paragraph of text, wrapped to the paper. ``size`` multiplies width and height (1-4);
    ``\\n`` starts a new line."""

    text: str
    size: int = 1
    bold: bool = False
    align: Align = "left"

    def __post_init__(self) -> None:
        if self.size not in (1, 2, 3, 4):
            raise ValueError(f"text size must be 1 to 4, not {self.size}")
        if self.align not in ("left", "center", "right"):
            raise ValueError(f"align must be left, center or right, not {self.align!r}")


@dataclass(frozen=True)
class Qr:
    """A QR code about ``size_mm`` wide (error correction M)."""

    data: str
    size_mm: float = 30.0
    align: Align = "center"


@dataclass(frozen=True)
class Image:
    """A picture (a logo, a signature); scaled down to the paper width if wider."""

    image: PILImage.Image
    align: Align = "center"


@dataclass(frozen=True)
class Rule:
    """A dashed line across the paper."""


@dataclass(frozen=True)
class Feed:
    """``lines`` blank lines."""

    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """Cut the paper (or, without a cutter, feed it to the tear bar)."""


Block = Text | Qr | Image | Rule | Feed | Cut


@dataclass
class Job:
    """What to print, top to bottom, without any ESC/POS in it."""

    blocks: list[Block] = field(default_factory=list)

    def text(self, text: str, *, size: int = 1, bold: bool = False,
             align: Align = "left") -> Job:
        self.blocks.append(Text(text, size, bold, align))
        return self

    def qr(self, data: str, *, size_mm: float = 30.0, align: Align = "center") -> Job:
        self.blocks.append(Qr(data, size_mm, align))
        return self

    def image(self, image: PILImage.Image, *, align: Align = "center") -> Job:
        self.blocks.append(Image(image, align))
        return self

    def rule(self) -> Job:
        self.blocks.append(Rule())
        return self

    def feed(self, lines: int = 1) -> Job:
        self.blocks.append(Feed(lines))
        return self

    def cut(self) -> Job:
        self.blocks.append(Cut())
        return self


# ---------------------------------------------------------------------------------------
# characters


def normalize_text(text: str) -> str:
    """``¥`` to ``￥``, tabs and other spaces to ASCII spaces, control and format characters
    dropped (``\\n`` is kept: it separates lines)."""
    out: list[str] = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif ch == "¥":
            out.append("￥")
        elif ch == "\t":
            out.append("    ")
        elif ch == "\u3000":
            out.append(ch)
        else:
            category = unicodedata.category(ch)
            if category == "Zs":
                out.append(" ")
            elif category in ("Zl", "Zp"):
                out.append("\n")
            elif category in ("Cc", "Cf", "Cs"):
                continue
            else:
                out.append(ch)
    return "".join(out)


def text_bytes(ch: str, encoding: str) -> bytes | None:
    """The bytes that print ``ch`` as text in the printer's Chinese mode, or None when the
    printer's font may lack it (the module docstring states the rule)."""
    code = ord(ch)
    if 0x20 <= code <= 0x7E:
        return bytes((code,))
    if code < 0xA0 or code > 0xFFFF or 0xE000 <= code <= 0xF8FF:
        return None
    # Only GBK's repertoire goes as text, whatever the profile says: printers sold as
    # "GB18030" often carry a GBK font, and a name must never print as a blank box. The
    # two-byte codes of GBK are the same in GB18030.
    try:
        data = ch.encode("gbk")
    except UnicodeEncodeError:
        return None
    if len(data) == 2:
        lead, trail = data
        for first, last, low, high in _GBK_USER_DEFINED:
            if first <= lead <= last and low <= trail <= high:
                return None
        return data if encoding == "gbk" else ch.encode(encoding)
    return None


def char_width(ch: str) -> int:
    """Columns a character takes: 1 for ASCII (a one-byte, half-width cell), else 2."""
    return 1 if ord(ch) < 0x80 else 2


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


_NO_LINE_START = set("，。、；：？！）》」』】〕”’…—·%,.;:?!)]}>")


def _pieces(text: str) -> Iterator[str]:
    """Latin words (runs of non-space ASCII) stay whole; every other character is its own
    token, so Chinese breaks between any two characters."""
    word = ""
    for ch in text:
        if ch.isascii() and ch != " ":
            word += ch
            continue
        if word:
            yield word
            word = ""
        yield ch
    if word:
        yield word


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most ``columns`` display columns. Breaks between Chinese characters or at
    spaces, splits a Latin word only when it is longer than a line, and keeps closing
    punctuation off the start of a line."""
    columns = max(columns, 2)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current: list[str] = []
        width = 0
        for piece in _pieces(paragraph):
            piece_width = display_width(piece)
            if piece == " " and not current:
                continue  # no leading space on a wrapped line
            if width + piece_width <= columns:
                current.append(piece)
                width += piece_width
                continue
            if piece_width > columns:  # a word longer than a line: split it
                for ch in piece:
                    if width + char_width(ch) > columns:
                        lines.append("".join(current).rstrip())
                        current, width = [], 0
                    current.append(ch)
                    width += char_width(ch)
                continue
            carry: list[str] = []
            if piece in _NO_LINE_START and len(current) > 1:
                carry = [current.pop()]
            lines.append("".join(current).rstrip())
            current = [*carry] if piece != " " else []
            width = display_width("".join(current))
            if piece != " ":
                current.append(piece)
                width += piece_width
        lines.append("".join(current).rstrip())
    return lines


# ---------------------------------------------------------------------------------------
# the CJK font for image lines

_FONT_FILES = (
    # Debian/Ubuntu fonts-noto-cjk, Fedora google-noto-sans-cjk-ttc-fonts, Arch noto-fonts-cjk
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-{weight}.ttc",
    # fonts-wqy-zenhei, then fonts-hanazono, which has CJK Extension B
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
)
# Face order inside a collection: the monospaced simplified-Chinese face first (its Latin
# letters are exactly half a Chinese character wide, like the printer's 12×24 cell).
_FACE_PREFERENCE = ("Mono CJK SC", "CJK SC", "Zen Hei", "")


@dataclass(frozen=True)
class _Face:
    path: str
    index: int


def _faces(weight: str) -> list[_Face]:
    found: list[_Face] = []
    seen: set[str] = set()
    for pattern in _FONT_FILES:
        path = pattern.format(weight=weight)
        if path in seen or not Path(path).is_file():
            continue
        seen.add(path)
        names: list[tuple[int, str]] = []
        for index in range(16):
            try:
                family = ImageFont.truetype(path, DOT_ROW, index=index).getname()[0] or ""
            except OSError:
                break
            names.append((index, family))
        for wanted in _FACE_PREFERENCE:
            match = [i for i, family in names if wanted in family]
            if match:
                found.append(_Face(path, match[0]))
                break
    return found


@functools.lru_cache(maxsize=64)
def _font(face: _Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face.path, size, index=face.index)


@functools.lru_cache(maxsize=2)
def cjk_faces(bold: bool = False) -> tuple[_Face, ...]:
    """Installed fonts usable for image lines, best first (the bold weight falls back to
    regular faces)."""
    faces = _faces("Bold") if bold else []
    return tuple(faces + _faces("Regular"))


@functools.lru_cache(maxsize=16)
def _notdef(face: _Face) -> bytes:
    return bytes(_font(face, DOT_ROW).getmask("\U0010fffd"))


@functools.lru_cache(maxsize=8192)
def _face_for(ch: str, bold: bool) -> _Face | None:
    """The first installed font that has a glyph for ``ch``."""
    for face in cjk_faces(bold):
        mask = bytes(_font(face, DOT_ROW).getmask(ch))
        if mask != _notdef(face) or ch.isspace():
            return face
    return None


def render_line_image(line: str, dots: int, *, size: int = 1, bold: bool = False,
                      align: Align = "left") -> tuple[PILImage.Image, list[str]]:
    """One printed line as a 1-bit image ``dots`` wide and ``24·size + 6`` dots high, each
    character in the printer's cell (12 or 24 dots wide, times ``size``). Returns the image
    and the characters no installed font has (drawn as ``〓``)."""
    cell = DOT_ROW * size
    height = cell + LINE_GAP
    width = display_width(line) * cell // 2
    left = {"left": 0, "center": max(0, (dots - width) // 2),
            "right": max(0, dots - width)}[align]
    canvas = PILImage.new("L", (dots, height), 255)
    draw = ImageDraw.Draw(canvas)
    missing: list[str] = []
    x = left
    for ch in line:
        full = char_width(ch) == 2
        cell_width = cell if full else cell // 2
        # Ideographs fill the cell with the baseline at 0.88 em; Latin letters are drawn a
        # little smaller and higher so ascenders and descenders stay inside the cell.
        baseline = round(cell * (0.88 if full else 19 / 24))
        face = _face_for(ch, bold) if not ch.isspace() else None
        glyph = ch
        if face is None and not ch.isspace():
            missing.append(ch)
            glyph, face = MISSING_MARK, _face_for(MISSING_MARK, bold)
        if face is not None:
            font = _font(face, cell if full else round(cell * 22 / 24))
            advance = font.getlength(glyph)
            dx = (cell_width - advance) / 2
            draw.text((x + dx, baseline), glyph, font=font, fill=0, anchor="ls")
            if bold and "Bold" not in face.path:
                draw.text((x + dx + 1, baseline), glyph, font=font, fill=0, anchor="ls")
        x += cell_width
    # Thermal dots are on or off; a threshold (not dithering) keeps strokes solid.
    return canvas.point(lambda v: 0 if v < 160 else 255).convert("1"), missing


# ---------------------------------------------------------------------------------------
# encoding a job


@dataclass(frozen=True)
class EncodedJob:
    data: bytes
    warnings: tuple[str, ...] = ()


def _dummy(profile: EscPosProfile) -> Dummy:
    """A python-escpos byte collector whose profile knows the paper's dot width (so
    ``image()`` checks it rather than printing a notice)."""
    printer = Dummy()
    data = dict(printer.profile.profile_data)
    data["media"] = {"width": {"pixels": profile.dots_per_line,
                               "mm": 72 if profile.paper_width_mm == 80 else 48},
                     "dpi": 203}
    printer.profile.profile_data = data
    return printer


def _on_canvas(image: PILImage.Image, dots: int, align: Align) -> PILImage.Image:
    """``image`` placed on a white strip as wide as the paper, so alignment never depends on
    the printer honouring ``ESC a`` for raster images."""
    if image.width > dots:
        image = image.resize((dots, max(1, round(image.height * dots / image.width))),
                             PILImage.Resampling.LANCZOS)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = PILImage.alpha_composite(PILImage.new("RGBA", rgba.size, "white"), rgba)
    if image.mode != "1":
        image = image.convert("L").convert("1")  # Floyd-Steinberg for photos and logos
    canvas = PILImage.new("1", (dots, image.height), 1)
    left = {"left": 0, "center": (dots - image.width) // 2, "right": dots - image.width}[align]
    canvas.paste(image, (left, 0))
    return canvas


def _qr_layout(data: str, size_mm: float, profile: EscPosProfile) -> int:
    """The module size in dots for a code about ``size_mm`` wide (1 to 16)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    modules = code.modules_count
    target = size_mm * profile.dots_per_mm
    biggest = profile.dots_per_line // (modules + 2 * QUIET_ZONE_MODULES)
    return max(1, min(16, round(target / modules), biggest))


class _Encoder:
    def __init__(self, profile: EscPosProfile):
        self.profile = profile
        self.out = _dummy(profile)
        self.warnings: list[str] = []
        self._style: tuple[int, bool, str] | None = None

    def raw(self, data: bytes) -> None:
        self.out._raw(data)

    def style(self, size: int, bold: bool, align: Align) -> None:
        if self._style != (size, bold, align):
            self.out.set(custom_size=True, width=size, height=size, bold=bold, align=align)
            self._style = (size, bold, align)

    def raster(self, image: PILImage.Image) -> None:
        self.out.image(image, impl="bitImageRaster", fragment_height=256)

    def text(self, block: Text) -> None:
        self.style(block.size, block.bold, block.align)
        columns = self.profile.chars_per_line // block.size
        for line in wrap(normalize_text(block.text), columns):
            encoded = [text_bytes(ch, self.profile.encoding) for ch in line]
            if all(part is not None for part in encoded):
                self.raw(b"".join(encoded) + LF)  # type: ignore[arg-type]
                continue
            lacking = [ch for ch, part in zip(line, encoded, strict=True) if part is None]
            self.fallback(line, lacking, block)

    def fallback(self, line: str, lacking: list[str], block: Text) -> None:
        names = "、".join(f"{ch} (U+{ord(ch):04X})" for ch in dict.fromkeys(lacking))
        if self.profile.image_fallback and cjk_faces():
            image, missing = render_line_image(line, self.profile.dots_per_line,
                                               size=block.size, bold=block.bold,
                                               align=block.align)
            self.raster(image)
            if missing:
                gone = "、".join(f"{ch} (U+{ord(ch):04X})" for ch in dict.fromkeys(missing))
                self.warnings.append(f"字库中没有这些字，已印为〓：{gone} / No installed font "
                                     f"has these characters; printed as 〓: {gone}")
            return
        why = ("打印机字库缺字" if self.profile.image_fallback is False
               else "没有安装中文字体，无法以图像打印")
        english = ("the printer's font lacks them" if self.profile.image_fallback is False
                   else "no CJK font is installed to print them as an image")
        self.warnings.append(f"{why}，已印为〓：{names} / Printed as 〓 because {english}: "
                             f"{names}")
        replaced = "".join(MISSING_MARK if ch in lacking else ch for ch in line)
        self.raw(b"".join(text_bytes(ch, self.profile.encoding) or b"" for ch in replaced)
                 + LF)

    def qr(self, block: Qr) -> None:
        try:
            module = _qr_layout(block.data, block.size_mm, self.profile)
        except (qrcode.exceptions.DataOverflowError, ValueError):
            self.warnings.append("二维码内容太长，未打印 / The QR code data is too long; "
                                 "the code was not printed")
            return
        quiet = min(255, QUIET_ZONE_MODULES * module)
        if self.profile.qr_native:
            self.style(1, False, block.align)
            self.raw(b"\x1bJ" + bytes((quiet,)))
            self.out.qr(block.data, ec=QR_ECLEVEL_M, size=module, native=True)
            self.raw(b"\x1bJ" + bytes((quiet,)))
            return
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M,
                             box_size=module, border=QUIET_ZONE_MODULES)
        code.add_data(block.data.encode("utf-8"))
        code.make(fit=True)
        image = code.make_image().get_image().convert("1")
        self.raster(_on_canvas(image, self.profile.dots_per_line, block.align))

    def block(self, block: Block) -> None:
        if isinstance(block, Text):
            self.text(block)
        elif isinstance(block, Rule):
            self.style(1, False, "left")
            self.raw(b"-" * self.profile.chars_per_line + LF)
        elif isinstance(block, Feed):
            lines = max(0, block.lines)
            while lines > 0:
                self.out.print_and_feed(min(lines, 255))
                lines -= 255
        elif isinstance(block, Qr):
            self.qr(block)
        elif isinstance(block, Image):
            self.raster(_on_canvas(block.image, self.profile.dots_per_line, block.align))
        elif isinstance(block, Cut):
            if self.profile.cutter:
                self.out.cut()  # ESC d 6 (past the cutter), GS V 0 (full cut)
            else:
                self.out.print_and_feed(4)  # to the tear bar
        else:
            raise TypeError(f"not a print block: {block!r}")


def encode(job: Job | Iterable[Block], profile: EscPosProfile) -> EncodedJob:
    """The job's ESC/POS bytes and the warnings met on the way (characters printed as
    ``〓``, QR data too long). Pure: no I/O."""
    blocks = job.blocks if isinstance(job, Job) else list(job)
    encoder = _Encoder(profile)
    encoder.raw(ESC_INIT + FS_KANJI_ON)
    for block in blocks:
        encoder.block(block)
    return EncodedJob(encoder.out.output, tuple(dict.fromkeys(encoder.warnings)))


def encode_job(job: Job | Iterable[Block], profile: EscPosProfile) -> bytes:
    """The job's ESC/POS bytes (:func:`encode` without the warnings)."""
    return encode(job, profile).data


# ---------------------------------------------------------------------------------------
# status


def status_request(n: int) -> bytes:
    """``DLE EOT n``: 1 printer, 2 offline cause, 3 error cause, 4 roll paper sensor."""
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT n must be 1 to 4, not {n}")
    return DLE_EOT + bytes((n,))


def parse_status(n: int, byte: int) -> dict[str, bool]:
    """Decode the byte a printer sends back for ``DLE EOT n``.

    Bit tables of the ESC/POS Command Reference, ``DLE EOT`` (TM-series): in every answer
    bit 0 is 0, bit 1 is 1, bit 4 is 1 and bit 7 is 0 (``byte & 0x93 == 0x12``); a byte
    that breaks this is no status answer and yields ``{"valid": False}``.

    ====  ======================================================================
    n=1   bit 2 drawer kick-out connector pin 3 high; bit 3 **offline**; bit 5
          waiting for online recovery; bit 6 paper feed button pressed
    n=2   bit 2 **cover open**; bit 3 paper being fed by the feed button; bit 5
          printing stopped by **paper end**; bit 6 **error** occurred
    n=3   bit 2 recoverable (mechanical) error; bit 3 autocutter error; bit 5
          unrecoverable error; bit 6 automatically recoverable error (head too hot)
    n=4   bits 2-3 roll paper **near-end** sensor: paper near its end; bits 5-6 roll
          paper **end** sensor: paper not present
    ====  ======================================================================

    Keys: ``valid`` always; ``online`` (n=1), ``cover_open`` (n=2), ``paper_out`` (n=2,
    n=4), ``paper_near_end`` (n=4) and ``error`` (n=2, n=3) where the answer tells them,
    and the detail bits by name. Some clone printers set only one bit of a two-bit sensor
    pair, so either bit counts.
    """
    if not isinstance(byte, int) or not 0 <= byte <= 0xFF or n not in (1, 2, 3, 4):
        return {"valid": False}
    if byte & 0x93 != 0x12:
        return {"valid": False}

    def bit(i: int) -> bool:
        return bool(byte >> i & 1)

    if n == 1:
        return {"valid": True, "online": not bit(3), "drawer_pin3_high": bit(2),
                "waiting_online_recovery": bit(5), "feed_button_pressed": bit(6)}
    if n == 2:
        return {"valid": True, "cover_open": bit(2), "feeding_by_button": bit(3),
                "paper_out": bit(5), "error": bit(6)}
    if n == 3:
        return {"valid": True, "recoverable_error": bit(2), "cutter_error": bit(3),
                "unrecoverable_error": bit(5), "auto_recoverable_error": bit(6),
                "error": bit(2) or bit(3) or bit(5) or bit(6)}
    return {"valid": True, "paper_near_end": bit(2) or bit(3), "paper_out": bit(5) or bit(6)}


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's condition from its ``DLE EOT`` answers (``raw``: n -> byte)."""

    online: bool = True
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    error: bool = False
    cutter_error: bool = False
    raw: dict[int, int] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """The printer can print now."""
        return self.online and not (self.cover_open or self.paper_out or self.error)

    @classmethod
    def from_answers(cls, answers: dict[int, int]) -> PrinterStatus:
        merged: dict[str, bool] = {}
        for n, byte in sorted(answers.items()):
            parsed = parse_status(n, byte)
            if parsed.get("valid"):
                for key, value in parsed.items():
                    merged[key] = merged.get(key, False) or value  # any answer's alarm counts
        return cls(online=merged.get("online", True), cover_open=merged.get("cover_open", False),
                   paper_out=merged.get("paper_out", False),
                   paper_near_end=merged.get("paper_near_end", False),
                   error=merged.get("error", False),
                   cutter_error=merged.get("cutter_error", False), raw=dict(answers))


@dataclass(frozen=True)
class Problem:
    """A printer problem in plain words: what is wrong and what to check, in Chinese and in
    English."""

    zh: str
    en: str
    hint_zh: str
    hint_en: str

    @property
    def message(self) -> str:
        return f"{self.zh} / {self.en}"

    @property
    def hint(self) -> str:
        return f"{self.hint_zh} / {self.hint_en}"

    def then(self, zh: str, en: str) -> str:
        """The message with a consequence added: ``"缺纸，未打印 / Out of paper; ..."``."""
        return f"{self.zh}，{zh} / {self.en}; {en}"


PAPER_OUT = Problem("打印机缺纸", "The printer is out of paper",
                    "装入新纸卷并合上盖子", "Load a new paper roll and close the cover")
COVER_OPEN = Problem("打印机盖子开着", "The printer cover is open",
                     "合上打印机盖子，听到咔哒声为止", "Close the printer cover until it clicks")
CUTTER_ERROR = Problem("打印机切刀卡住了", "The printer's cutter is jammed",
                       "关掉打印机，打开盖子取出卡住的纸，再开机",
                       "Turn the printer off, open the cover, remove the jammed paper and "
                       "turn it on again")
PRINTER_ERROR = Problem("打印机报告故障", "The printer reports an error",
                        "关掉打印机电源，等10秒再打开",
                        "Turn the printer off, wait 10 seconds and turn it on again")
OFFLINE = Problem("打印机处于离线状态", "The printer is offline",
                  "检查打印机的电源和指示灯，按一下进纸键",
                  "Check the printer's power and lights, press the feed button once")
NOT_ANSWERING = Problem("打印机不再回应", "The printer stopped answering",
                        "检查数据线和电源，看看票是否打出",
                        "Check the cable and the power, and whether the ticket came out")
LINK_LOST = Problem("与打印机的连接中断了", "The connection to the printer was lost",
                    "检查数据线和电源", "Check the cable and the power")
PAPER_NEAR_END = "纸卷快用完了 / The paper roll is nearly finished"
STATUS_UNKNOWN = ("状态未知：此打印机不回报状态，无法确认是否打印成功 / Status unknown: this "
                  "printer does not report its status, so printing cannot be confirmed")


def describe_problem(status: PrinterStatus) -> Problem | None:
    """Why a printer cannot print, in plain words; None when it can."""
    if status.paper_out:
        return PAPER_OUT
    if status.cover_open:
        return COVER_OPEN
    if status.cutter_error:
        return CUTTER_ERROR
    if status.error:
        return PRINTER_ERROR
    if not status.online:
        return OFFLINE
    return None


# ---------------------------------------------------------------------------------------
# the driver


@dataclass(frozen=True)
class PrintResult:
    """``ok`` only when the printer took the bytes and reports a good status afterwards (or,
    for a printer that never reports status, took the bytes: the warnings then say "status
    unknown"). ``message`` says what happened and ``hint`` what to check, each
    ``"中文 / English"``; ``detail`` is the technical cause for the log; ``link_lost`` tells
    the caller to reopen the transport."""

    ok: bool
    message: str
    warnings: list[str] = field(default_factory=list)
    status: PrinterStatus | None = None
    hint: str = ""
    detail: str = ""
    link_lost: bool = False

    def __str__(self) -> str:
        return f"{self.message}. {self.hint}" if self.hint else self.message


PRINTED = "已打印 / Printed"
SENT_STATUS_UNKNOWN = "已发送到打印机 / Sent to the printer"
CHECK_TICKET = "看看票是否打出 / Check that the ticket came out"


class EscPosPrinter:
    """An ESC/POS printer on a transport it is handed (and never opens or closes).

    :param timeout_s: how long to wait for the status after a job, while the printer may
        still be taking the data. Unit: s.
    :param status_timeout_s: how long to wait for an idle printer's ``DLE EOT`` answer
        before calling its status unknown (real-time commands are answered at once). Unit: s.
    """

    CHUNK = 1024  # bytes per write: each finishes within the serial write timeout at 9600 Bd

    def __init__(self, transport: Transport, profile: EscPosProfile, *,
                 timeout_s: float = 5.0, status_timeout_s: float = 0.5):
        self.transport = transport
        self.profile = profile
        self.timeout_s = timeout_s
        self.status_timeout_s = min(status_timeout_s, timeout_s)

    # A transport that breaks its contract (pyserial's flush() lets termios.error out when a
    # USB-serial adapter is pulled) must still give a failed print, never a crash.
    def _write(self, data: bytes) -> None:
        try:
            self.transport.write(data)
        except TransportError:
            raise
        except Exception as exc:
            raise TransportError(f"{self.transport.name}: write failed ({exc!r})") from exc

    def _read(self, max_bytes: int, timeout_s: float) -> bytes:
        try:
            return self.transport.read(max_bytes, timeout_s)
        except TransportError:
            raise
        except Exception as exc:
            raise TransportError(f"{self.transport.name}: read failed ({exc!r})") from exc

    def _drain(self) -> None:
        """Drop stale bytes (a late answer, automatic status back) before asking."""
        for _ in range(64):
            if not self._read(64, 0.0):
                return

    def _ask(self, n: int, timeout_s: float) -> int | None:
        self._write(status_request(n))
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            data = self._read(1, left)
            if data and parse_status(n, data[0]).get("valid"):
                return data[0]
            # nothing yet, or not a status byte (echo, garbage): listen until the deadline

    def status(self, timeout_s: float | None = None) -> PrinterStatus | None:
        """The printer's status, or None when it does not answer ``DLE EOT`` (many cheap USB
        printers never do: "status unknown", not an error).

        :raises TransportError: the link failed.
        """
        wait = self.status_timeout_s if timeout_s is None else timeout_s
        self._drain()
        first = self._ask(1, wait)
        if first is None:
            return None
        answers = {1: first}
        for n in (2, 3, 4):
            byte = self._ask(n, self.status_timeout_s)
            if byte is not None:
                answers[n] = byte
        return PrinterStatus.from_answers(answers)

    def send(self, data: bytes) -> None:
        """Write raw bytes in chunks. :raises TransportError: the link failed."""
        for start in range(0, len(data), self.CHUNK):
            self._write(data[start:start + self.CHUNK])

    def print_job(self, job: Job | Iterable[Block]) -> PrintResult:
        """Print ``job``: status first (paper out or cover open fail before anything is
        sent), the bytes, then the status again. Never raises for a printer problem."""
        encoded = encode(job, self.profile)
        warnings = list(encoded.warnings)
        try:
            before = self.status()
        except TransportError as exc:
            return PrintResult(False, LINK_LOST.then("未打印", "nothing was printed"),
                               warnings, None, LINK_LOST.hint, str(exc), link_lost=True)
        if before is not None:
            problem = describe_problem(before)
            if problem:
                return PrintResult(False, problem.then("未打印", "nothing was printed"),
                                   warnings, before, problem.hint)
            if before.paper_near_end:
                warnings.append(PAPER_NEAR_END)
        try:
            self.send(encoded.data)
        except TransportError as exc:
            return PrintResult(False, LINK_LOST.then("票没有打完", "the ticket was not printed "
                                                     "completely"),
                               warnings, before, LINK_LOST.hint, str(exc), link_lost=True)
        if before is None:
            warnings.append(STATUS_UNKNOWN)
            return PrintResult(True, SENT_STATUS_UNKNOWN, warnings, None, CHECK_TICKET)
        try:
            after = self.status(self.timeout_s)
        except TransportError as exc:
            return PrintResult(False, LINK_LOST.then("票可能没有打完", "the ticket may be "
                                                     "incomplete"),
                               warnings, before, LINK_LOST.hint, str(exc), link_lost=True)
        if after is None:
            return PrintResult(False, NOT_ANSWERING.then("票可能没有打完", "the ticket may be "
                                                         "incomplete"),
                               warnings, None, NOT_ANSWERING.hint)
        problem = describe_problem(after)
        if problem:
            return PrintResult(False, problem.then("票可能没有打完", "the ticket may be "
                                                   "incomplete"), warnings, after, problem.hint)
        if after.paper_near_end and PAPER_NEAR_END not in warnings:
            warnings.append(PAPER_NEAR_END)
        return PrintResult(True, PRINTED, warnings, after)


# ---------------------------------------------------------------------------------------
# the test page

RARE_NAME_LINE = "生僻字 / Rare: 王䶮 李𠈌"
"""A line holding a CJK Extension B character, so it always goes through the image path."""


def test_page(site_name: str, profile: EscPosProfile) -> Job:
    """The technician's test page: Chinese and English, the site, the profile, a rare name
    through the image fallback, a ruler to see that nothing is clipped, a QR code, a cut."""
    cols = profile.chars_per_line
    ruler = "".join(str(i % 10) for i in range(1, cols + 1))
    hanzi_ruler = ("一二三四五六七八九十" * 8)[: cols // 2]
    yes_no = {True: "是 yes", False: "否 no"}
    job = (
        Job()
        .text("便民服务测试页", size=2, bold=True, align="center")
        .text("Bianmin test page", align="center")
        .rule()
        .text(f"站点 / Site: {site_name}")
        .text(f"纸宽 / Paper: {profile.paper_width_mm} mm")
        .text(f"行宽 / Width: {profile.dots_per_line} dots")
        .text(f"每行字数 / Columns: {cols}")
        .text(f"编码 / Encoding: {profile.encoding.upper()}")
        .text(f"二维码 / QR: {'打印机指令 native' if profile.qr_native else '图像 image'}")
        .text(f"切刀 / Cutter: {yes_no[profile.cutter]}")
        .text(f"缺字转图像 / Fallback: {yes_no[profile.image_fallback]}")
        .rule()
        .text(RARE_NAME_LINE)
        .text("金额 / Amount: ¥12.50")
        .text(ruler)
        .text(hanzi_ruler)
        .rule()
        .qr(f"便民测试页 Bianmin test page | {site_name}", size_mm=30)
        .text("扫码检查 / Scan to check", align="center")
        .feed(1)
        .cut()
    )
    return job


test_page.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
