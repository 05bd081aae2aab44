"""Reading QR codes and barcodes (devices/imaging/codes.py) with both back-ends.

The QR frame is the synthetic camera's ``qr`` script at 8 MP; the EAN-13 is drawn here from
the GS1 General Specifications' module patterns (so the reader is not only tested against its
own writer), the Code 128 with zxing-cpp's writer; Chinese QR codes are made with ``qrcode``.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import qrcode
import zxingcpp

from devices.imaging import geometry
from devices.imaging.codes import BACKENDS, Code, read_codes, read_frame_codes
from drivers.sim.synthetic_camera import SyntheticCamera, SyntheticCameraConfig

QR_CONFIG = SyntheticCameraConfig(script="qr", realtime=False, size="8mp", seed=0)
SETTLED = 40  # the qr page lies still, no hand (frames 29–58 of the script)


@pytest.fixture(scope="module")
def qr_frame() -> tuple[np.ndarray, np.ndarray]:
    image, truth = SyntheticCamera(QR_CONFIG).render(SETTLED)
    assert [t.kind for t in truth] == ["qr_page"]
    return image, np.array(truth[0].frame_ordered())


# --- drawing codes -------------------------------------------------------------------------

# GS1 General Specifications §5.2.1.2: number sets A (L), B (G) and C (R), and the parity of
# the left half chosen by the first digit.
_EAN_L = ["0001101", "0011001", "0010011", "0111101", "0100011",
          "0110001", "0101111", "0111011", "0110111", "0001011"]
_EAN_R = ["".join("1" if b == "0" else "0" for b in p) for p in _EAN_L]
_EAN_G = [p[::-1] for p in _EAN_R]
_EAN_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
               "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def draw_ean13(digits: str, module: int = 3, height: int = 150) -> np.ndarray:
    """An EAN-13 symbol, grey, with its quiet zones (11 modules left, 7 right)."""
    assert len(digits) == 13 and digits[12] == ean13_check_digit(digits[:12])
    parity = _EAN_PARITY[int(digits[0])]
    bits = "0" * 11 + "101"
    for p, d in zip(parity, digits[1:7], strict=True):
        bits += (_EAN_L if p == "L" else _EAN_G)[int(d)]
    bits += "01010"
    bits += "".join(_EAN_R[int(d)] for d in digits[7:])
    bits += "101" + "0" * 7
    row = np.array([0 if b == "1" else 255 for b in bits], np.uint8).repeat(module)
    return np.pad(np.tile(row, (height, 1)), ((20, 20), (0, 0)), constant_values=255)


def zxing_drawn(text: str, fmt: str, scale: int = 3) -> np.ndarray:
    barcode = zxingcpp.create_barcode(text, getattr(zxingcpp.BarcodeFormat, fmt))
    return np.pad(np.array(zxingcpp.write_barcode_to_image(barcode, scale=scale)), 24,
                  constant_values=255)


def qr_image(data: str | bytes, box: int = 4) -> np.ndarray:
    qr = qrcode.QRCode(border=4, box_size=box,
                       error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    return np.array(qr.make_image().convert("L"))


def on_page(symbol: np.ndarray, angle: float = 4.0) -> np.ndarray:
    """The symbol on a larger off-white BGR page, turned a little, blurred and noisy, as a
    camera sees it."""
    h, w = symbol.shape
    page = np.full((h + 200, w + 200), 235, np.uint8)
    page[100:100 + h, 100:100 + w] = symbol
    centre = (page.shape[1] / 2, page.shape[0] / 2)
    turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
    page = cv2.warpAffine(page, turn, page.shape[::-1], borderValue=235)
    page = cv2.GaussianBlur(page, (0, 0), 0.7)
    noise = np.random.default_rng(5).normal(0, 3, page.shape)
    page = np.clip(page + noise, 0, 255).astype(np.uint8)
    return cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)


# --- the QR code on a camera frame ---------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_qr_on_the_8mp_frame(qr_frame: tuple[np.ndarray, np.ndarray], backend: str) -> None:
    image, page = qr_frame
    codes = read_codes(image, backend=backend)
    assert [(c.format, c.text) for c in codes] == [("QRCode", QR_CONFIG.qr_text)]
    quad = np.array(codes[0].position)
    assert all(geometry.contains(page, p) for p in quad)
    # the page's 34 mm QR code, quiet zone included (29 of its 37 modules are the symbol),
    # at 3264 px / 420 mm = 7.8 px/mm: about 207 px a side
    sides = geometry.side_lengths(quad)
    assert sides.min() > 190 and sides.max() < 225 and geometry.aspect_ratio(quad) < 1.1
    # TL, TR, BR, BL as seen in the image
    assert np.array_equal(quad, geometry.order_corners(quad))


def test_both_backends_agree_on_the_position(qr_frame: tuple[np.ndarray, np.ndarray]) -> None:
    image, _ = qr_frame
    zx, zb = (read_codes(image, backend=b, formats="QRCode")[0] for b in BACKENDS)
    assert geometry.max_corner_distance(np.array(zx.position), np.array(zb.position)) < 4


def test_frame_helper_reads_at_half_scale_in_full_frame_pixels(
        qr_frame: tuple[np.ndarray, np.ndarray]) -> None:
    image, _ = qr_frame
    full = read_codes(image, formats="QRCode")[0]
    fast = read_frame_codes(image)
    assert [(c.format, c.text) for c in fast] == [("QRCode", QR_CONFIG.qr_text)]
    assert geometry.max_corner_distance(np.array(fast[0].position), np.array(full.position)) < 5


def test_frame_helper_falls_back_to_full_scale() -> None:
    # 2 px per module, turned 7°: lost at half scale (1 px per module), read at full scale
    image = on_page(qr_image("https://zwfw.example.gov.cn/q/SIM-0002", box=2), angle=7)
    image = np.pad(image, ((200, 200), (200, 200), (0, 0)), constant_values=235)
    h, w = image.shape[:2]
    half = cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    assert read_codes(half, formats="QRCode") == []
    codes = read_frame_codes(image)
    assert [c.text for c in codes] == ["https://zwfw.example.gov.cn/q/SIM-0002"]
    # the page was turned about the image's centre, where the code sits
    assert np.mean(codes[0].position, axis=0) == pytest.approx((w / 2, h / 2), abs=3)


# --- barcodes ------------------------------------------------------------------------------


def test_hand_drawn_ean13_check_digit() -> None:
    assert ean13_check_digit("690123456789") == "2"  # GS1 China prefix 690
    assert ean13_check_digit("978711121382") == "6"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("fmt", "text"), [("EAN13", "6901234567892"),
                                           ("Code128", "BM-2026-0001")])
def test_barcodes(backend: str, fmt: str, text: str) -> None:
    symbol = draw_ean13(text) if fmt == "EAN13" else zxing_drawn(text, "Code128")
    image = on_page(symbol)
    codes = read_codes(image, backend=backend)
    assert [(c.format, c.text) for c in codes] == [(fmt, text)]
    (x0, y0), _, (x1, y1), _ = codes[0].position
    # inside the page, across most of the bars (ZBar reports the scan lines' extent)
    assert 80 <= x0 < x1 <= image.shape[1] - 80 and 60 <= y0 <= y1 <= image.shape[0] - 60
    assert x1 - x0 > 0.6 * symbol.shape[1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_format_filter(backend: str) -> None:
    image = on_page(draw_ean13("6901234567892"))
    assert read_codes(image, backend=backend, formats=["QRCode", "Code128"]) == []
    assert [c.format for c in read_codes(image, backend=backend, formats="EAN13")] == ["EAN13"]


def test_zxing_reads_what_zbar_cannot() -> None:
    image = on_page(zxing_drawn("电子证照 DZZZ-0001", "DataMatrix", scale=5))
    assert [(c.format, c.text) for c in read_codes(image)] == [
        ("DataMatrix", "电子证照 DZZZ-0001")]
    with pytest.raises(ValueError, match=r"pyzbar.*cannot read DataMatrix"):
        read_codes(image, backend="pyzbar", formats="DataMatrix")


# --- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("text", [
    "你好",  # ZBar's own character-set guess returns this as "ä½\xa0å¥½"
    "一",
    "便民服务中心预约码 A001",
    "https://zwfw.example.gov.cn/q/预约?n=张三&id=110105",
])
def test_chinese_qr_text(backend: str, text: str) -> None:
    codes = read_codes(on_page(qr_image(text), angle=0), backend=backend)
    assert [(c.format, c.text) for c in codes] == [("QRCode", text)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_gbk_qr_text(backend: str) -> None:
    # older Chinese systems write GBK bytes without an ECI
    text = "政务服务网 扫码亮证"
    codes = read_codes(qr_image(text.encode("gbk")), backend=backend)
    assert [c.text for c in codes] == [text]


# --- images with nothing, several things, or the wrong things ----------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_code(backend: str) -> None:
    desk, truth = SyntheticCamera(SyntheticCameraConfig(
        script="a4", realtime=False, size="1080p")).render(40)
    assert truth  # a form with text and a seal, but no code
    assert read_codes(desk, backend=backend) == []
    assert read_frame_codes(desk, backend=backend) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_copies_of_one_code_are_two_codes(backend: str) -> None:
    qr = qr_image("A001", box=5)
    page = np.full((qr.shape[0] + 40, 2 * qr.shape[1] + 80), 255, np.uint8)
    page[20:20 + qr.shape[0], 20:20 + qr.shape[1]] = qr
    page[20:20 + qr.shape[0], 60 + qr.shape[1]:60 + 2 * qr.shape[1]] = qr
    codes = read_codes(page, backend=backend)
    assert [c.text for c in codes] == ["A001", "A001"]
    assert len({c.position for c in codes}) == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_corner_order_follows_the_image_not_the_code(backend: str) -> None:
    upright = read_codes(qr_image("A001"), backend=backend)[0]
    turned = read_codes(np.ascontiguousarray(np.rot90(qr_image("A001"), 2)), backend=backend)[0]
    for code in (upright, turned):
        quad = np.array(code.position)
        assert np.argmin(quad.sum(axis=1)) == 0  # TL: nearest the image's top-left
        assert quad[1][0] > quad[0][0] and quad[3][1] > quad[0][1]


def test_grey_and_bgr_give_the_same_codes() -> None:
    grey = qr_image("同一个码")
    bgr = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    assert read_codes(grey) == read_codes(bgr) == read_codes(grey[:, :, None])


def test_as_json() -> None:
    code = Code("QRCode", "预约 A001", ((1.0, 2.0), (3.0, 2.0), (3.0, 4.0), (1.0, 4.0)))
    assert code.as_json() == {"format": "QRCode", "text": "预约 A001",
                              "position": [[1.0, 2.0], [3.0, 2.0], [3.0, 4.0], [1.0, 4.0]]}


@pytest.mark.parametrize(("image", "message"), [
    (np.zeros((50, 50), np.float32), "8-bit"),
    (np.zeros((50, 50, 4), np.uint8), "grey or BGR"),
    (np.zeros(50, np.uint8), "grey or BGR"),
    (np.zeros((4, 50), np.uint8), "too small"),
    ([[0, 255], [255, 0]], "image array"),
])
def test_plain_errors_for_other_input(image: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_codes(image)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        read_frame_codes(image)  # type: ignore[arg-type]


def test_plain_errors_for_other_options() -> None:
    grey = qr_image("A001")
    with pytest.raises(ValueError, match="backend is one of zxing, pyzbar"):
        read_codes(grey, backend="opencv")
    with pytest.raises(ValueError, match="unknown code format 'QR'"):
        read_codes(grey, formats="QR")
    with pytest.raises(ValueError, match="formats is empty"):
        read_codes(grey, formats=[])
