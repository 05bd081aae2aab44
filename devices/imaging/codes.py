"""QR codes and barcodes on a captured page or a camera frame: appointment QR codes, e-licence
codes (扫码亮证), case numbers.

Two back-ends, one result (../shared/research/camera.md §4–§5):

- ``zxing`` (zxing-cpp 3.x, ``zxingcpp.read_barcodes``), the default: it decodes QR codes from
  2 px per module, reads DataMatrix, PDF417 and Aztec too, and is about 20× faster than zbar
  on an 8 MP frame (QR only: 8.7 ms full frame, 2–3 ms at half scale);
- ``pyzbar`` (ZBar through ``pyzbar``, Debian's libzbar0), selectable: a second opinion and
  the benchmark's comparison. ZBar reads no DataMatrix, PDF417 or Aztec.

What is the same whichever back-end read the code:

- ``format`` uses zxing-cpp's names (``BarcodeFormat`` member names: ``QRCode``,
  ``Code128``, ``EAN13``, ``ITF``, ``DataMatrix``, ``PDF417`` …); ZBar's names are mapped onto
  them (``QRCODE`` → ``QRCode``, ``I25`` → ``ITF`` …, :data:`ZBAR_FORMATS`);
- ``text`` is decoded from the code's own bytes: UTF-8 when they are UTF-8 (what
  today's generators write, with or without an ECI), else GBK when they are valid GBK (older
  Chinese systems write GBK without saying so). ZBar is asked for the raw bytes
  (``qrcode.binary``, ZBar ≥ 0.23), because its own character-set guess turns short UTF-8
  Chinese into mojibake (``你好`` comes back as ``ä½\\xa0å¥½``); zxing-cpp's text is kept when
  the code declares its character set (ECI), as the QR standard (ISO/IEC 18004 §6.4.2) says;
- ``position`` is the code's four corners TL, TR, BR, BL as seen in the image, in pixels of
  the image passed in (:mod:`devices.imaging.geometry` order). For a 1-D barcode it is the
  box around the scan lines that read it and can be thin.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import zxingcpp

from . import geometry
from .geometry import Corners

BACKENDS = ("zxing", "pyzbar")

FRAME_FORMATS = ("QRCode",)
"""What :func:`read_frame_codes` looks for by default: appointment and e-licence codes are QR
codes, and QR only keeps a frame's decode within a few milliseconds (camera.md §5)."""

ZBAR_FORMATS: dict[str, str] = {
    "QRCODE": "QRCode", "CODE128": "Code128", "CODE39": "Code39", "CODE93": "Code93",
    "CODABAR": "Codabar", "EAN13": "EAN13", "EAN8": "EAN8", "EAN5": "EAN5", "EAN2": "EAN2",
    "UPCA": "UPCA", "UPCE": "UPCE", "ISBN10": "ISBN", "ISBN13": "ISBN", "I25": "ITF",
    "PDF417": "PDF417", "DATABAR": "DataBar", "DATABAR_EXP": "DataBarExp",
    "SQCODE": "SQCode", "COMPOSITE": "Composite",
}
"""ZBar's symbol names and the zxing-cpp names they become. ``SQCode`` and ``Composite`` have
no zxing-cpp counterpart and keep ZBar's meaning."""

# zxing-cpp formats whose symbology identifier (ISO/IEC 15424) says "an ECI is present":
# the code names its own character set, so zxing-cpp's text is right as it stands.
_ECI_IDENTIFIERS = {"]Q2", "]Q4", "]Q6", "]d4", "]d5", "]d6", "]z3", "]z4", "]z5", "]L1"}


@dataclass(frozen=True)
class Code:
    """One code read from an image."""

    format: str
    """zxing-cpp's name of the symbology (module docstring)."""
    text: str
    """What the code says."""
    position: Corners
    """Its corners TL, TR, BR, BL in image pixels."""

    def as_json(self) -> dict[str, Any]:
        return {"format": self.format, "text": self.text,
                "position": [list(p) for p in self.position]}


def read_codes(image: np.ndarray, *, backend: str = "zxing",
               formats: str | Iterable[str] | None = None) -> list[Code]:
    """Every code in ``image`` (BGR or grey, uint8), each once, in the back-end's order.

    :param backend: ``zxing`` (zxing-cpp, the default) or ``pyzbar``.
    :param formats: names from the common vocabulary (``"QRCode"``, ``["EAN13", "Code128"]``)
        to look for; None: every format the back-end reads. Fewer formats decode faster.
    :raises ValueError: not an image, an unknown back-end or format, or a format the back-end
        cannot read (pyzbar and ``DataMatrix``).
    """
    grey = _grey(image)
    wanted = _formats(formats)
    if backend == "zxing":
        found = _read_zxing(grey, wanted)
    elif backend == "pyzbar":
        found = _read_zbar(grey, wanted)
    else:
        raise ValueError(f"backend is one of {', '.join(BACKENDS)}, not {backend!r}")
    return _unique(found)


def read_frame_codes(image: np.ndarray, *, backend: str = "zxing",
                     formats: str | Iterable[str] | None = FRAME_FORMATS) -> list[Code]:
    """Codes in a camera frame, cheaply: decode at half scale first (an 8 MP frame shows a
    30 mm QR code at about 6 px per module, 3 at half scale, enough for zxing-cpp's 2), and
    at full scale only when that finds nothing. Positions are in pixels of ``image``.

    Default ``formats``: QR codes only (:data:`FRAME_FORMATS`); pass None for every format.
    """
    _check(image)
    h, w = image.shape[:2]
    if min(h, w) >= 400:
        # resize before the grey conversion: at 8 MP that is 3.6 ms instead of 4.4
        half = cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        found = read_codes(half, backend=backend, formats=formats)
        if found:
            sx, sy = w / (w // 2), h / (h // 2)
            return [Code(c.format, c.text, _scaled(c.position, sx, sy)) for c in found]
    return read_codes(image, backend=backend, formats=formats)


# --- input -------------------------------------------------------------------------------


def _check(image: Any) -> None:
    """Raise a plain ValueError unless ``image`` is a grey or BGR uint8 picture."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"codes are read from an image array, not {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"codes are read from an 8-bit image (uint8), not {image.dtype}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3))):
        raise ValueError("codes are read from a grey or BGR image (height × width, or "
                         f"height × width × 3), not one shaped {image.shape}")
    if min(image.shape[:2]) < 8:
        raise ValueError(f"the image is too small to hold a code: {image.shape[1]}×"
                         f"{image.shape[0]} pixels")


def _grey(image: Any) -> np.ndarray:
    """The image as one contiguous grey uint8 plane; both back-ends read luminance only
    (zxing-cpp converts BGR itself, but 2.5× slower than OpenCV)."""
    _check(image)
    if image.ndim == 3:
        image = image[:, :, 0] if image.shape[2] == 1 else cv2.cvtColor(image,
                                                                        cv2.COLOR_BGR2GRAY)
    return np.ascontiguousarray(image)


def _formats(formats: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if formats is None:
        return None
    names = (formats,) if isinstance(formats, str) else tuple(formats)
    known = _zxing_names()
    for name in names:
        if name not in known and name not in ("SQCode", "Composite"):
            raise ValueError(f"unknown code format {name!r}; known: "
                             "QRCode, Code128, EAN13, EAN8, UPCA, UPCE, ITF, Code39, Code93, "
                             "Codabar, DataMatrix, PDF417, Aztec, ... (zxing-cpp's names)")
    if not names:
        raise ValueError("formats is empty: name at least one format, or None for all")
    return names


def _zxing_names() -> set[str]:
    return set(zxingcpp.BarcodeFormat.__members__)


# --- zxing-cpp ---------------------------------------------------------------------------


def _read_zxing(grey: np.ndarray, formats: tuple[str, ...] | None) -> list[Code]:
    if formats is None:
        barcodes = zxingcpp.read_barcodes(grey)
    else:
        wanted = [getattr(zxingcpp.BarcodeFormat, name) for name in formats
                  if name in zxingcpp.BarcodeFormat.__members__]
        if not wanted:
            return []  # only ZBar-only names (SQCode, Composite): zxing-cpp reads none of them
        barcodes = zxingcpp.read_barcodes(grey, formats=wanted)
    codes = []
    for barcode in barcodes:
        p = barcode.position
        corners = [(p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y),
                   (p.bottom_right.x, p.bottom_right.y), (p.bottom_left.x, p.bottom_left.y)]
        text = barcode.text
        if barcode.symbology_identifier not in _ECI_IDENTIFIERS:
            text = _text(bytes(barcode.bytes), fallback=text)
        codes.append(Code(barcode.format.name, text, _corners(corners)))
    return codes


# --- ZBar --------------------------------------------------------------------------------


def _read_zbar(grey: np.ndarray, formats: tuple[str, ...] | None) -> list[Code]:
    from pyzbar import wrapper as zbar  # loads libzbar0: only when this back-end is asked for

    symbols = None
    if formats is not None:
        by_name = {}
        for zbar_name, name in ZBAR_FORMATS.items():
            by_name.setdefault(name, []).append(zbar.ZBarSymbol[zbar_name])
        cannot = [name for name in formats if name not in by_name]
        if cannot:
            raise ValueError(f"pyzbar (ZBar) cannot read {', '.join(cannot)}; "
                             "use the zxing back-end")
        symbols = {s for name in formats for s in by_name[name]}
    h, w = grey.shape
    scanner = zbar.zbar_image_scanner_create()
    if not scanner:
        raise RuntimeError("ZBar could not create an image scanner")
    try:
        if symbols is not None:
            enable = zbar.ZBarConfig.CFG_ENABLE
            zbar.zbar_image_scanner_set_config(scanner, 0, enable, 0)  # symbol 0: all of them
            for symbol in symbols:
                zbar.zbar_image_scanner_set_config(scanner, symbol, enable, 1)
        _zbar_binary(zbar, scanner)
        image = zbar.zbar_image_create()
        if not image:
            raise RuntimeError("ZBar could not create an image")
        try:
            zbar.zbar_image_set_format(image, _FOURCC_Y800)
            zbar.zbar_image_set_size(image, w, h)
            zbar.zbar_image_set_data(image, ctypes.c_void_p(grey.ctypes.data), grey.nbytes, None)
            if zbar.zbar_scan_image(scanner, image) < 0:
                raise RuntimeError("ZBar could not scan the image")
            return list(_zbar_symbols(zbar, image))
        finally:
            zbar.zbar_image_destroy(image)
    finally:
        zbar.zbar_image_scanner_destroy(scanner)


_FOURCC_Y800 = 0x30303859  # 'Y800': 8-bit grey, as pyzbar's own decode() passes it


def _zbar_binary(zbar: Any, scanner: Any) -> None:
    """Ask ZBar for a QR code's raw bytes instead of its character-set guess (``binary``,
    ZBar ≥ 0.23; an older ZBar keeps guessing and :func:`_text` reads what it made)."""
    symbol, config, value = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    if zbar.zbar_parse_config(b"qrcode.binary=1", ctypes.byref(symbol), ctypes.byref(config),
                              ctypes.byref(value)) == 0:
        zbar.zbar_image_scanner_set_config(scanner, symbol.value, config.value, value.value)


def _zbar_symbols(zbar: Any, image: Any) -> Iterable[Code]:
    symbol = zbar.zbar_image_first_symbol(image)
    while symbol:
        data = ctypes.string_at(zbar.zbar_symbol_get_data(symbol),
                                zbar.zbar_symbol_get_data_length(symbol))
        try:
            name = zbar.ZBarSymbol(symbol.contents.type).name
        except ValueError:  # a symbology newer than pyzbar's list
            name = f"ZBar{symbol.contents.type}"
        points = [(zbar.zbar_symbol_get_loc_x(symbol, i), zbar.zbar_symbol_get_loc_y(symbol, i))
                  for i in range(zbar.zbar_symbol_get_loc_size(symbol))]
        if points:
            yield Code(ZBAR_FORMATS.get(name, name), _text(data, fallback=None),
                       _box(points))
        symbol = zbar.zbar_symbol_next(symbol)


def _box(points: Sequence[tuple[int, int]]) -> Corners:
    """Four corners from ZBar's location points: a QR code's four finder corners as they are;
    a barcode's scan-line ends (or anything else) as the smallest rectangle around them."""
    pts = np.asarray(points, np.float64)
    if len(pts) == 4 and geometry.is_convex(geometry.order_corners(pts)):
        return _corners(pts)
    if len(np.unique(pts, axis=0)) < 3:  # one scan line: a segment, padded to a thin box
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        return _corners([(x0, y0), (x1 + 1, y0), (x1 + 1, y1 + 1), (x0, y1 + 1)])
    return _corners(cv2.boxPoints(cv2.minAreaRect(pts.astype(np.float32))))


# --- shared ------------------------------------------------------------------------------


def _text(data: bytes, *, fallback: str | None) -> str:
    """A code's bytes as text: UTF-8, else GBK (GB 2312/GBK, common in older Chinese codes),
    else the back-end's own reading (``fallback``), else Latin-1 (ISO/IEC 18004's default)."""
    for encoding in ("utf-8", "gbk"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return fallback if fallback is not None else data.decode("latin-1")


def _corners(points: Any) -> Corners:
    return geometry.as_corners(geometry.order_corners(np.asarray(points, np.float64)))


def _scaled(corners: Corners, sx: float, sy: float) -> Corners:
    return geometry.as_corners(np.asarray(corners, np.float64) * (sx, sy))


def _unique(codes: list[Code]) -> list[Code]:
    """Drop repeats (zxing-cpp may report a code found twice, e.g. rotated and not)."""
    seen: set[Code] = set()
    out = []
    for code in codes:
        if code not in seen:
            seen.add(code)
            out.append(code)
    return out
