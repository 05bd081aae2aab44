"""The driver against the printer simulator over a pseudo-terminal and over TCP: the bytes
are interpreted and drawn, so what the paper shows is what the driver meant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qrcode
import qrcode.constants
from PIL import Image

from drivers.escpos_printer import (
    EscPosPrinter,
    EscPosProfile,
    Job,
    display_width,
    encode_job,
    test_page,
    wrap,
)
from drivers.sim.escpos_printer import EscPosSim, EscPosSimConfig
from drivers.transports import FileTransport, SerialTransport, TcpTransport, Transport

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "printer"

Connect = Callable[[EscPosSim], Transport]


def _over_pty(sim: EscPosSim) -> Transport:
    link = sim.serve_pty()
    _cleanups.append(link.unplug)
    return SerialTransport(link.path, 115200)


def _over_tcp(sim: EscPosSim) -> Transport:
    server = sim.serve_tcp(port=0)
    _cleanups.append(server.close)
    return TcpTransport("127.0.0.1", server.port)


_cleanups: list[Callable[[], None]] = []


@pytest.fixture(autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    while _cleanups:
        _cleanups.pop()()


@pytest.fixture(params=[_over_pty, _over_tcp], ids=["pty", "tcp"])
def connect(request: pytest.FixtureRequest) -> Connect:
    return request.param


def _printer(sim: EscPosSim, connect: Connect, profile: EscPosProfile) -> EscPosPrinter:
    transport = connect(sim)
    _cleanups.insert(0, transport.close)
    return EscPosPrinter(transport, profile, timeout_s=2.0, status_timeout_s=0.3)


RECEIPT_LINES = [
    "青山镇便民服务中心 受理回执",
    "办件编号 / Case: QS-20261124-0007",
    "申请人：欧阳娜娜",
    "事项：城乡居民基本养老保险待遇申领，请于10个工作日内到3号窗口领取结果。",
    "收费 / Fee: ¥0.00",
]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_printed_text_comes_out_as_sent(connect: Connect, encoding: str) -> None:
    profile = EscPosProfile.for_paper(80, encoding=encoding)
    sim = EscPosSim(EscPosSimConfig(width=80, encoding=encoding))
    printer = _printer(sim, connect, profile)
    job = Job()
    for line in RECEIPT_LINES:
        job.text(line)
    result = printer.print_job(job.cut())
    assert result.ok, result
    assert result.message == "已打印 / Printed" and result.warnings == []
    assert sim.wait_for_jobs(1)
    (paper,) = sim.jobs
    expected = [w for line in RECEIPT_LINES for w in wrap(line.replace("¥", "￥"), 48)]
    assert paper.text == expected
    assert paper.cut and paper.decode_errors == 0 and sim.unknown_commands == 0


def test_a_gbk_printer_garbles_what_only_gb18030_can_say() -> None:
    """The simulator's GBK font really is narrower: GB18030-only bytes fail to decode. This
    is why the driver sends only GBK's repertoire as text, on every profile."""
    sim = EscPosSim(EscPosSimConfig(encoding="gbk"))
    sim.feed(b"\x1b@\x1c&" + "王䶮".encode("gb18030") + b"\n\x1dV\x00")
    assert sim.jobs[0].text == ["王〓"] and sim.decode_errors == 1


def test_chinese_without_fs_ampersand_prints_as_code_page_437() -> None:
    sim = EscPosSim()
    sim.feed(b"\x1b@" + "张三".encode("gb18030") + b"\n\x1dV\x00")
    assert sim.jobs[0].text == ["╒┼╚²"]


def test_rare_name_prints_as_an_image_line_not_as_text(connect: Connect) -> None:
    profile = EscPosProfile.for_paper(58, encoding="gbk")
    sim = EscPosSim(EscPosSimConfig(width=58, encoding="gbk"))
    result = _printer(sim, connect, profile).print_job(
        Job().text("申请人").text("王䶮 李𠈌").text("完").cut())
    assert result.ok, result
    assert sim.wait_for_jobs(1)
    paper = sim.jobs[0]
    assert paper.text == ["申请人", "完"] and paper.decode_errors == 0
    assert paper.raster_images == 1
    ((kind, (left, top, right, bottom)),) = paper.placements
    assert (kind, left, right, bottom - top) == ("raster", 0, 384, 30)
    ink = paper.image.crop((0, top, 384, bottom)).convert("L").histogram()[0]
    assert ink > 100  # the two names are drawn


def test_paper_out_fails_before_sending(connect: Connect) -> None:
    sim = EscPosSim(EscPosSimConfig(paper_out=True))
    result = _printer(sim, connect, EscPosProfile()).print_job(Job().text("A001").cut())
    assert not result.ok
    assert result.message.startswith("打印机缺纸")
    assert "out of paper" in result.message and "nothing was printed" in result.message
    assert result.hint == "装入新纸卷并合上盖子 / Load a new paper roll and close the cover"
    assert result.status is not None and result.status.paper_out
    assert sim.status_queries == 4 and sim.dropped_bytes == 0 and sim.jobs == []


def test_cover_open_fails_before_sending(connect: Connect) -> None:
    sim = EscPosSim(EscPosSimConfig(cover_open=True))
    result = _printer(sim, connect, EscPosProfile()).print_job(Job().text("A001").cut())
    assert not result.ok and "cover is open" in result.message and "盖子" in result.hint
    assert sim.dropped_bytes == 0 and sim.jobs == []


def test_paper_near_end_prints_with_a_warning(connect: Connect) -> None:
    sim = EscPosSim(EscPosSimConfig(paper_near_end=True))
    result = _printer(sim, connect, EscPosProfile()).print_job(Job().text("A001").cut())
    assert result.ok and any("nearly finished" in w for w in result.warnings)


def test_paper_running_out_during_the_job_fails_after(connect: Connect) -> None:
    sim = EscPosSim(EscPosSimConfig(paper_out_after=30))  # past the 4 status queries
    result = _printer(sim, connect, EscPosProfile()).print_job(Job().text("A001" * 20).cut())
    assert not result.ok and result.message.startswith("打印机缺纸")
    assert "the ticket may be incomplete" in result.message
    assert sim.dropped_bytes > 0


def test_printer_without_status_prints_with_status_unknown(connect: Connect) -> None:
    sim = EscPosSim(EscPosSimConfig(answers_status=False))
    result = _printer(sim, connect, EscPosProfile()).print_job(Job().text("A001").cut())
    assert result.ok and result.status is None
    assert any("Status unknown" in w for w in result.warnings)
    assert sim.wait_for_jobs(1) and sim.jobs[0].text == ["A001"]


def test_unplug_mid_job_is_a_failed_result(connect: Connect) -> None:
    sim = EscPosSim(EscPosSimConfig(unplug_after=3000))
    profile = EscPosProfile()
    printer = _printer(sim, connect, profile)
    result = printer.print_job(test_page("青山镇", profile))  # about 22 kB
    assert not result.ok and result.link_lost
    assert "connection to the printer was lost" in result.message
    assert result.hint == "检查数据线和电源 / Check the cable and the power"


def test_file_device_is_rendered(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    transport = FileTransport(device)
    printer = EscPosPrinter(transport, EscPosProfile(), timeout_s=0.1)
    result = printer.print_job(Job().text("取号 A001", size=2, align="center").cut())
    transport.close()
    assert result.ok and result.status is None  # a plain file never answers
    (paper,) = EscPosSim().render_file(device)
    assert paper.text == ["取号 A001"] and paper.cut
    assert paper.image.size == (576, paper.image.height)


def test_sim_config_from_url_options() -> None:
    config = EscPosSimConfig.from_url_options({"paper_out": "1", "width": "58",
                                               "encoding": "gbk", "answers_status": "false"})
    assert (config.paper_out, config.width, config.encoding, config.answers_status,
            config.dots) == (True, 58, "gbk", False, 384)
    with pytest.raises(ValueError, match="unknown printer simulator option 'papper_out'"):
        EscPosSimConfig.from_url_options({"papper_out": "1"})
    with pytest.raises(ValueError, match="58 or 80"):
        EscPosSimConfig.from_url_options({"width": "76"})
    with pytest.raises(ValueError, match="true or false"):
        EscPosSimConfig.from_url_options({"paper_out": "maybe"})


def _qr_matches(image: Image.Image, box: tuple[int, int, int, int], data: str) -> bool:
    """Sample the printed code at each module's centre and compare with the symbol the
    ``qrcode`` package makes for ``data``: the code scans if every module is right."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()
    region = image.crop(box).convert("L")
    inked = region.point(lambda v: 255 if v < 128 else 0).getbbox()
    if inked is None:
        return False
    left, top, right, bottom = inked
    module = (right - left) / len(matrix)
    if abs((bottom - top) / len(matrix) - module) > 0.01:
        return False
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            x = left + (col + 0.5) * module
            y = top + (row + 0.5) * module
            if (region.getpixel((int(x), int(y))) < 128) != dark:
                return False
    return True


@pytest.mark.parametrize(("width", "dots"), [(80, 576), (58, 384)])
def test_test_page_renders(width: int, dots: int) -> None:
    profile = EscPosProfile.for_paper(width)
    sim = EscPosSim(EscPosSimConfig(width=width))
    result = _printer(sim, _over_pty, profile).print_job(test_page("青山镇便民服务中心", profile))
    assert result.ok, result
    assert sim.wait_for_jobs(1)
    paper = sim.jobs[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = paper.save(ARTIFACTS / f"test_page_{width}mm.png")
    saved = Image.open(path)
    assert saved.width == dots
    assert saved.convert("L").getextrema() == (0, 255)  # ink on white paper
    assert paper.text[0] == "便民服务测试页" and paper.decode_errors == 0
    assert sim.unknown_commands == 0 and paper.cut
    # The QR code is the tallest raster image; its region has ink and reads back right.
    kind, box = max(paper.placements, key=lambda p: p[1][3] - p[1][1])
    assert kind == "raster" and box[3] - box[1] > 200
    ink = saved.crop(box).convert("L").histogram()[0] / ((box[2] - box[0]) * (box[3] - box[1]))
    assert 0.1 < ink < 0.6
    assert _qr_matches(saved, box, "便民测试页 Bianmin test page | 青山镇便民服务中心")
    # Nothing ran past the right edge (the printer would have wrapped it onto a new line):
    # the digit ruler fills the line exactly and stays one line.
    columns = profile.chars_per_line
    assert all(display_width(line) <= columns for line in paper.text)
    assert "".join(str(i % 10) for i in range(1, columns + 1)) in paper.text


def test_native_qr_reads_back_right() -> None:
    profile = EscPosProfile.for_paper(58, qr_native=True)
    sim = EscPosSim(EscPosSimConfig(width=58))
    data = "https://zwfw.example.cn/case/QS-20261124-0007"
    sim.feed(encode_job(Job().qr(data, size_mm=25).cut(), profile))
    paper = sim.jobs[0]
    assert paper.qr_codes == [data.encode()]
    ((kind, box),) = paper.placements
    assert kind == "qr" and box[2] - box[0] <= 384
    assert (box[0] + box[2]) // 2 in (191, 192)  # centred
    assert _qr_matches(paper.image, box, data)
