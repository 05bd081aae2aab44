"""A captured page's output (devices/imaging/page.py): the warp to the document's true size
against the synthetic camera's ground truth and its own texture, the aspect estimate under a
real pinhole camera's perspective, snapping to known sizes, the four modes, DPI written into
JPEG and PNG, the archive master and the size-capped upload copy. Warped pages in each mode
are saved under tests/artifacts/imaging/ to look at."""

from __future__ import annotations

import io
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from devices.imaging import geometry
from devices.imaging.page import (
    KNOWN_SIZES,
    MODES,
    PageImage,
    UploadTooLarge,
    apply_mode,
    archive_master,
    encode_jpeg,
    encode_png,
    estimate_aspect,
    resize_page,
    snap_size,
    upload_copy,
    warp_page,
)
from drivers.sim.synthetic_camera import (
    DocTruth,
    SyntheticCamera,
    SyntheticCameraConfig,
    mode_homography,
)
from drivers.uvc_camera import MJPG, Mode

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "imaging"
EIGHT_MP = Mode(3264, 2448, MJPG, 15.0)


def settled_frame(script: str, kind: str, *, desk: str = "dark", seed: int = 1,
                  mode: Mode = EIGHT_MP) -> tuple[np.ndarray, DocTruth, SyntheticCamera]:
    cam = SyntheticCamera(SyntheticCameraConfig(realtime=False, script=script, desk=desk,
                                                seed=seed, loop=False))
    for i in range(cam.length):
        for t in cam.truth_at(i, mode):
            if t.kind == kind and t.still_frames >= 3 and not t.held:
                image, truths = cam.render(i, mode)
                return image, next(x for x in truths if x.kind == kind), cam
    raise AssertionError(f"{kind} never settles")


def sim_px_per_mm(mode: Mode = EIGHT_MP) -> float:
    """The synthetic camera's scale at the centre of the desk, mean of both axes."""
    h = mode_homography(mode.width, mode.height)
    pts = cv2.perspectiveTransform(np.array([[(210.0, 157.5), (211.0, 157.5), (210.0, 158.5)]]),
                                   h)[0]
    return float((np.hypot(*(pts[1] - pts[0])) + np.hypot(*(pts[2] - pts[0]))) / 2)


@pytest.fixture(scope="module")
def card() -> tuple[np.ndarray, DocTruth, SyntheticCamera]:
    return settled_frame("idcard", "id_card_front")


@pytest.fixture(scope="module")
def a4() -> tuple[np.ndarray, DocTruth]:
    image, truth, _ = settled_frame("a4", "a4_form", desk="light")
    return image, truth


@pytest.fixture(scope="module")
def a4_page(a4: tuple[np.ndarray, DocTruth]) -> PageImage:
    image, truth = a4
    return warp_page(image, truth.frame_ordered(),
                     desk_to_image=mode_homography(EIGHT_MP.width, EIGHT_MP.height))


# --------------------------------------------------------------------------- the warp


def _grey(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)


def test_warped_card_lines_up_with_the_texture_it_was_rendered_from(card) -> None:
    image, truth, cam = card
    page = warp_page(image, truth.frame_ordered())
    assert page.kind == "id_card"  # snapped on the aspect alone: no other size is near 1.585
    assert page.size_mm == (85.6, 54.0)
    # the native resolution of the quad: the camera's ~7.7 px/mm, not more
    assert abs(page.dpi - sim_px_per_mm() * 25.4) < 6
    assert abs(page.width_px - 85.6 / 25.4 * page.dpi) <= 0.5
    assert abs(page.height_px - 54.0 / 25.4 * page.dpi) <= 0.5
    # what the card should look like: the simulator's own texture (a private helper: the
    # simulator is the ground truth here), scaled to the page
    texture = cam._texture("id_card_front", cam._cache(EIGHT_MP).px_per_mm)
    texture = cv2.resize(texture, (page.width_px, page.height_px), interpolation=cv2.INTER_AREA)
    got, want = _grey(page.pixels), _grey(texture)
    h, w = got.shape
    # each quarter lines up within a third of a pixel: no corner is off
    for y0, x0 in ((0, 0), (0, w // 2), (h // 2, 0), (h // 2, w // 2)):
        a = got[y0:y0 + h // 2, x0:x0 + w // 2]
        b = want[y0:y0 + h // 2, x0:x0 + w // 2]
        window = cv2.createHanningWindow((a.shape[1], a.shape[0]), cv2.CV_32F)
        (dx, dy), response = cv2.phaseCorrelate(b, a, window)
        assert response > 0.2
        assert math.hypot(dx, dy) < 0.35, (y0, x0, dx, dy)
    # the borders are card, not desk: 1 mm inside each edge (away from the rounded corners)
    mm = page.dpi / 25.4
    inset, skip = round(1.0 * mm), round(5.0 * mm)
    strips = [got[inset, skip:-skip], got[-inset - 1, skip:-skip], got[skip:-skip, inset],
              got[skip:-skip, -inset - 1]]
    desk = float(np.median(_grey(image)[:40, :40]))
    for strip in strips:
        assert np.median(strip) > desk + 100  # the dark desk is ~50, the card ~200


def test_warp_saves_each_mode_to_look_at(a4_page: PageImage) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for mode in MODES:
        page = apply_mode(a4_page, mode)
        cv2.imwrite(str(ARTIFACTS / f"a4_{mode}.png"), page.pixels)
        assert (ARTIFACTS / f"a4_{mode}.png").stat().st_size > 1000


def test_a4_laid_landscape_comes_out_landscape_at_its_true_size(a4, a4_page) -> None:
    image, truth = a4
    assert a4_page.kind == "a4"
    assert a4_page.size_mm == (297.0, 210.0)  # as placed: the form lies on its side
    assert abs(a4_page.width_px / a4_page.height_px - 297 / 210) < 0.002
    # with only the scale at the centre of the desk (no calibration) it is still A4
    by_scale = warp_page(image, truth.frame_ordered(), px_per_mm=sim_px_per_mm())
    assert (by_scale.kind, by_scale.size_mm) == ("a4", (297.0, 210.0))
    # with nothing known, A4 cannot be told from A5 or a 户口簿 page: no kind, 200 dpi assumed
    blind = warp_page(image, truth.frame_ordered())
    assert blind.kind is None and blind.dpi == 200.0
    assert abs(blind.size_mm[0] / blind.size_mm[1] / (297 / 210) - 1) < 0.035


def test_max_dpi_caps_the_resolution(a4) -> None:
    image, truth = a4
    page = warp_page(image, truth.frame_ordered(), px_per_mm=sim_px_per_mm(), max_dpi=100)
    assert page.dpi == 100.0
    assert abs(page.width_px - 297 / 25.4 * 100) <= 0.5
    assert abs(page.height_px - 210 / 25.4 * 100) <= 0.5


def test_corners_starting_elsewhere_turn_the_page(card) -> None:
    image, truth, _ = card
    q = np.array(truth.frame_ordered())
    upright = warp_page(image, q)
    turned = warp_page(image, np.roll(q, -1, axis=0))  # TR first: turned by 90°
    assert turned.size_mm == (54.0, 85.6)
    assert turned.pixels.shape[:2] == upright.pixels.shape[1::-1]
    back = cv2.rotate(turned.pixels, cv2.ROTATE_90_CLOCKWISE)
    assert np.abs(_grey(back) - _grey(upright.pixels)).mean() < 4
    # counter-clockwise corners are put in the detector's order
    mirrored = warp_page(image, q[::-1])
    assert np.array_equal(mirrored.pixels, upright.pixels)


def test_warp_refuses_corners_that_are_not_a_quadrilateral(card) -> None:
    image = card[0]
    with pytest.raises(ValueError, match="convex"):
        warp_page(image, [(0, 0), (100, 100), (100, 0), (0, 100)])  # a bow tie
    with pytest.raises(ValueError, match="kind"):
        warp_page(image, [(0, 0), (100, 0), (100, 60), (0, 60)], kind="postcard")


def test_a_page_of_no_known_size_is_sized_from_the_scale() -> None:
    # a 100 x 80 mm card at 5 px/mm, straight on: aspect 1.25 is no known document
    canvas = np.full((700, 900, 3), 60, np.uint8)
    cv2.rectangle(canvas, (200, 150), (699, 549), (230, 230, 230), -1)
    corners = [(200, 150), (700, 150), (700, 550), (200, 550)]
    page = warp_page(canvas, corners, px_per_mm=5.0)
    assert page.kind is None
    assert page.size_mm == pytest.approx((100.0, 80.0), abs=0.2)
    assert page.dpi == round(5.0 * 25.4)
    assert page.pixels.min() > 200  # all paper, no desk


# --------------------------------------------------------------------------- aspect


def pinhole_quad(w_mm: float, h_mm: float, *, tilt: float, yaw: float, focal: float,
                 offset: tuple[float, float] = (0.0, 0.0),
                 size: tuple[int, int] = (3264, 2448), height_mm: float = 420.0) -> np.ndarray:
    """A w × h rectangle on the desk seen by a square-pixel pinhole camera ``height_mm``
    above it, tilted by ``tilt`` and ``yaw`` degrees, principal point at the centre."""
    desk = np.array([(-w_mm / 2, -h_mm / 2), (w_mm / 2, -h_mm / 2), (w_mm / 2, h_mm / 2),
                     (-w_mm / 2, h_mm / 2)]) + offset
    points = np.hstack([desk, np.zeros((4, 1))])
    t, y = math.radians(tilt), math.radians(yaw)
    rx = np.array([[1, 0, 0], [0, math.cos(t), -math.sin(t)], [0, math.sin(t), math.cos(t)]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    camera = ((points - (0, 0, height_mm)) * (1, -1, -1)) @ (rx @ ry).T
    k = np.array([[focal, 0, size[0] / 2], [0, focal, size[1] / 2], [0, 0, 1]])
    image = camera @ k.T
    return geometry.order_corners(image[:, :2] / image[:, 2:3])


@pytest.mark.parametrize(("w", "h", "tilt", "yaw", "focal", "tolerance"), [
    (210, 297, 12.0, 4.0, 3000.0, 0.002),
    (297, 210, -9.0, 6.0, 3600.0, 0.002),
    (85.6, 54, 14.0, -8.0, 2700.0, 0.002),
    (148, 210, 5.0, 10.0, 4200.0, 0.002),
    # tilted one way only: one pair of sides stays parallel, so the corners cannot give the
    # focal length; the prior (the frame's width, 9 % off here) still does well
    (210, 297, 12.0, 0.0, 3000.0, 0.005),
])
def test_aspect_is_recovered_under_perspective(w, h, tilt, yaw, focal, tolerance) -> None:
    q = pinhole_quad(w, h, tilt=tilt, yaw=yaw, focal=focal, offset=(20.0, -15.0))
    top, right, bottom, left = geometry.side_lengths(q)
    simple = (top + bottom) / (left + right)
    estimate = estimate_aspect(q, (3264, 2448))
    assert abs(estimate / (w / h) - 1) < tolerance
    assert abs(simple / (w / h) - 1) > 2 * abs(estimate / (w / h) - 1)
    # a calibrated focal length gives the same
    assert abs(estimate_aspect(q, (3264, 2448), focal_px=focal) / (w / h) - 1) < 0.001


def test_aspect_stays_close_with_a_pixel_of_noise() -> None:
    rng = np.random.default_rng(5)
    errors = []
    for i in range(60):
        w, h = ((210, 297), (85.6, 54), (148, 210))[i % 3]
        q = pinhole_quad(w, h, tilt=float(rng.uniform(-14, 14)), yaw=float(rng.uniform(-9, 9)),
                         focal=float(rng.uniform(0.75, 1.35) * 3264),
                         offset=tuple(rng.uniform(-50, 50, 2)))
        q = q + rng.normal(0, 1.0, q.shape)
        errors.append(abs(estimate_aspect(q, (3264, 2448)) / (w / h) - 1))
    assert np.median(errors) < 0.003
    assert max(errors) < 0.035  # within the snapping tolerance


@pytest.mark.parametrize(("aspect", "long_mm", "expected"), [
    (1.585, None, ("id_card", 85.6 / 54)),
    (1.55, None, ("id_card", 85.6 / 54)),  # 2.2 % off: the synthetic camera's skew
    (1.414, None, (None, 297 / 210)),  # A4, A5, A6, B5, ID-3 share it: size unknown
    (1.414, 297.0, ("a4", 297 / 210)),
    (1.40, 212.0, ("a5", 210 / 148)),
    (1.36, 143.0, ("hukou_page", 143 / 105)),
    (1 / 1.414, 150.0, ("a6", 148 / 105)),  # portrait given as width / height
    (1.25, None, (None, None)),
    (1.39, None, (None, None)),  # between A and 户口簿 aspects without a scale: not snapped
    (1.414, 400.0, (None, None)),  # A-shaped but A3 is not known
])
def test_snap_size(aspect, long_mm, expected) -> None:
    kind, snapped = snap_size(aspect, long_mm)
    assert kind == expected[0]
    if expected[1] is None:
        assert snapped is None
    else:
        assert snapped == pytest.approx(expected[1], rel=1e-9)
    assert all(short < long for short, long in KNOWN_SIZES.values())


# --------------------------------------------------------------------------- modes


def red_mask(bgr: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    return (((hsv[..., 0] <= 8) | (hsv[..., 0] >= 172)) & (hsv[..., 1] >= 90)
            & (hsv[..., 2] >= 80))


def test_whiten_makes_the_paper_white_and_keeps_the_seal_red(a4_page: PageImage) -> None:
    white = apply_mode(a4_page, "whiten")
    assert white.mode == "whiten" and white.pixels.shape == a4_page.pixels.shape
    grey_before = cv2.cvtColor(a4_page.pixels, cv2.COLOR_BGR2GRAY)
    grey_after = cv2.cvtColor(white.pixels, cv2.COLOR_BGR2GRAY)
    paper = grey_before > np.percentile(grey_before, 40)  # mostly paper
    h, w = grey_before.shape
    # shading: the paper differs by several grey levels between the page's regions before,
    # and is white everywhere after
    regions = [(slice(0, h // 3), slice(0, w // 3)), (slice(h // 3, 2 * h // 3),
               slice(w // 3, 2 * w // 3)), (slice(2 * h // 3, h), slice(2 * w // 3, w))]
    before = [np.median(grey_before[r][paper[r]]) for r in regions]
    after = [np.median(grey_after[r][paper[r]]) for r in regions]
    assert max(before) - min(before) >= 6
    assert min(after) >= 250 and max(after) - min(after) <= 2
    # the seal: red before, still red (and not paler) after
    seal = red_mask(a4_page.pixels)
    assert seal.sum() > 2000
    assert red_mask(white.pixels)[seal].mean() > 0.9
    # ink is black
    ink = grey_before < 60
    assert np.median(grey_after[ink]) < 20


def test_grey_and_bilevel(a4_page: PageImage) -> None:
    grey = apply_mode(a4_page, "grey")
    assert grey.pixels.ndim == 2 and grey.mode == "grey"
    assert np.array_equal(grey.pixels, cv2.cvtColor(a4_page.pixels, cv2.COLOR_BGR2GRAY))
    bw = apply_mode(a4_page, "bw")
    assert bw.pixels.ndim == 2 and set(np.unique(bw.pixels)) <= {0, 255}
    ink = grey.pixels < 60
    assert (bw.pixels[ink] == 0).mean() > 0.97  # text stays
    assert (bw.pixels == 255).mean() > 0.75  # the page is mostly white
    seal = red_mask(a4_page.pixels)
    assert (bw.pixels[seal] == 0).mean() > 0.8  # the seal goes black
    # grey can still become bilevel, the same way
    assert (apply_mode(grey, "bw").pixels != bw.pixels).mean() < 0.001


def test_modes_that_cannot_be_made(a4_page: PageImage) -> None:
    grey = apply_mode(a4_page, "grey")
    with pytest.raises(ValueError, match="cannot become whiten"):
        apply_mode(grey, "whiten")
    with pytest.raises(ValueError, match="mode is one of"):
        apply_mode(a4_page, "sepia")
    with pytest.raises(ValueError):
        PageImage(np.zeros((4, 4, 4), np.uint8), 200.0, (1.0, 1.0), None)


# --------------------------------------------------------------------------- files


def read_back(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_jpeg_and_png_carry_the_dpi(a4_page: PageImage) -> None:
    small = resize_page(a4_page, 120)
    jpeg = read_back(encode_jpeg(small, 80))
    assert jpeg.format == "JPEG" and jpeg.mode == "RGB"
    assert jpeg.info["dpi"] == (120, 120)
    assert jpeg.info["jfif_unit"] == 1  # dots per inch
    assert jpeg.size == (small.width_px, small.height_px)
    png = read_back(encode_png(small))
    assert png.format == "PNG" and png.mode == "RGB"
    # pHYs counts whole pixels per metre: 4724 for 120 dpi
    assert png.info["dpi"] == pytest.approx((120, 120), abs=0.02)
    assert np.array_equal(np.asarray(png)[..., ::-1], small.pixels)  # lossless
    bw = read_back(encode_png(apply_mode(small, "bw")))
    assert bw.mode == "1" and bw.info["dpi"] == pytest.approx((120, 120), abs=0.02)
    grey = read_back(encode_jpeg(apply_mode(small, "grey")))
    assert grey.mode == "L"


def test_archive_master_is_the_colour_page_at_quality_85(a4_page: PageImage) -> None:
    data = archive_master(a4_page)
    img = read_back(data)
    assert img.mode == "RGB" and img.info["dpi"] == (round(a4_page.dpi),) * 2
    assert img.size == (a4_page.width_px, a4_page.height_px)
    assert data == encode_jpeg(a4_page, 85)
    # a page in the camera's 8 MP view comes out near DA/T 31's 200 dpi
    assert a4_page.dpi >= 190
    with pytest.raises(ValueError, match="colour"):
        archive_master(apply_mode(a4_page, "whiten"))


def test_upload_copy_fits_the_limit(a4_page: PageImage) -> None:
    roomy = upload_copy(a4_page)
    img = read_back(roomy)
    assert len(roomy) <= 2_000_000 and img.info["dpi"] == (round(a4_page.dpi),) * 2
    tight_limit = 60_000
    tight = upload_copy(a4_page, limit_bytes=tight_limit)
    assert len(tight) <= tight_limit
    img = read_back(tight)
    dpi = img.info["dpi"][0]
    assert dpi < a4_page.dpi
    # the DPI in the file still gives the paper's size
    assert abs(img.size[0] / dpi * 25.4 - 297) < 1.0
    grey = read_back(upload_copy(a4_page, mode="grey", limit_bytes=150_000))
    assert grey.mode == "L"
    bw = upload_copy(a4_page, mode="bw")
    assert bw.startswith(b"\x89PNG") and read_back(bw).mode == "1"


def test_upload_copy_says_when_it_cannot_fit(a4_page: PageImage) -> None:
    with pytest.raises(UploadTooLarge, match="cannot fit the page under 3000 bytes"):
        upload_copy(a4_page, limit_bytes=3000)
    with pytest.raises(ValueError):
        upload_copy(a4_page, limit_bytes=0)
