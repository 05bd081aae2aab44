"""Several captured pages into one PDF, each page printing at the paper's true size.

img2pdf (https://gitlab.mister-muffin.de/josch/img2pdf, README "lossless conversion")
embeds a JPEG as it is (a ``/DCTDecode`` stream: no re-encoding, no loss, about 0.2 %
overhead — ../shared/research/camera.md §6) and a PNG's compressed data as ``/FlateDecode``;
it sizes each page from the DPI stored in the image (JFIF density, PNG pHYs), so a page
encoded by :mod:`devices.imaging.page` prints 1:1.

PDF/A-1b (ISO 19005-1:2005; archives ask for PDF/A, camera.md §6) comes from img2pdf's
``pdfa`` option: XMP metadata claiming part 1, conformance B, and an sRGB OutputIntent. The
intent needs an ICC profile, and PDF/A-1 only admits ICC version 2 profiles (ISO 19005-1
§6.2.2 via PDF 1.4; veraPDF rule 6.2.2-1). Pillow's built-in ``createProfile("sRGB")`` is a
version 4 profile, so :func:`srgb_icc_profile` writes a version 2 matrix/TRC sRGB profile
itself (ICC.1:2001-04 layout; IEC 61966-2-1 primaries and tone curve, adapted to D50 with
Bradford as the ICC requires).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import os
import struct
import tempfile
from collections.abc import Sequence

import img2pdf
import pikepdf
from PIL import Image

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- ICC profile


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15f16(x) + _s15f16(y) + _s15f16(z)


def _text_tag(text: str) -> bytes:
    return b"text" + bytes(4) + text.encode("ascii") + b"\0"


def _desc_tag(text: str) -> bytes:
    """textDescriptionType (ICC.1:2001-04 §6.5.17): ASCII, empty Unicode and ScriptCode."""
    ascii_text = text.encode("ascii") + b"\0"
    return (b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + bytes(67))


def _srgb_curve(entries: int = 1024) -> bytes:
    """curveType (§6.5.3) sampling the sRGB decoding function (IEC 61966-2-1 §5.2)."""
    values = []
    for i in range(entries):
        v = i / (entries - 1)
        linear = v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        values.append(min(65535, round(linear * 65535)))
    return b"curv" + bytes(4) + struct.pack(f">I{entries}H", entries, *values)


@functools.cache
def srgb_icc_profile() -> bytes:
    """An ICC version 2.1 display profile for sRGB (see the module docstring), 2.7 kB."""
    curve = _srgb_curve()
    tags = [  # signature, data (the three TRCs share one curve)
        (b"desc", _desc_tag("sRGB IEC61966-2.1 (ICC v2, Bianmin)")),
        (b"cprt", _text_tag("No copyright, use freely")),
        # media white point: D65 as a v2 display profile states it; the colorants below are
        # already adapted to the D50 connection space (Bradford), as in the common v2 sRGB
        (b"wtpt", _xyz_tag(0.9505, 1.0, 1.0891)),
        (b"rXYZ", _xyz_tag(0.4360747, 0.2225045, 0.0139322)),
        (b"gXYZ", _xyz_tag(0.3850649, 0.7168786, 0.0971045)),
        (b"bXYZ", _xyz_tag(0.1430804, 0.0606169, 0.7141733)),
        (b"rTRC", curve),
    ]
    shared = {b"gTRC": b"rTRC", b"bTRC": b"rTRC"}
    count = len(tags) + len(shared)
    offset = 128 + 4 + 12 * count
    table, data, where = [], b"", {}
    for signature, body in tags:
        where[signature] = (offset + len(data), len(body))
        data += body + bytes(-len(body) % 4)  # every tag starts on a 4-byte boundary
    for signature, same in shared.items():
        where[signature] = where[same]
    for signature in [s for s, _ in tags] + list(shared):
        start, length = where[signature]
        table.append(signature + struct.pack(">II", start, length))
    body = struct.pack(">I", count) + b"".join(table) + data
    size = 128 + len(body)
    header = (struct.pack(">I", size) + bytes(4)  # size, preferred CMM: none
              + bytes((2, 0x10, 0, 0))  # version 2.1.0
              + b"mntr" + b"RGB " + b"XYZ "
              + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)  # fixed date: the bytes never change
              + b"acsp" + bytes(4)  # platform: none
              + bytes(4 + 4 + 4 + 8)  # flags, manufacturer, model, attributes
              + struct.pack(">I", 0)  # rendering intent: perceptual
              + _s15f16(0.9642) + _s15f16(1.0) + _s15f16(0.8249)  # PCS illuminant D50
              + bytes(4) + bytes(44))  # creator, reserved
    assert len(header) == 128
    return header + body


@functools.cache
def _icc_path() -> str:
    """img2pdf reads the profile from a file: write it once per process."""
    fd, path = tempfile.mkstemp(prefix="bianmin-srgb-v2-", suffix=".icc")
    with os.fdopen(fd, "wb") as f:
        f.write(srgb_icc_profile())
    atexit.register(_remove, path)
    return path


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# --------------------------------------------------------------------------- PDF


def _check_page(index: int, data: object) -> bytes:
    """Plain-words errors for what img2pdf would reject obscurely."""
    which = f"第 {index + 1} 页 / page {index + 1}"
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"{which}: expected the bytes of a JPEG or PNG image, "
                         f"not {type(data).__name__}")
    data = bytes(data)
    if not (data.startswith(JPEG_MAGIC) or data.startswith(PNG_MAGIC)):
        raise ValueError(f"{which}: 不是 JPEG 或 PNG 图像 / not a JPEG or PNG image")
    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only: cheap
            dpi = img.info.get("dpi")
    except Exception as exc:  # Pillow raises many kinds for damaged files
        raise ValueError(f"{which}: 图像已损坏 / the image is damaged ({exc})") from exc
    if not dpi or not all(isinstance(d, (int, float)) and d > 0 for d in dpi):
        raise ValueError(f"{which}: 图像未记录分辨率 / the image has no DPI, so its page size "
                         "is unknown (encode it with devices.imaging.page)")
    return data


def pages_to_pdf(images: Sequence[bytes], *, pdfa: bool = False,
                 title: str | None = None) -> bytes:
    """One PDF page per image, in order, each the size its DPI gives (printing 1:1).

    :param images: JPEG or PNG files as bytes, with their DPI recorded.
    :param pdfa: write PDF/A-1b (sRGB output intent, XMP identification).
    :param title: the document title (Info and, for PDF/A, XMP ``dc:title``).
    :raises ValueError: no pages, or a page that is not a readable JPEG/PNG with a DPI.
    """
    if isinstance(images, (bytes, bytearray, str)):
        raise ValueError("images is a list of pages (bytes each), not a single value")
    pages = [_check_page(i, data) for i, data in enumerate(images)]
    if not pages:
        raise ValueError("没有页面 / no pages to put in the PDF")
    options: dict[str, object] = {}
    if pdfa:
        options["pdfa"] = _icc_path()
    elif title:
        options["title"] = title
    try:
        # file objects, not bytes: img2pdf would first try a bytes value as a file name
        pdf = img2pdf.convert([io.BytesIO(p) for p in pages], **options)
    except Exception as exc:  # img2pdf's own errors (ImageOpenError, …) and Pillow's
        raise ValueError(f"无法生成 PDF / cannot make the PDF: {exc}") from exc
    if pdfa and title:
        pdf = _set_title(pdf, title)
    return pdf


def _set_title(pdf: bytes, title: str) -> bytes:
    """PDF/A-1 wants the Info title and the XMP ``dc:title`` to agree (ISO 19005-1 §6.7.3):
    pikepdf writes both; the image streams are copied as they are."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
        return out.getvalue()


def points(mm: float) -> float:
    """Millimetres to PDF points (1/72 inch)."""
    return mm / 25.4 * 72.0

