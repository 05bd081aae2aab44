"""Device URLs: every form the config and the doctor accept, and plain refusals."""

from __future__ import annotations

import pytest

from devices.urls import DeviceUrlError, parse_device_url


@pytest.mark.parametrize(
    ("text", "scheme", "target", "options"),
    [
        ("serial:///dev/ttyUSB0?baud=115200", "serial", "/dev/ttyUSB0", {"baud": "115200"}),
        ("serial:///dev/pts/3", "serial", "/dev/pts/3", {}),
        ("usb://0400:c35a", "usb", "0400:C35A", {}),
        ("tcp://192.168.1.50:9100", "tcp", "192.168.1.50:9100", {}),
        ("file:///dev/usb/lp0", "file", "/dev/usb/lp0", {}),
        ("sim://idcard?card=resident_elderly&garbage=0.1", "sim", "idcard",
         {"card": "resident_elderly", "garbage": "0.1"}),
        ("sim://printer", "sim", "printer", {}),
    ],
)
def test_accepted_urls(text: str, scheme: str, target: str, options: dict) -> None:
    url = parse_device_url(text)
    assert (url.scheme, url.target, url.options, str(url)) == (scheme, target, options, text)


def test_parts() -> None:
    assert parse_device_url("usb://0400:C35A").vid_pid == (0x0400, 0xC35A)
    assert parse_device_url("tcp://printer.local:9100").host_port == ("printer.local", 9100)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("/dev/ttyUSB0", "did you mean serial:///dev/ttyUSB0"),
        ("http://printer", "unknown scheme 'http'"),
        ("serial://ttyUSB0", "absolute path"),
        ("serial:///dev/ttyUSB0?baud=fast", "baud must be a number"),
        ("tcp://printer", "give host and port"),
        ("tcp://printer:99999", "from 1 to 65535"),
        ("usb://0400", "vendor and product id in hex"),
        ("usb://04000:C35A", "vendor and product id in hex"),
        ("sim://", "name the simulator"),
    ],
)
def test_refused_urls_say_why(text: str, words: str) -> None:
    with pytest.raises(DeviceUrlError) as caught:
        parse_device_url(text)
    assert words in str(caught.value)
