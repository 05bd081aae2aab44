"""``bianmin imaging``: the document-imaging pipeline (devices/imaging, docs/imaging.md) run on
picture files: find a page, make a PDF of scanned pages, an ID card copy, read codes.

Output contracts (``--json`` keys, exit codes) are in docs/cli.md and tested by
tests/kiosk/test_imaging_cli.py. Exit codes: 0 done; 1 the command ran and found nothing (no
page, no card, no code); 2 it could not do its job (an unreadable picture, an output file it
cannot write, a usage error). Errors are plain Chinese and English on stderr, never a
traceback.

The imaging modules (and with them zxing-cpp, img2pdf, pikepdf) are imported inside the
commands, so the other ``bianmin`` commands do not load them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .cli_output import emit_json, json_option

if TYPE_CHECKING:
    import numpy as np

    from devices.imaging.detect import Detection
    from devices.imaging.page import PageImage

F = TypeVar("F", bound=Callable[..., Any])

EXIT_NOTHING = 1  # the command ran; there was no page, card or code to be found
EXIT_ERROR = 2  # the command could not do its job

MODES = ("colour", "whiten", "grey", "bw")  # devices.imaging.page.MODES (a test checks)


class ImagingError(Exception):
    """A problem the user can fix (a file, an option); its text is the whole message."""


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def plain_errors(fn: F) -> F:
    """Plain messages and exit 2 for the errors a picture or an output path can cause."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ImagingError as exc:
            _fail(str(exc))
        except ValueError as exc:  # the imaging modules' input checks
            _fail(f"无法处理图像 / cannot process the image: {exc}")

    return wrapper  # type: ignore[return-value]



def reference_option(fn: F) -> F:
    return click.option(
        "--reference", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="空桌面的照片 / A picture of the empty desk taken by the same camera: pages "
        "are found as what differs from it (white paper on a light desk).")(fn)



# --- files ---------------------------------------------------------------------------------


def read_image(path: Path) -> np.ndarray:
    """A picture file as a BGR uint8 image, its pixels as stored: EXIF orientation is ignored,
    as for camera frames (docs/devices/camera.md), so coordinates are the file's own."""
    import cv2
    import numpy as np

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImagingError(f"无法读取图像 / cannot read the image: {path}: "
                           f"{exc.strerror or exc}") from None
    image = cv2.imdecode(np.frombuffer(data, np.uint8),
                         cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION) if data else None
    if image is None:
        raise ImagingError(f"无法读取图像 / cannot read the image: {path}: not a picture "
                           "OpenCV can decode (JPEG, PNG, TIFF, BMP, WebP)")
    return image


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a
    rename, so a reader never sees half a file and a failed run leaves none behind. The file
    is readable by its owner only (mode 0600): scans are personal data."""
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ImagingError(f"无法写入文件 / cannot write the file: {path}: "
                           f"{exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ImagingError(f"无法写入文件 / cannot write the file: {path}: "
                           f"{exc.strerror or exc}") from None


def _suffix(path: Path, allowed: tuple[str, ...]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ImagingError(f"输出文件须以 {' 或 '.join(allowed)} 结尾 / --out must end in "
                           f"{' or '.join(allowed)}: {path}")
    return suffix


class _Detector:
    """A page detector with the empty-desk reference (if any) read once and checked against
    each picture's shape."""

    def __init__(self, reference: Path | None) -> None:
        from devices.imaging.detect import PageDetector

        self.detector = PageDetector()
        self.reference = None if reference is None else read_image(reference)
        self.detector.set_reference(self.reference)

    def detect(self, picture: np.ndarray) -> Detection:
        if self.reference is not None:
            (h, w), (rh, rw) = picture.shape[:2], self.reference.shape[:2]
            if abs(w / h - rw / rh) > 0.01 * (w / h):
                raise ImagingError(
                    f"空桌面照片与图像的长宽比不同 / the empty-desk picture ({rw}×{rh}) and the "
                    f"image ({w}×{h}) differ in shape: take both in the same camera mode")
        return self.detector.detect_image(picture)


def _whole(picture: np.ndarray, px_per_mm: float | None) -> PageImage:
    """The whole picture as a page, as it is (no warp, no snapping to a paper size): at the
    camera's scale when known, else at the resolution assumed for pages of unknown size."""
    from devices.imaging.page import ASSUMED_DPI, MM_PER_INCH, PageImage

    dpi = float(max(1, round(px_per_mm * MM_PER_INCH if px_per_mm else ASSUMED_DPI)))
    h, w = picture.shape[:2]
    return PageImage(picture, dpi, (round(w / dpi * MM_PER_INCH, 2),
                                    round(h / dpi * MM_PER_INCH, 2)), None)


def _corners_json(corners: Any) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in corners]


# --- the group -----------------------------------------------------------------------------


@click.group()
def imaging() -> None:
    """文档图像 / Document imaging on picture files: find a page, scan pages into a PDF,
    copy an ID card, read QR codes and barcodes (docs/imaging.md)."""


@imaging.command("detect")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@reference_option
@json_option
@plain_errors
def detect(image: Path, reference: Path | None, as_json: bool) -> None:
    """找出图像中的页面 / Find the page (document) in IMAGE and print its corners.

    Corners are top-left, top-right, bottom-right, bottom-left as seen in the picture, in its
    pixels, moved onto the page's edges at full resolution. Exits 0 when a page was found,
    1 when none was.
    """
    from devices.imaging.detect import refine_corners

    detector = _Detector(reference)
    picture = read_image(image)
    start = time.perf_counter()
    found = detector.detect(picture)
    corners = refine_corners(picture, found.corners) if found.corners is not None else None
    ms = (time.perf_counter() - start) * 1000
    result = {"found": corners is not None,
              "corners": None if corners is None else _corners_json(corners),
              "ms": round(ms, 3)}
    if as_json:
        emit_json(result)
    elif corners is not None:
        points = " ".join(f"({x:.1f}, {y:.1f})" for x, y in result["corners"])  # type: ignore[union-attr]
        click.echo(f"找到页面 / Page found: {points}  ({ms:.1f} ms)")
    else:
        click.echo(f"未找到页面 / No page found  ({ms:.1f} ms)")
    sys.exit(0 if corners is not None else EXIT_NOTHING)


@imaging.command("scan")
@click.argument("images", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出的 PDF 文件 / The PDF file to write (FILE.pdf).")
@click.option("--mode", type=click.Choice(MODES), default="colour", show_default=True,
              help="colour 彩色原稿, whiten 去底色, grey 灰度, bw 黑白 / Colour original, "
              "whitened, grey or black-and-white.")
@reference_option
@click.option("--view-width-mm", type=click.FloatRange(min=10, max=2000), default=None,
              help="画面对应的桌面宽度（毫米）/ How wide a strip of desk the pictures show, in mm "
              "(the camera's field of view; 420 for the simulated camera). Gives pages their "
              "true size: without it A4 and A5 look alike and are sized at 200 dpi.")
@click.option("--pdfa", is_flag=True, help="写成 PDF/A-1b 存档格式 / Write PDF/A-1b "
              "(archival).")
@click.option("--title", default=None, help="PDF 的标题 / The PDF's title.")
@json_option
@plain_errors
def scan(images: tuple[Path, ...], out: Path, mode: str, reference: Path | None,
         view_width_mm: float | None, pdfa: bool, title: str | None, as_json: bool) -> None:
    """把图像中的页面扫描成一个 PDF / Scan the page in each IMAGE into one PDF, in order.

    Each page is found, cut out, straightened to its true aspect ratio, converted to
    --mode and put on a PDF page of its real size. A picture in which no page is found is
    used whole (a note says so).
    """
    from devices.imaging.detect import refine_corners
    from devices.imaging.page import apply_mode, encode_jpeg, encode_png, warp_page
    from devices.imaging.pdf import pages_to_pdf

    _suffix(out, (".pdf",))
    encoded: list[bytes] = []
    report = []
    detector = _Detector(reference)
    for number, path in enumerate(images, 1):
        picture = read_image(path)
        found = detector.detect(picture)
        px_per_mm = picture.shape[1] / view_width_mm if view_width_mm else None
        if found.corners is not None:
            page = warp_page(picture, refine_corners(picture, found.corners),
                             px_per_mm=px_per_mm)
        else:
            page = _whole(picture, px_per_mm)
            click.echo(f"第 {number} 张未找到页面，整张使用 / {path}: no page found; the whole "
                       "picture is used", err=True)
        page = apply_mode(page, mode)
        data = encode_png(page) if mode == "bw" else encode_jpeg(page)
        encoded.append(data)
        report.append({"image": str(path), "found": found.corners is not None,
                       "kind": page.kind,
                       "size_mm": [round(page.size_mm[0], 1), round(page.size_mm[1], 1)],
                       "dpi": round(page.dpi, 1), "mode": page.mode,
                       "format": "png" if mode == "bw" else "jpeg", "bytes": len(data)})
    pdf = pages_to_pdf(encoded, pdfa=pdfa, title=title)
    write_atomically(out, pdf)
    if as_json:
        emit_json({"out": str(out), "pages": report, "bytes": len(pdf), "pdfa": pdfa})
        return
    for number, page_report in enumerate(report, 1):
        w, h = page_report["size_mm"]
        kind = page_report["kind"] or "—"
        click.echo(f"第 {number} 页 / page {number}: {w:g}×{h:g} mm ({kind}), "
                   f"{page_report['dpi']:g} dpi, {page_report['bytes']:,} bytes")
    click.echo(f"已写入 / Wrote {out}: {len(report)} 页 pages, {len(pdf):,} bytes")


@imaging.command("idcopy")
@click.argument("front", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("back", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 / The file to write: FILE.png (DPI set) or FILE.pdf (A4).")
@reference_option
@click.option("--guides", is_flag=True, help="在卡片周围画浅灰裁切线 / Draw a thin light-grey "
              "cut line around each card.")
@json_option
@plain_errors
def idcopy(front: Path, back: Path, out: Path, reference: Path | None, guides: bool,
           as_json: bool) -> None:
    """身份证复印件 / Both sides of an ID card on one A4 page, at true size.

    Each side is 85.6 × 54 mm on the page, so it prints 1:1 at 100 %. FRONT and BACK are
    camera pictures with the card on the desk, or pictures of the card alone (already cut to
    the card). Exits 1 when a side shows no card.
    """
    from devices.imaging.idcopy import compose_id_copy
    from devices.imaging.page import encode_jpeg, encode_png
    from devices.imaging.pdf import pages_to_pdf

    suffix = _suffix(out, (".png", ".pdf"))
    sides = []
    report = {}
    detector = _Detector(reference)
    for name, path in (("front", front), ("back", back)):
        picture = read_image(path)
        card, how = _card(picture, detector)
        if card is None:
            _fail(f"{'正面' if name == 'front' else '背面'}图像中未找到身份证 / no ID card found "
                  f"in the {name} picture: {path}", EXIT_NOTHING)
        sides.append(card)
        report[name] = {"image": str(path), "card": how}
    sheet = compose_id_copy(sides[0], sides[1], guides=guides)
    if suffix == ".png":
        data = encode_png(sheet)
    else:  # JPEG inside: the colour page is a fraction of the PNG's size
        data = pages_to_pdf([encode_jpeg(sheet)], title="身份证复印件 / ID card copy")
    write_atomically(out, data)
    result = {"out": str(out), **report, "dpi": round(sheet.dpi, 1),
              "size_mm": [round(sheet.size_mm[0], 1), round(sheet.size_mm[1], 1)],
              "bytes": len(data)}
    if as_json:
        emit_json(result)
    else:
        click.echo(f"已写入 / Wrote {out}: A4, {sheet.dpi:g} dpi, {len(data):,} bytes")


def _card(picture: np.ndarray, detector: _Detector) -> tuple[PageImage | np.ndarray | None, str]:
    """The card in a picture, cut out and straightened, and how it was found: ``detected``
    (a card-shaped quad, the one nearest the centre), ``whole`` (no quad, and the picture
    itself has a card's shape), or (None, ``none``)."""
    from devices.imaging import geometry
    from devices.imaging.detect import refine_corners
    from devices.imaging.page import warp_page

    found = detector.detect(picture)
    for quad in found.quads:
        if _card_shaped(geometry.aspect_ratio(quad)):
            return warp_page(picture, refine_corners(picture, quad), kind="id_card"), "detected"
    h, w = picture.shape[:2]
    if _card_shaped(max(w, h) / min(w, h)):
        return picture, "whole"
    return None, "none"


def _card_shaped(aspect: float) -> bool:
    """An ID card's shape (85.6 × 54 mm), within the tolerance compose_id_copy accepts."""
    import math

    from devices.imaging.idcopy import ASPECT_TOLERANCE, CARD_ASPECT

    return abs(math.log(aspect / CARD_ASPECT)) <= math.log1p(ASPECT_TOLERANCE)


@imaging.command("codes")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--backend", type=click.Choice(("zxing", "pyzbar")), default="zxing",
              show_default=True, help="解码库 / The decoder: zxing (zxing-cpp) or pyzbar (ZBar).")
@json_option
@plain_errors
def codes(image: Path, backend: str, as_json: bool) -> None:
    """读取图像中的二维码和条码 / Read the QR codes and barcodes in IMAGE.

    Exits 0 when at least one code was read, 1 when none was.
    """
    from devices.imaging.codes import read_codes

    found = read_codes(read_image(image), backend=backend)
    if as_json:
        emit_json([code.as_json() for code in found])
    elif found:
        for code in found:
            click.echo(f"{code.format}\t{code.text}")
    else:
        click.echo("未读到码 / No code found")
    sys.exit(0 if found else EXIT_NOTHING)
