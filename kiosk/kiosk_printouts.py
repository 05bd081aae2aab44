"""What the citizen kiosk prints, as printer jobs: the queue ticket (取号小票), the one-time
notice of what to bring (一次性告知单, from 办事指南) and a result document the county sent
(结果打印).

Layouts only, like :mod:`kiosk.printouts`: a job is a list of blocks
(``drivers.escpos_printer.Job``), which the ticket printer role turns into ESC/POS bytes
and the printer simulator back into a picture; lines are wrapped to the paper (58 or 80 mm)
by the driver. Every line with words has its Chinese first and its English second. A
ticket carries nothing personal (no name, no ID number): it is left on benches.

Result documents are printed as raster images as wide as the paper: PNG and JPEG through
Pillow, PDF page by page through PDFium (``pypdfium2``), at most :data:`MAX_PAGES` pages.
A document that cannot be printed here raises :class:`CannotPrint` (a ValueError) with a
bilingual message the printer adapter hands to the screen.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from drivers.escpos_printer import Job
from kiosk.domain.queue.estimates import wait_minutes
from kiosk.kiosk_ports import GuideFacts, GuideMaterial, ResultDoc, TicketFacts

MAX_PAGES = 10
"""Most pages of a result document printed at the kiosk; the rest are fetched at a window."""
PAPER_DOTS = 576
"""Default raster width of a result page: an 80 mm printer's 576 dots (72 mm at 8 dots/mm)."""
MAX_PIXELS = 40_000_000
"""Largest picture accepted (pixels): a county scan is a few megapixels; more is refused
rather than exhausting the kiosk's memory (Pillow's own bomb guard is at 89 M)."""
MAX_PAGE_DOTS = 8000
"""Longest page printed, in dots (1 m of paper); a longer strip is refused as too large."""
LANDSCAPE = 1.2
"""A page wider than this times its height is printed turned a quarter (landscape pages
would be unreadably small across 72 mm of paper)."""

FORMS_EN = {"原件": "original", "复印件": "copy", "原件和复印件": "original and copy",
            "电子证照": "e-licence"}
"""The catalogue's material forms in English (kiosk/domain/catalogue.py)."""

TIME = "%Y-%m-%d %H:%M"

# PDFium keeps global state and is not thread-safe (pypdfium2's documentation): one page
# rendering at a time in this process.
_PDFIUM = threading.Lock()


# --- the queue ticket --------------------------------------------------------------------------


def number_size(number: str) -> int:
    """The largest character size (the driver allows 1-4) at which ``number`` fits on one
    line of the narrowest paper: 58 mm holds 32 half-width columns at size 1."""
    for size in (4, 3, 2):
        if len(number) * size <= 32:
            return size
    return 1


def ticket_job(t: TicketFacts) -> Job:
    """取号小票: the number, which queue, how many are ahead and for about how long, when it
    was issued, and a QR code to follow the queue and rate the service afterwards."""
    job = Job()
    job.text(t.site_name, align="center", bold=True)
    job.text("取号凭条 / Queue ticket", align="center")
    job.rule()
    if t.reprint:
        job.text("补打 / Reprint", align="center", bold=True)
    job.text(t.number, size=number_size(t.number), bold=True, align="center")
    job.text(t.category_name, size=2, bold=True, align="center")
    job.text(t.category_name_en, bold=t.language == "en", align="center")
    if t.priority_note:
        job.text(t.priority_note, align="center", bold=True)
    if t.appointment:
        job.text("预约 / Appointment", align="center", bold=True)
    job.feed(1)
    job.text(f"前面还有 {t.ahead} 人 / {t.ahead} ahead", align="center", bold=True)
    if t.estimated_wait_s is not None:
        minutes = wait_minutes(t.estimated_wait_s)
        job.text(f"等候约 {minutes} 分钟 / about {minutes} min", align="center")
    job.text(f"取号 / Issued: {t.issued_at.strftime(TIME)}", align="center")
    if t.code:
        job.qr(t.code, size_mm=26)
        job.text("扫码查看排队、办完后评价 / Scan to follow the queue and rate",
                 align="center")
    job.rule()
    job.text("请留意叫号 / Please listen for your number", align="center", bold=True)
    job.cut()
    return job


# --- the one-time notice of what to bring ------------------------------------------------------


def material_lines(n: int, m: GuideMaterial) -> list[str]:
    """A material as the notice prints it: ``1. 居民身份证`` on its own line (printed bold),
    then what form and how many (``原件 1 份 / original ×1``), the optional and 容缺 marks
    and the catalogue's note, a line each."""
    form_en = FORMS_EN.get(m.form, m.form)
    lines = [f"{n}. {m.name}", f"{m.form} {m.count} 份 / {form_en} ×{m.count}"]
    if not m.required:
        lines.append("如有则带 / if it applies to you")
    if m.rongque:
        lines.append("可容缺 / may follow later")
    if m.note:
        lines.append(f"注 / Note: {m.note}")
    return lines


def time_limit_line(promised_days: int, legal_days: int) -> str:
    """承诺 and 法定 working days, or 即办 when both are 0."""
    if promised_days <= 0 and legal_days <= 0:
        return "办理时限 / Time limit: 即办 / done on the spot"
    zh, en = [], []
    if promised_days > 0:
        zh.append(f"承诺 {promised_days} 个工作日")
        en.append(f"{promised_days} working days promised")
    else:
        zh.append("承诺即办")
        en.append("done on the spot")
    if legal_days > 0:
        zh.append(f"法定 {legal_days} 个工作日")
        en.append(f"{legal_days} by law")
    return f"办理时限 / Time limit: {'，'.join(zh)} / {', '.join(en)}"


def guide_job(g: GuideFacts) -> Job:
    """一次性告知单: everything to bring for one item or a bundle (一件事), in one go, so the
    citizen comes once with all of it."""
    job = Job()
    job.text(g.site_name, align="center", bold=True)
    job.text("一次性告知单", size=2, bold=True, align="center")
    job.text("What to bring", align="center")
    job.rule()
    job.text(g.title, bold=True)
    if g.title_en:
        job.text(g.title_en)
    if g.items:
        job.text("包含事项 / Includes:", bold=True)
        for name in g.items:
            job.text(f"  · {name}")
    if g.conditions:
        job.text("办理条件 / Who can apply:", bold=True)
        for condition in g.conditions:
            job.text(f"  · {condition}")
    job.rule()
    job.text(f"所需材料 / Bring these ({len(g.materials)}):", bold=True)
    for n, material in enumerate(g.materials, 1):
        name, *details = material_lines(n, material)
        job.text(name, bold=True)
        for line in details:
            job.text(line)
    if any(m.rongque for m in g.materials):
        job.text("可容缺的材料可以后补交，须签告知承诺书 / Papers marked \"may follow later\" "
                 "can be brought afterwards; you sign a commitment")
    job.rule()
    job.text(time_limit_line(g.promised_days, g.legal_days))
    if g.fee_text:
        job.text(f"收费 / Fees: {g.fee_text}")
    if g.window:
        job.text(f"办理窗口 / Window: {g.window}")
    if g.village_can:
        job.text("村可代办：村便民服务站可帮您代办 / Your village service point can apply "
                 "for you")
    job.text(f"打印 / Printed: {g.printed_at.strftime(TIME)}")
    job.rule()
    job.text("带齐材料，一次办成 / Bring all of these: done in one visit", align="center",
             bold=True)
    job.cut()
    return job


# --- a result document ---------------------------------------------------------------------------

class CannotPrint(ValueError):
    """A document that cannot be printed at the kiosk; the message says why and what to do,
    in Chinese and English."""


CANNOT_PRINT = ("此类文件（{kind}）不能在自助机打印，请到窗口领取 / This kind of document "
                "({kind}) cannot be printed here; please ask at a window")
CANNOT_READ = ("文件已损坏或无法读取，请到窗口领取 / The document is damaged or cannot be read; "
               "please ask at a window")
TOO_LARGE = ("文件图像太大，不能在自助机打印，请到窗口领取 / The document's picture is too large "
             "to print here; please ask at a window")


def _media_type(value: str) -> str:
    """``Image/PNG; q=1`` → ``image/png``."""
    return value.split(";", 1)[0].strip().lower()


def result_job(doc: ResultDoc, *, dots: int = PAPER_DOTS) -> Job:
    """办理结果: a title, the receipt number, then the document's pages as pictures ``dots``
    wide (the printer's line width: 576 on 80 mm paper, 384 on 58 mm).

    :raises CannotPrint: (a ValueError) a type that cannot be printed here, a damaged
        document, or one too large; the message says so in Chinese and English.
    """
    pages, total = _pages(doc, dots)
    job = Job()
    job.text("办理结果", size=2, bold=True, align="center")
    job.text("Result document", align="center")
    job.text(f"受理编号 / Receipt No.: {doc.receipt_no}", bold=True)
    if doc.name:
        job.text(f"文件 / Document: {doc.name}")
    job.text(f"打印 / Printed: {doc.printed_at.strftime(TIME)}")
    if total > len(pages):
        job.text(f"共 {total} 页，此处只打印前 {len(pages)} 页，其余请到窗口领取 / {total} pages; "
                 f"only the first {len(pages)} are printed here, ask at a window for the rest",
                 bold=True)
    job.rule()
    for page in pages:
        job.image(page)
        job.feed(1)
    job.cut()
    return job


def _pages(doc: ResultDoc, dots: int) -> tuple[list[Image.Image], int]:
    """The pages as greyscale pictures ``dots`` wide, and how many the document has."""
    kind = _media_type(doc.media_type)
    if kind in ("image/png", "image/jpeg", "image/jpg"):
        return [_fit(_picture(doc.data, kind), dots)], 1
    if kind == "application/pdf":
        return _pdf_pages(doc.data, dots)
    raise CannotPrint(CANNOT_PRINT.format(kind=kind or "?"))


def _picture(data: bytes, kind: str) -> Image.Image:
    formats = ["PNG"] if kind == "image/png" else ["JPEG"]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            if image.width * image.height > MAX_PIXELS:
                raise CannotPrint(TOO_LARGE)
            image = ImageOps.exif_transpose(image)  # a phone's JPEG stands as it was taken
            return _grey(image)
    except CannotPrint:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError) as exc:  # what Pillow raises for broken files
        raise CannotPrint(CANNOT_READ) from exc


def _grey(image: Image.Image) -> Image.Image:
    """Greyscale on white (transparent parts become paper, not black)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return image.convert("L")


def _fit(image: Image.Image, dots: int) -> Image.Image:
    """Turned upright for the roll when landscape, then scaled (up or down) to ``dots``."""
    if image.width > image.height * LANDSCAPE:
        image = image.transpose(Image.Transpose.ROTATE_270)  # clockwise, as PDF pages
    height = max(1, round(image.height * dots / image.width))
    if height > MAX_PAGE_DOTS:
        raise CannotPrint(TOO_LARGE)
    if image.width != dots:
        image = image.resize((dots, height), Image.Resampling.LANCZOS)
    return image


def _pdf_pages(data: bytes, dots: int) -> tuple[list[Image.Image], int]:
    try:
        import pypdfium2 as pdfium
    except ImportError:  # the dependency is declared; a trimmed install still says it plainly
        raise CannotPrint(CANNOT_PRINT.format(kind="PDF")) from None
    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:  # damaged, encrypted with a password, not a PDF
            raise CannotPrint(CANNOT_READ) from exc
        try:
            total = len(pdf)
            if total == 0:
                raise CannotPrint(CANNOT_READ)
            return list(_render(pdf, min(total, MAX_PAGES), dots)), total
        except pdfium.PdfiumError as exc:
            raise CannotPrint(CANNOT_READ) from exc
        finally:
            pdf.close()


def _render(pdf: object, count: int, dots: int) -> Iterator[Image.Image]:
    for index in range(count):
        page = pdf[index]  # type: ignore[index]
        try:
            width, height = page.get_size()  # points
            turn = width > height * LANDSCAPE
            across = height if turn else width
            if across <= 0:
                raise CannotPrint(CANNOT_READ)
            # rendered straight at the paper's width: sharp text, no second resampling
            if (width if turn else height) / across * dots > MAX_PAGE_DOTS:
                raise CannotPrint(TOO_LARGE)
            bitmap = page.render(scale=dots / across, rotation=90 if turn else 0,
                                 grayscale=True, fill_color=(255, 255, 255, 255))
            image = bitmap.to_pil().convert("L")
        finally:
            page.close()
        if image.width != dots:  # rounding: a dot or so either way
            image = image.resize((dots, max(1, round(image.height * dots / image.width))),
                                 Image.Resampling.LANCZOS)
        yield image

