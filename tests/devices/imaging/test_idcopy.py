"""身份证复印 (devices/imaging/idcopy.py): both sides on one A4 page at true size, so it prints
1:1; the upright check on the synthetic camera's cards lying both ways round. The composed
page is saved under tests/artifacts/imaging/ to look at."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from devices.imaging.geometry import order_corners
from devices.imaging.idcopy import (
    GUIDE_GREY,
    compose_id_copy,
    upright_turn,
)
from devices.imaging.page import PageImage, apply_mode, encode_png, warp_page
from drivers.sim.synthetic_camera import DocTruth, SyntheticCamera, SyntheticCameraConfig
from drivers.uvc_camera import MJPG, Mode

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "imaging"
EIGHT_MP = Mode(3264, 2448, MJPG, 15.0)
HD = Mode(1920, 1080, MJPG, 15.0)
KINDS = {"front": "id_card_front", "back": "id_card_back"}


def settled(cam: SyntheticCamera, kind: str, mode: Mode) -> tuple[np.ndarray, DocTruth]:
    for i in range(cam.length):
        for t in cam.truth_at(i, mode):
            if t.kind == kind and t.still_frames >= 3 and not t.held:
                image, truths = cam.render(i, mode)
                return image, next(x for x in truths if x.kind == kind)
    raise AssertionError(f"{kind} never settles")


def printed_turn(truth: DocTruth, turned_frame: bool) -> int:
    """0 when the card lies (about) upright in the frame, 180 when upside down: from the
    direction of its printed top edge."""
    (x0, y0), (x1, y1) = truth.corners[0], truth.corners[1]
    angle = (np.degrees(np.arctan2(y1 - y0, x1 - x0)) + (180 if turned_frame else 0)) % 360
    return 180 if 90 < angle < 270 else 0


@pytest.fixture(scope="module")
def frames() -> dict[tuple[str, str], tuple[np.ndarray, DocTruth]]:
    """Each side of the card at 8 MP (textured desk) and at 1080p (light desk)."""
    out = {}
    for size, mode, desk, seed in (("8mp", EIGHT_MP, "textured", 3), ("1080p", HD, "light", 4)):
        cam = SyntheticCamera(SyntheticCameraConfig(realtime=False, script="idcard", desk=desk,
                                                    seed=seed, loop=False))
        for side, kind in KINDS.items():
            out[(size, side)] = settled(cam, kind, mode)
    return out


def warped(frames, size: str, side: str, *, turned: bool = False) -> tuple[PageImage, int]:
    """The card as the detector's corner order warps it, from the frame as rendered or turned
    by 180° (so the card lies the other way round), and the turn it needs."""
    image, truth = frames[(size, side)]
    corners = np.array(truth.corners)
    if turned:
        h, w = image.shape[:2]
        image = cv2.rotate(image, cv2.ROTATE_180)
        corners = np.array([(w - 1 - x, h - 1 - y) for x, y in corners])
    return warp_page(image, order_corners(corners)), printed_turn(truth, turned)


def upright_card(frames, size: str, side: str) -> np.ndarray:
    """The card warped from its corners as printed: upright by construction."""
    image, truth = frames[(size, side)]
    return warp_page(image, truth.corners).pixels


@pytest.mark.parametrize("size", ["8mp", "1080p"])
@pytest.mark.parametrize("side", ["front", "back"])
@pytest.mark.parametrize("turned", [False, True])
def test_upright_turn_reads_the_card(frames, size, side, turned) -> None:
    card, expected = warped(frames, size, side, turned=turned)
    assert card.kind == "id_card"
    assert upright_turn(card, side) == expected


def test_the_script_lays_the_back_upside_down(frames) -> None:
    # so the test above covers both answers without the turned frames too
    assert warped(frames, "8mp", "back")[1] == 180
    assert warped(frames, "8mp", "front")[1] == 0


def test_no_cues_no_answer() -> None:
    blank = np.full((540, 856, 3), 225, np.uint8)
    assert upright_turn(blank, "front") is None
    assert upright_turn(blank, "back") is None
    grey_back = np.full((540, 856), 225, np.uint8)  # no colour: the emblem cannot be seen
    assert upright_turn(grey_back, "back") is None
    with pytest.raises(ValueError, match="front or back"):
        upright_turn(blank, "side")


def card_box(page: np.ndarray, top: int, bottom: int) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 (exclusive) of what is not white in rows top..bottom, measured through
    the middle of the card (its corners are rounded)."""
    ink = (page[top:bottom] < 250).any(axis=2)
    rows = np.nonzero(ink.any(axis=1))[0]
    mid = (rows[0] + rows[-1]) // 2
    cols = np.nonzero(ink[mid])[0]
    mid_col = (cols[0] + cols[-1]) // 2
    col_rows = np.nonzero(ink[:, mid_col])[0]
    return int(cols[0]), int(top + col_rows[0]), int(cols[-1] + 1), int(top + col_rows[-1] + 1)


@pytest.mark.parametrize("dpi", [300, 200])
def test_both_sides_at_true_size_on_a4(frames, dpi) -> None:
    front, _ = warped(frames, "8mp", "front")
    back, _ = warped(frames, "8mp", "back")
    page = compose_id_copy(front, back, dpi=dpi)
    assert (page.kind, page.size_mm, page.dpi, page.mode) == ("a4", (210.0, 297.0), dpi,
                                                              "colour")
    h, w = page.pixels.shape[:2]
    assert abs(w - 210 / 25.4 * dpi) <= 0.5 and abs(h - 297 / 25.4 * dpi) <= 0.5
    card_w, card_h = 85.6 / 25.4 * dpi, 54.0 / 25.4 * dpi
    for top, bottom in ((0, h // 2), (h // 2, h)):  # the front above, the back below
        x0, y0, x1, y1 = card_box(page.pixels, top, bottom)
        assert abs((x1 - x0) - card_w) <= 1
        assert abs((y1 - y0) - card_h) <= 1
        assert abs((x0 + x1) / 2 - w / 2) <= 1  # centred across
        assert abs((y0 + y1) / 2 - (top + bottom) / 2) <= 1  # centred in its half
    # the file says how to print it: 1:1
    with Image.open(io.BytesIO(encode_png(page, compress_level=1))) as img:
        assert img.info["dpi"] == pytest.approx((dpi, dpi), abs=0.02)
        assert img.size[0] / img.info["dpi"][0] * 25.4 == pytest.approx(210, abs=0.2)


def test_cards_come_out_upright(frames) -> None:
    front, _ = warped(frames, "8mp", "front")
    back, turn = warped(frames, "8mp", "back")
    assert turn == 180  # the back lies upside down on the desk
    page = compose_id_copy(front, back, guides=True).pixels
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(ARTIFACTS / "idcopy.png"), page)
    h = page.shape[0]
    for side, (top, bottom) in (("front", (0, h // 2)), ("back", (h // 2, h))):
        x0, y0, x1, y1 = card_box(page, top, bottom)
        composed = cv2.cvtColor(page[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32)
        truth = cv2.resize(upright_card(frames, "8mp", side), (x1 - x0, y1 - y0))
        truth = cv2.cvtColor(truth, cv2.COLOR_BGR2GRAY).astype(np.float32)
        same = np.corrcoef(composed.ravel(), truth.ravel())[0, 1]
        turned = np.corrcoef(composed.ravel(), truth[::-1, ::-1].ravel())[0, 1]
        assert same > 0.95 and same > turned + 0.3, (side, same, turned)
    # the cut guides: a light-grey line just outside each straight edge of the card
    plain = compose_id_copy(front, back, upright=False).pixels
    x0, y0, x1, y1 = card_box(plain, 0, h // 2)
    r = round(3.18 / 25.4 * 300)
    for line_with, line_without in ((page[y0 - 1, x0 + r:x1 - r], plain[y0 - 1, x0 + r:x1 - r]),
                                    (page[y0 + r:y1 - r, x1], plain[y0 + r:y1 - r, x1])):
        assert (line_with == GUIDE_GREY).all()
        assert (line_without == 255).all()
    # without the upright check the back stays upside down
    x0, y0, x1, y1 = card_box(plain, h // 2, h)
    assert np.abs(plain[y0:y1, x0:x1].astype(int) - page[y0:y1, x0:x1].astype(int)).mean() > 20


def test_rounded_corners_show_the_page_not_the_desk(frames) -> None:
    front, _ = warped(frames, "8mp", "front")
    page = compose_id_copy(front, front).pixels
    x0, y0, x1, y1 = card_box(page, 0, page.shape[0] // 2)
    # ISO/IEC 7810: corners rounded at 3.18 mm; 1 mm in from the sharp corner is outside it
    mm = 300 / 25.4
    for x, y in ((x0, y0), (x1 - 1, y0), (x0, y1 - 1), (x1 - 1, y1 - 1)):
        assert page[y, x].min() == 255
        inside = (x + (1 if x == x0 else -1) * round(3.5 * mm), y + (1 if y == y0 else -1)
                  * round(3.5 * mm))
        assert page[inside[1], inside[0]].max() < 250


def test_card_images_of_any_size_grey_or_portrait(frames) -> None:
    front = upright_card(frames, "1080p", "front")
    back = upright_card(frames, "1080p", "back")
    small = cv2.resize(front, (500, 315))  # any size with the card's shape
    portrait = cv2.rotate(back, cv2.ROTATE_90_COUNTERCLOCKWISE)
    page = compose_id_copy(small, portrait, dpi=150)
    h = page.pixels.shape[0]
    x0, y0, x1, y1 = card_box(page.pixels, h // 2, h)
    assert abs((x1 - x0) - 85.6 / 25.4 * 150) <= 1  # laid landscape
    assert abs((y1 - y0) - 54.0 / 25.4 * 150) <= 1
    grey = apply_mode(warped(frames, "1080p", "front")[0], "grey")
    assert compose_id_copy(grey, back).pixels.ndim == 3


def test_what_is_not_a_card_is_refused(frames) -> None:
    back = upright_card(frames, "1080p", "back")
    a4_shaped = np.full((297, 210, 3), 240, np.uint8)
    with pytest.raises(ValueError, match=r"front: .*not the shape of an ID card"):
        compose_id_copy(a4_shaped, back)
    with pytest.raises(ValueError, match=r"back: .*cannot read the image"):
        compose_id_copy(back, np.zeros((54, 86, 3), np.float32))
    with pytest.raises(ValueError, match="expected a PageImage"):
        compose_id_copy(back, "back.jpg")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dpi"):
        compose_id_copy(back, back, dpi=30)
