"""``bianmin imaging`` (docs/cli.md, docs/imaging.md): detect, scan, idcopy and codes run
through click's CliRunner on pictures from the synthetic camera, and once as a real child
process (an unreadable file: a plain message, no traceback)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pikepdf
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from devices.imaging import geometry
from drivers.sim.synthetic_camera import FOV_MM, SyntheticCamera, SyntheticCameraConfig
from kiosk.cli import cli
from kiosk.imaging_cli import MODES

BIANMIN = Path(sys.executable).parent / "bianmin"
A4_SETTLED = 40  # frames 30–50 of the a4 script: the form lies still, no hand
QR_SETTLED = 40
FRONT_SETTLED, BACK_SETTLED = 45, 130  # idcard script: each side lies still, no hand
MM_PER_PT = 25.4 / 72


def run(*args: object) -> Result:
    result = CliRunner().invoke(cli, ["imaging", *(str(a) for a in args)], prog_name="bianmin")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def render(path: Path, **config: object) -> tuple[Path, list]:  # type: ignore[type-arg]
    index = config.pop("index")
    image, truth = SyntheticCamera(SyntheticCameraConfig(realtime=False, **config)).render(
        index)  # type: ignore[arg-type]
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path, truth


@pytest.fixture(scope="module")
def pics(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    d = tmp_path_factory.mktemp("pics")
    a4_dark, dark_truth = render(d / "a4_dark.png", script="a4", desk="dark", size="1080p",
                                 index=A4_SETTLED)
    a4_light, light_truth = render(d / "a4_light.png", script="a4", desk="light",
                                   size="1080p", index=A4_SETTLED)
    empty_light, _ = render(d / "empty_light.png", script="empty", desk="light",
                            size="1080p", index=3)
    qr, qr_truth = render(d / "qr.jpg", script="qr", size="8mp", index=QR_SETTLED)
    front, front_truth = render(d / "front.jpg", script="idcard", size="8mp",
                                index=FRONT_SETTLED)
    back, back_truth = render(d / "back.jpg", script="idcard", size="8mp", index=BACK_SETTLED)
    return SimpleNamespace(
        dir=d, a4_dark=a4_dark, a4_light=a4_light, empty_light=empty_light, qr=qr,
        front=front, back=back,
        a4_truth=np.array(dark_truth[0].frame_ordered()),
        light_truth=np.array(light_truth[0].frame_ordered()),
        qr_truth=qr_truth, front_truth=front_truth, back_truth=back_truth)


# --- detect --------------------------------------------------------------------------------


def test_detect_a4_on_a_dark_desk(pics: SimpleNamespace) -> None:
    result = run("detect", pics.a4_dark, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"found", "corners", "ms"}
    assert report["found"] is True and report["ms"] > 0
    corners = np.array(report["corners"])
    assert corners.shape == (4, 2)
    # every corner within 1 % of the frame height of the truth, in TL, TR, BR, BL order
    assert geometry.max_corner_distance(corners, pics.a4_truth) < 0.01 * 1080


def test_detect_on_a_light_desk_with_and_without_the_reference(pics: SimpleNamespace) -> None:
    plain = run("detect", pics.a4_light, "--json")
    report = json.loads(plain.stdout)
    # without the empty desk, white on white may or may not be found; the contract holds
    assert plain.exit_code == (0 if report["found"] else 1)
    assert (report["corners"] is None) == (not report["found"])
    if report["found"]:
        assert geometry.max_corner_distance(np.array(report["corners"]),
                                            pics.light_truth) < 0.01 * 1080
    helped = run("detect", pics.a4_light, "--reference", pics.empty_light, "--json")
    assert helped.exit_code == 0, helped.stderr
    corners = np.array(json.loads(helped.stdout)["corners"])
    assert geometry.max_corner_distance(corners, pics.light_truth) < 0.01 * 1080


def test_detect_finds_nothing_on_the_empty_desk(pics: SimpleNamespace) -> None:
    result = run("detect", pics.empty_light, "--reference", pics.empty_light, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["found"] is False and report["corners"] is None and report["ms"] >= 0
    text = run("detect", pics.empty_light, "--reference", pics.empty_light)
    assert text.exit_code == 1 and text.stdout.startswith("未找到页面 / No page found")


def test_detect_text_output(pics: SimpleNamespace) -> None:
    result = run("detect", pics.a4_dark)
    assert result.exit_code == 0
    assert result.stdout.startswith("找到页面 / Page found: (") and result.stdout.count("(") == 5


def test_detect_refuses_a_reference_of_another_shape(pics: SimpleNamespace) -> None:
    result = run("detect", pics.a4_dark, "--reference", pics.qr, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "空桌面照片与图像的长宽比不同 / the empty-desk picture (3264×2448)" in result.stderr


# --- unreadable pictures -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["detect", "scan", "idcopy", "codes"])
def test_unreadable_pictures_exit_2_plainly(command: str, tmp_path: Path,
                                            pics: SimpleNamespace) -> None:
    junk = tmp_path / "notes.jpg"
    junk.write_text("not a picture", "utf-8")
    missing = tmp_path / "missing.png"
    for bad in (junk, missing):
        args = {"detect": [bad], "codes": [bad],
                "scan": [pics.a4_dark, bad, "--out", tmp_path / "out.pdf"],
                "idcopy": [pics.front, bad, "--out", tmp_path / "copy.png"]}[command]
        result = run(command, *args, "--json")
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert result.stderr.startswith(f"无法读取图像 / cannot read the image: {bad}: ")
    assert not (tmp_path / "out.pdf").exists() and not (tmp_path / "copy.png").exists()


def test_unreadable_picture_as_a_child_process(tmp_path: Path) -> None:
    proc = subprocess.run([str(BIANMIN), "imaging", "detect", str(tmp_path / "none.png"),
                           "--json"], capture_output=True, encoding="utf-8", timeout=60,
                          check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == ("无法读取图像 / cannot read the image: "
                           f"{tmp_path / 'none.png'}: No such file or directory\n")


# --- scan ----------------------------------------------------------------------------------


def pdf_pages(path: Path) -> list[tuple[float, float, str]]:
    """Each page's width and height in mm and its image's filter."""
    with pikepdf.open(path) as pdf:
        out = []
        for page in pdf.pages:
            box = [float(v) for v in page.mediabox]
            (image,) = page.get_images().values()
            out.append(((box[2] - box[0]) * MM_PER_PT, (box[3] - box[1]) * MM_PER_PT,
                        str(image.get("/Filter"))))
        return out


def test_scan_two_pictures_into_one_pdf(pics: SimpleNamespace, tmp_path: Path) -> None:
    out = tmp_path / "scan.pdf"
    result = run("scan", pics.a4_dark, pics.qr, "--out", out, "--view-width-mm", FOV_MM[0],
                 "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["out"] == str(out) and report["bytes"] == out.stat().st_size
    assert [p["image"] for p in report["pages"]] == [str(pics.a4_dark), str(pics.qr)]
    assert all(p["found"] and p["format"] == "jpeg" and p["mode"] == "colour"
               for p in report["pages"])
    pages = pdf_pages(out)
    assert len(pages) == 2
    # the A4 form lies landscape: 297 × 210 mm; the QR page is A5 portrait, 148 × 210 mm
    for (w, h, image_filter), page, true_mm in zip(
            pages, report["pages"], [(297, 210), (148, 210)], strict=True):
        assert (w, h) == pytest.approx(page["size_mm"], abs=1)
        assert (w, h) == pytest.approx(true_mm, rel=0.04)
        assert image_filter == "/DCTDecode"
    assert [p for p in out.parent.iterdir() if p.name != "scan.pdf"] == []  # no temp file left


def test_scan_without_the_view_width_keeps_the_shape(pics: SimpleNamespace,
                                                     tmp_path: Path) -> None:
    # A4 and A5 share an aspect ratio: without the camera's scale the page keeps its measured
    # shape (1.38 here: 户口簿's 1.36 is as near as A-series' 1.414, so nothing is snapped)
    # at the resolution assumed for pages of unknown size
    result = run("scan", pics.a4_dark, "--out", tmp_path / "scan.pdf", "--json")
    assert result.exit_code == 0, result.stderr
    (page,) = json.loads(result.stdout)["pages"]
    assert page["kind"] is None and page["dpi"] == 200
    w, h = page["size_mm"]
    assert w / h == pytest.approx(297 / 210, rel=0.03)


def test_scan_bw_is_png_and_a_picture_without_page_is_used_whole(
        pics: SimpleNamespace, tmp_path: Path) -> None:
    out = tmp_path / "bw.pdf"
    result = run("scan", pics.a4_dark, pics.empty_light, "--out", out, "--mode", "bw")
    assert result.exit_code == 0, result.stderr
    assert f"第 2 张未找到页面，整张使用 / {pics.empty_light}: no page found" in result.stderr
    assert "第 1 页 / page 1:" in result.stdout and f"已写入 / Wrote {out}: 2 页" in result.stdout
    pages = pdf_pages(out)
    assert len(pages) == 2 and all(f == "/FlateDecode" for _, _, f in pages)


def test_scan_needs_a_pdf_name(pics: SimpleNamespace, tmp_path: Path) -> None:
    result = run("scan", pics.a4_dark, "--out", tmp_path / "scan.jpg")
    assert result.exit_code == 2 and "--out must end in .pdf" in result.stderr
    unwritable = run("scan", pics.a4_dark, "--out", tmp_path / "no" / "such" / "dir.pdf")
    assert unwritable.exit_code == 2
    assert unwritable.stderr.startswith("无法写入文件 / cannot write the file:")


def test_modes_match_the_page_module() -> None:
    from devices.imaging import page

    assert MODES == page.MODES


# --- idcopy --------------------------------------------------------------------------------


def test_idcopy_to_png(pics: SimpleNamespace, tmp_path: Path) -> None:
    out = tmp_path / "copy.png"
    result = run("idcopy", pics.front, pics.back, "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["front"]["card"] == report["back"]["card"] == "detected"
    with Image.open(out) as sheet:
        dpi = sheet.info["dpi"]
        size = sheet.size
    assert dpi == pytest.approx((report["dpi"], report["dpi"]), abs=0.5)
    # A4 portrait at that DPI: prints 1:1
    assert size[0] / dpi[0] * 25.4 == pytest.approx(210, abs=1)
    assert size[1] / dpi[1] * 25.4 == pytest.approx(297, abs=1)


def test_idcopy_to_pdf_has_an_a4_page(pics: SimpleNamespace, tmp_path: Path) -> None:
    out = tmp_path / "copy.pdf"
    result = run("idcopy", pics.front, pics.back, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"已写入 / Wrote {out}: A4")
    ((w, h, _),) = pdf_pages(out)
    assert (w, h) == pytest.approx((210, 297), abs=1)


def test_idcopy_takes_pictures_of_the_card_alone(pics: SimpleNamespace, tmp_path: Path) -> None:
    # the card cut out of the camera frame: 856 × 540 px, nothing around it
    frame = cv2.imread(str(pics.front))
    corners = np.array(pics.front_truth[0].corners, np.float32)
    target = np.array([(0, 0), (856, 0), (856, 540), (0, 540)], np.float32)
    card = cv2.warpPerspective(frame, cv2.getPerspectiveTransform(corners, target), (856, 540))
    alone = tmp_path / "card.png"
    cv2.imwrite(str(alone), card)
    result = run("idcopy", alone, pics.back, "--out", tmp_path / "copy.png", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["front"]["card"], report["back"]["card"]) == ("whole", "detected")


def test_idcopy_without_a_card_exits_1(pics: SimpleNamespace, tmp_path: Path) -> None:
    result = run("idcopy", pics.front, pics.empty_light, "--out", tmp_path / "copy.png")
    assert result.exit_code == 1 and result.stdout == ""
    assert f"背面图像中未找到身份证 / no ID card found in the back picture: {pics.empty_light}" \
        in result.stderr
    assert not (tmp_path / "copy.png").exists()


def test_idcopy_other_extensions_exit_2(pics: SimpleNamespace, tmp_path: Path) -> None:
    result = run("idcopy", pics.front, pics.back, "--out", tmp_path / "copy.jpg")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--out must end in .png or .pdf" in result.stderr


# --- codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["zxing", "pyzbar"])
def test_codes_on_the_qr_frame(pics: SimpleNamespace, backend: str) -> None:
    result = run("codes", pics.qr, "--backend", backend, "--json")
    assert result.exit_code == 0, result.stderr
    (code,) = json.loads(result.stdout)
    assert set(code) == {"format", "text", "position"}
    assert code["format"] == "QRCode"
    assert code["text"] == SyntheticCameraConfig().qr_text
    page = np.array(pics.qr_truth[0].frame_ordered())
    assert len(code["position"]) == 4
    assert all(geometry.contains(page, p) for p in code["position"])


def test_codes_text_output_and_no_code(pics: SimpleNamespace, tmp_path: Path) -> None:
    found = run("codes", pics.qr)
    assert found.exit_code == 0
    assert found.stdout == f"QRCode\t{SyntheticCameraConfig().qr_text}\n"
    nothing = run("codes", pics.a4_dark, "--json")
    assert nothing.exit_code == 1 and json.loads(nothing.stdout) == []
    assert run("codes", pics.a4_dark).stdout == "未读到码 / No code found\n"


def test_codes_reads_chinese(tmp_path: Path) -> None:
    import qrcode

    path = tmp_path / "qr.png"
    qrcode.make("扫码亮证 电子营业执照").save(path)
    for backend in ("zxing", "pyzbar"):
        result = run("codes", path, "--backend", backend, "--json")
        assert [c["text"] for c in json.loads(result.stdout)] == ["扫码亮证 电子营业执照"]


def test_pictures_with_an_alpha_channel_or_in_grey_are_read(tmp_path: Path) -> None:
    import qrcode

    grey = np.array(qrcode.make("A001").convert("L"))
    for name, pixels in (("grey.png", grey),
                         ("rgba.png", np.dstack([grey, grey, grey, np.full_like(grey, 255)]))):
        Image.fromarray(pixels).save(tmp_path / name)
        result = run("codes", tmp_path / name, "--json")
        assert [c["text"] for c in json.loads(result.stdout)] == ["A001"], name


def test_png_written_is_a_picture(tmp_path: Path) -> None:
    # the helper the commands write through: a temporary file, then a rename
    from kiosk.imaging_cli import write_atomically

    target = tmp_path / "x.png"
    buffer = io.BytesIO()
    Image.new("L", (4, 4)).save(buffer, "PNG")
    write_atomically(target, buffer.getvalue())
    write_atomically(target, buffer.getvalue())  # replaces
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]
    assert target.stat().st_mode & 0o777 == 0o600
