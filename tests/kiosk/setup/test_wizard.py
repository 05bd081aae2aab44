"""The Qt wizard off screen: the pages build, speak Chinese first, refuse what the schema
refuses, run each test off the GUI thread against the simulators, show the camera's page
outlined, check the network, write the file; ``bianmin setup --screenshot DIR`` saves one
PNG per page."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kiosk.config import load_config
from kiosk.setup_cli import setup
from kiosk.setup_wizard import services
from kiosk.setup_wizard.ports import PcAnswers
from kiosk.translations import update
from kiosk.ui.counter import look
from kiosk.ui.kiosk.lock import pin_matches
from kiosk.ui.qt import QtCore, QtGui, QtWidgets
from kiosk.ui.setup.app import SHOTS
from kiosk.ui.setup.window import SetupWindow
from tests.kiosk.qt_support import pump
from tests.kiosk.setup.test_services import RootedSystemctl


def choose(window: SetupWindow, role: str, driver: str, port: str | None = None) -> None:
    """What the technician does: the role on the left, a driver, maybe a port typed."""
    devices = window.devices
    devices.role_buttons[role].click()
    devices.driver.setCurrentIndex(devices.driver.findData(driver))
    if port is not None:
        devices.port.setEditText(port)


def test_the_wizard_from_an_empty_pc_to_the_written_file(
        qapp: Any, make_model: Any, tmp_path: Path, health_server: Any) -> None:
    window = SetupWindow(make_model(), ask_before_quit=False)
    window.resize(*look.SCREEN)
    window.show()
    try:
        assert window.windowTitle() == "便民系统设置 / Bianmin setup"
        assert window.next_button.text() == "下一步 / Next ▶"

        # 1. the site: nothing of the demo site is offered, and Next checks as the schema does
        window.next_button.click()
        assert window.index == 0
        assert window.site.errors["code"].text() == "must not be empty"
        window.site.code.setText("西村一站")
        window.site.name.setText("西村便民服务站")
        window.next_button.click()
        assert window.index == 0 and "letters, digits, - and _" in \
            window.site.errors["code"].text()
        window.site.code.setText("XC-0101")
        window.next_button.click()
        assert window.index == 1 and not window.site.errors["code"].isVisible()

        # 2. the county: the hub's address (the enrolment itself: test_county.py)
        window.county.hub.setText(health_server.url)
        window.next_button.click()
        assert window.index == 2

        # 3. devices: the port list follows the driver; a test runs off the GUI thread
        devices = window.devices
        assert pump(lambda: not devices.searching)
        choose(window, "ticket_printer", "escpos-generic")
        assert devices.port.currentText() == "sim://printer"
        assert "Simulator: a trial without the device" in devices.port_note.text()
        assert devices.test_button.text() == "打印测试页 / Print the test page"
        devices.test_button.click()
        assert "ticket_printer" in devices.testing  # not done yet: the click returned at once
        assert pump(lambda: "ticket_printer" not in devices.testing)
        assert devices.state("ticket_printer") == "ok"
        assert "Test page printed" in devices.result.words.text()
        assert devices.role_buttons["ticket_printer"].text().startswith("✔")
        devices.port.setEditText("sim://printer?paper_out=1")  # another port: tested again
        assert devices.state("ticket_printer") == "chosen" and devices.result.words.text() == ""
        devices.test_button.click()
        assert pump(lambda: "ticket_printer" not in devices.testing)
        assert devices.state("ticket_printer") == "failed"
        assert devices.result.hint.text().startswith("怎么办 / What to do: ")

        choose(window, "window_sign", "led-sign", "/dev/ttyUSB0")
        window.next_button.click()
        assert window.index == 2 and devices.role == "window_sign"
        assert "did you mean 'serial:///dev/ttyUSB0'?" in devices.problem_note.text()
        assert devices.role_buttons["window_sign"].text().startswith("✘")
        devices.port.setEditText("sim://sign")

        choose(window, "document_camera", "uvc-generic", "sim://camera?script=a4")
        assert devices.preview.isVisible() and devices.preview_button.isVisible()
        devices.preview_button.click()
        assert devices.preview_button.text() == "关闭预览 / Stop the preview"
        assert pump(lambda: devices.preview_found > 0, 20), devices.preview.note()
        choose(window, "announcer", "clips", "sim://announcer")
        assert devices.preview_port is None and not devices.preview.isVisible()

        # 4. the network, checked on arrival
        window.next_button.click()
        assert window.index == 3
        assert pump(lambda: window.network.checks > 0)
        hub = window.network.lines["hub"]
        assert hub.outcome is not None and hub.outcome.ok, hub.outcome
        assert hub.mark.text() == "✔"

        # 5. the summary shows the file, and writes it
        window.next_button.click()
        assert window.index == 4 and window.next_button.text() == "关闭 / Close"
        assert "设备：已选 4 台，0 台测试正常" in window.summary.facts.text()
        assert "[devices.window_sign]" in window.summary.text_view.toPlainText()
        window.summary.write_button.click()
        assert pump(lambda: window.written)
        assert window.summary.result.outcome is not None and window.summary.result.outcome.ok
        # then this PC's services: none are installed in this test's folder, and it says so
        assert pump(lambda: window.summary.applied)
        [step] = window.summary.applied
        assert not step.ok and "not installed" in step.words and "package" in step.hint
        assert window.summary.next_steps.isVisible()
    finally:
        window.shut_down()
        window.close()
        window.deleteLater()
    config = load_config(tmp_path / "site.toml")
    assert (config.site.code, config.site.name) == ("XC-0101", "西村便民服务站")
    assert {role: d.port for role, d in config.devices.items()} == {
        "ticket_printer": "sim://printer?paper_out=1", "document_camera": "sim://camera?script=a4",
        "window_sign": "sim://sign", "announcer": "sim://announcer"}


def test_a_kiosk_pc_is_chosen_on_the_first_page_and_switched_on_after_the_write(
        qapp: Any, make_model: Any, tmp_path: Path, station_server: Any) -> None:
    rooted = RootedSystemctl(tmp_path / "root")
    window = SetupWindow(make_model(systemctl=rooted.systemctl()), ask_before_quit=False)
    window.resize(*look.SCREEN)
    window.show()
    site = window.site
    try:
        assert not site.station_url.isVisible()  # a village point: the station is here
        site.code.setText("XC-0101")
        site.name.setText("西村便民服务站")
        site.screen.setCurrentIndex(site.screen.findData("kiosk"))
        site.station_where.setCurrentIndex(site.station_where.findData("elsewhere"))
        assert site.station_url.isVisible() and site.pair_code.isVisible()
        site.station_url.setText(station_server.url)
        window.next_button.click()  # a screen of another PC's station needs its code
        assert window.index == 0 and "bianmin station pair --role kiosk" in \
            site.errors["pc.pair_code"].text()
        site.screen.setCurrentIndex(site.screen.findData("none"))
        assert site.station_url.isVisible() and not site.pair_code.isVisible()
        assert not site.kiosk_pin.isVisible()  # a PIN is the kiosk's alone
        site.screen.setCurrentIndex(site.screen.findData("kiosk"))
        assert site.kiosk_pin.isVisible()
        site.kiosk_pin.setText("24681")
        site.pair_code.setText(station_server.pair("kiosk"))
        window.next_button.click()
        assert window.index == 1 and not site.errors["pc.pair_code"].isVisible()
        window.go_to(4)
        assert f"本机：自助终端；站点服务：{station_server.url}" in window.summary.facts.text()
        assert "技术员 PIN：写入新 PIN" in window.summary.facts.text()
        window.summary.write_button.click()
        assert pump(lambda: window.summary.applied)
        outcomes = window.summary.applied
        if os.geteuid() == 0:
            assert [o.ok for o in outcomes] == [True, True, True, True, True], outcomes
            assert rooted.enabled() == {"bianmin-kiosk.service"}
        else:
            assert outcomes[0].ok and "root" in outcomes[-1].words
        env = services.read_env(tmp_path / "etc" / "kiosk.env")
        assert station_server.role_of(env["BIANMIN_TOKEN"]) == "kiosk"
        assert [v.mark.text() for v in window.summary.step_views] == ["✔"] * len(outcomes)
    finally:
        window.shut_down()
        window.close()
        window.deleteLater()
    assert pin_matches("24681", load_config(tmp_path / "site.toml").kiosk.unlock_pin_hash)


def test_a_counter_pc_asks_its_window_mode_and_desktop_account(
        qapp: Any, make_model: Any) -> None:
    window = SetupWindow(make_model(environ={"SUDO_USER": "xiaoli"}), ask_before_quit=False)
    window.resize(*look.SCREEN)
    window.show()
    site = window.site
    try:
        assert not site.window_number.isVisible()
        site.code.setText("XC-0101")
        site.name.setText("西村便民服务站")
        site.screen.setCurrentIndex(site.screen.findData("counter"))
        assert site.window_number.isVisible() and site.desktop_user.isVisible()
        assert not site.kiosk_pin.isVisible()
        assert site.desktop_user.text() == "xiaoli"  # who typed sudo
        window.next_button.click()
        assert window.index == 0 and "1-3 digits" in site.errors["pc.window"].text()
        site.window_number.setText("2")
        site.counter_mode.setCurrentIndex(site.counter_mode.findData("agent"))
        window.next_button.click()
        assert window.index == 1
        assert window.answers().pc == PcAnswers(screen="counter", window="2",
                                                counter_mode="agent", desktop_user="xiaoli")
    finally:
        window.shut_down()
        window.close()
        window.deleteLater()


def test_run_again_the_pages_start_from_the_file(qapp: Any, make_model: Any,
                                                 tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text(
        '[site]\ncode = "XC-0202"\nname = "北村便民服务站"\nkind = "township"\n\n'
        '[devices.rating_terminal]\ndriver = "bianmin-rating-v1"\nport = "sim://rating?auto=5"\n',
        "utf-8")
    window = SetupWindow(make_model(), ask_before_quit=False)
    try:
        assert window.site.code.text() == "XC-0202"
        assert window.site.kind.currentData() == "township"
        notes = [label.text() for label in window.site.panel.findChildren(QtWidgets.QLabel)]
        assert any(text.startswith(f"从 {tmp_path / 'site.toml'} 中的现有配置开始")
                   for text in notes), notes
        window.devices.select("rating_terminal")
        assert window.devices.driver.currentData() == "bianmin-rating-v1"
        assert window.devices.port.currentText() == "sim://rating?auto=5"
        assert window.devices.state("id_card_reader") == "unused"
        assert window.devices.driver.currentText() == "bianmin-rating-v1"
    finally:
        window.shut_down()
        window.deleteLater()


def test_closing_before_writing_asks_first(qapp: Any, make_model: Any) -> None:
    window = SetupWindow(make_model())
    window.show()
    answers: list[str] = []

    def answer(label: str) -> None:
        box = QtWidgets.QApplication.activeModalWidget()
        assert isinstance(box, QtWidgets.QMessageBox)
        answers.append(box.text())
        (button,) = [b for b in box.buttons() if b.text().endswith(label)]
        button.click()

    try:
        QtCore.QTimer.singleShot(50, lambda: answer("Stay"))
        window.quit_button.click()
        assert window.isVisible() and answers == ["配置还没有写入。仍要退出吗？\nThe configuration "
                                                  "has not been written. Quit anyway?"]
        QtCore.QTimer.singleShot(50, lambda: answer("Quit without writing"))
        window.quit_button.click()
        assert not window.isVisible() and len(answers) == 2
    finally:
        window.shut_down()
        window.deleteLater()


def test_the_setup_strings_are_all_in_chinese(qapp: Any) -> None:
    root = ET.parse(update.ts_path("zh_CN")).getroot()
    contexts = {c.findtext("name"): c for c in root.iter("context")}
    mine = {name for name in contexts if name and name.startswith("Setup")}
    assert mine == {"SetupWizard", "SetupSite", "SetupCounty", "SetupDevices", "SetupNetwork",
                    "SetupSummary"}
    for name in mine:
        for message in contexts[name].iter("message"):
            translation = message.find("translation")
            assert translation is not None and translation.text, message.findtext("source")
            assert translation.get("type") is None, message.findtext("source")
    translate = QtCore.QCoreApplication.translate
    assert translate("SetupWizard", "Bianmin setup") == "便民系统设置"
    assert translate("SetupDevices", "Document camera") == "高拍仪"


def test_the_screenshot_tour_saves_one_png_per_page(qapp: Any, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    result = CliRunner().invoke(setup, ["--config", str(tmp_path / "site.toml"), "--data-dir",
                                        str(tmp_path / "data"), "--screenshot", str(shots)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in shots.iterdir()) == list(SHOTS)
    for name in SHOTS:
        image = QtGui.QImage(str(shots / name))
        assert (image.width(), image.height()) == look.SCREEN, name
        assert f"截图 / screenshot: {shots / name}" in result.output
    assert "did not settle" not in result.output  # every test ran, the page was outlined
    assert not (tmp_path / "site.toml").exists() and not (tmp_path / "data").exists()


def test_without_a_screen_it_says_so(qapp: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(setup, ["--config", str(tmp_path / "site.toml")],
                                env={"DISPLAY": None, "WAYLAND_DISPLAY": None,
                                     "QT_QPA_PLATFORM": "offscreen"})
    assert result.exit_code == 2
    assert "No screen" in result.output and "--screenshot DIR" in result.output
    assert "Traceback" not in result.output
