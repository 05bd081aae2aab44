"""The WLT photo decoder plugin, for the cases we can test: not configured, and a broken path.

We have no vendor decoder library (it is closed vendor code and must not be shipped,
../shared/research/hardware.md §1.4), so decoding itself is not tested here; a library
that is not a decoder stands in for "broken".
"""

from __future__ import annotations

import ctypes.util
from pathlib import Path

import pytest

from drivers.wlt_plugin import BMP_BYTES, WltPluginError, check_bmp, load_decoder


@pytest.mark.parametrize("path", [None, ""])
def test_not_configured_means_no_decoder(path: str | None) -> None:
    assert load_decoder(path) is None


def test_missing_file_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(WltPluginError, match="does not exist"):
        load_decoder(str(tmp_path / "libwlt2bmp.so"))


def test_a_file_that_is_no_library_is_a_plain_error(tmp_path: Path) -> None:
    fake = tmp_path / "libwlt2bmp.so"
    fake.write_bytes(b"this is not a shared library")
    with pytest.raises(WltPluginError, match="cannot load"):
        load_decoder(str(fake))


def test_a_library_without_the_symbol_is_a_plain_error() -> None:
    libc = ctypes.util.find_library("c")
    if libc is None or not Path(libc).is_absolute():
        libc = next((str(p) for p in Path("/lib").glob("**/libc.so.6")), None)
    if libc is None:
        pytest.skip("no libc file to stand in for a broken decoder")
    with pytest.raises(WltPluginError, match="no function 'wlt2bmp'"):
        load_decoder(libc)


def test_only_a_102_by_126_bmp_is_accepted() -> None:
    header = (b"BM" + BMP_BYTES.to_bytes(4, "little") + bytes(12)
              + (102).to_bytes(4, "little") + (126).to_bytes(4, "little")
              + (1).to_bytes(2, "little") + (24).to_bytes(2, "little"))
    check_bmp(header + bytes(BMP_BYTES - len(header)))
    with pytest.raises(WltPluginError):
        check_bmp(header + bytes(BMP_BYTES - len(header) - 1))
    raw_pixels = bytes(102 * 126 * 3)  # headerless output of some decoders
    with pytest.raises(WltPluginError):
        check_bmp(raw_pixels)
