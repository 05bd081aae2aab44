"""Pages into one PDF (devices/imaging/pdf.py): page sizes from each image's DPI, JPEGs
embedded byte for byte, PDF/A-1b's output intent and XMP identification, the version 2 sRGB
profile it needs, and plain errors for bad input. Pages are real: warped from the synthetic
camera's 1080p frames."""

from __future__ import annotations

import io

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageCms

from devices.imaging.page import (
    PageImage,
    apply_mode,
    archive_master,
    encode_jpeg,
    encode_png,
    warp_page,
)
from devices.imaging.pdf import pages_to_pdf, points, srgb_icc_profile
from drivers.sim.synthetic_camera import SyntheticCamera, SyntheticCameraConfig, mode_homography
from drivers.uvc_camera import MJPG, Mode

HD = Mode(1920, 1080, MJPG, 15.0)


def settled_page(script: str, kind: str) -> PageImage:
    cam = SyntheticCamera(SyntheticCameraConfig(realtime=False, script=script, seed=2,
                                                loop=False))
    for i in range(cam.length):
        for t in cam.truth_at(i, HD):
            if t.kind == kind and t.still_frames >= 3 and not t.held:
                image, truths = cam.render(i, HD)
                truth = next(x for x in truths if x.kind == kind)
                return warp_page(image, truth.frame_ordered(),
                                 desk_to_image=mode_homography(HD.width, HD.height))
    raise AssertionError(f"{kind} never settles")


@pytest.fixture(scope="module")
def pages() -> dict[str, PageImage]:
    return {"card": settled_page("idcard", "id_card_front"),
            "qr": settled_page("qr", "qr_page")}


@pytest.fixture(scope="module")
def files(pages: dict[str, PageImage]) -> list[bytes]:
    """A colour JPEG (ID card), a grey JPEG and a bilevel PNG (the A5 QR page)."""
    qr = pages["qr"]
    return [archive_master(pages["card"]), encode_jpeg(apply_mode(qr, "grey"), 80),
            encode_png(apply_mode(qr, "bw"))]


def open_pdf(data: bytes) -> pikepdf.Pdf:
    assert data.startswith(b"%PDF-")
    return pikepdf.open(io.BytesIO(data))


def test_each_page_is_the_papers_size(pages, files) -> None:
    assert pages["card"].kind == "id_card" and pages["qr"].kind == "a5"
    pdf = open_pdf(pages_to_pdf(files))
    assert len(pdf.pages) == 3
    sizes = [pages["card"].size_mm, pages["qr"].size_mm, pages["qr"].size_mm]
    for page, (w_mm, h_mm) in zip(pdf.pages, sizes, strict=True):
        x0, y0, x1, y1 = (float(v) for v in page.MediaBox)
        assert (x0, y0) == (0.0, 0.0)
        assert abs((x1 - x0) - points(w_mm)) < 0.5
        assert abs((y1 - y0) - points(h_mm)) < 0.5


def test_jpegs_are_embedded_as_they_are(files) -> None:
    pdf = open_pdf(pages_to_pdf(files))
    for page, data in zip(pdf.pages[:2], files[:2], strict=True):
        (image,) = page.get_images().values()
        assert image.Filter == pikepdf.Name.DCTDecode
        assert image.read_raw_bytes() == data
    (bilevel,) = pdf.pages[2].get_images().values()
    assert bilevel.BitsPerComponent == 1
    with Image.open(io.BytesIO(files[2])) as png:
        assert (int(bilevel.Width), int(bilevel.Height)) == png.size
    # and the container adds little
    assert len(pages_to_pdf(files[:1])) < len(files[0]) * 1.02 + 4000


def test_title_goes_into_the_document_info(files) -> None:
    pdf = open_pdf(pages_to_pdf(files[:1], title="身份证复印件"))
    assert str(pdf.docinfo["/Title"]) == "身份证复印件"


def test_pdfa_has_an_output_intent_and_identifies_itself(files) -> None:
    pdf = open_pdf(pages_to_pdf(files, pdfa=True, title="申请材料"))
    assert len(pdf.pages) == 3
    (intent,) = pdf.Root.OutputIntents
    assert intent.S == pikepdf.Name.GTS_PDFA1
    profile = intent.DestOutputProfile.read_bytes()
    assert profile == srgb_icc_profile()
    assert profile[8] == 2  # PDF/A-1 admits ICC version 2 profiles only
    assert int(intent.DestOutputProfile.N) == 3
    with pdf.open_metadata() as meta:
        assert meta.pdfa_status == "1B"
        assert meta["dc:title"] == "申请材料"
    assert str(pdf.docinfo["/Title"]) == "申请材料"  # the same in both places (§6.7.3)
    assert pdf.pdf_version <= "1.4"
    # PDF/A leaves the JPEG as it is too
    (image,) = pdf.pages[0].get_images().values()
    assert image.read_raw_bytes() == files[0]


def test_the_srgb_profile_is_a_version_2_profile_equal_to_lcms_srgb() -> None:
    data = srgb_icc_profile()
    assert int.from_bytes(data[:4], "big") == len(data)
    assert data[8:12] == bytes((2, 0x10, 0, 0))
    assert data[12:24] == b"mntrRGB XYZ " and data[36:40] == b"acsp"
    ours = ImageCms.ImageCmsProfile(io.BytesIO(data))
    assert ours.profile.version == pytest.approx(2.1)
    rng = np.random.default_rng(0)
    sample = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), "RGB")
    builtin = ImageCms.createProfile("sRGB")
    transform = ImageCms.buildTransform(builtin, ours, "RGB", "RGB")
    converted = np.asarray(ImageCms.applyTransform(sample, transform)).astype(int)
    assert np.abs(converted - np.asarray(sample).astype(int)).max() <= 1


def test_bad_input_is_refused_in_plain_words(files) -> None:
    with pytest.raises(ValueError, match="no pages"):
        pages_to_pdf([])
    with pytest.raises(ValueError, match=r"page 2: .*not a JPEG or PNG"):
        pages_to_pdf([files[0], b"%PDF-1.4 this is not an image"])
    with pytest.raises(ValueError, match=r"page 1: .*damaged"):
        pages_to_pdf([files[0][:200]])  # cut off inside the header
    with pytest.raises(ValueError, match="not a single value"):
        pages_to_pdf(files[0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected the bytes"):
        pages_to_pdf(["page.jpg"])  # type: ignore[list-item]
    undated = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(undated, "PNG")
    with pytest.raises(ValueError, match="no DPI"):
        pages_to_pdf([undated.getvalue()])
