"""The ID card photo decoder: an optional vendor plugin, never shipped with bianmin.

The card's photo is a 1024-byte WLT blob that only closed vendor code decodes, to a 102×126
24-bit BMP of 38,862 bytes (../shared/research/hardware.md §1.4: ``libwlt2bmp.so`` /
``libwlt*.so`` via dlopen, Android JNI ``WLTService.wlt2Bmp``; redistributing unofficial
decoders is warned against). So the operator installs the reader vendor's library and
configures its path; without it everything works except the photo.

Assumed C signature (the common shape of these libraries; check the vendor's header)::

    int <symbol>(const unsigned char *wlt, unsigned char *bmp, int flag);

returning ``ok_return`` (1 by default) on success and writing a complete BMP file into
``bmp``. The symbol name, ``flag`` and the success value are configurable because vendors
differ. The library runs in this process: a vendor library that crashes takes the process
with it, which is why the kiosk keeps it optional.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

WLT_BYTES = 1024
BMP_BYTES = 38862  # 54-byte header + 126 rows × 308 bytes (102 px × 3, padded to 4)
BMP_WIDTH, BMP_HEIGHT = 102, 126
_OUT_BUFFER = 65536  # generous: a library that writes past 38,862 bytes must not corrupt memory

Decoder = Callable[[bytes], bytes]


class WltPluginError(Exception):
    """The photo decoder library is missing, broken, or gave something that is not the
    expected photo. The message is plain and names what to check."""


def check_bmp(bmp: bytes) -> None:
    """Accept only a 38,862-byte 102×126 24-bit BMP.

    :raises WltPluginError: anything else.
    """
    if len(bmp) != BMP_BYTES or bmp[:2] != b"BM":
        raise WltPluginError(f"照片解码结果不对 / the decoder gave {len(bmp)} bytes, not a "
                             f"{BMP_BYTES}-byte BMP")
    width = int.from_bytes(bmp[18:22], "little", signed=True)
    height = abs(int.from_bytes(bmp[22:26], "little", signed=True))
    bits = int.from_bytes(bmp[28:30], "little")
    if (width, height, bits) != (BMP_WIDTH, BMP_HEIGHT, 24):
        raise WltPluginError(f"照片尺寸不对 / the decoded photo is {width}×{height}×{bits} "
                             f"bits, not {BMP_WIDTH}×{BMP_HEIGHT}×24")


def load_decoder(path: str | None, *, symbol: str = "wlt2bmp", flag: int = 0,
                 ok_return: int = 1) -> Decoder | None:
    """Load the vendor's decoder from ``path``; None when no path is configured.

    :param path: the vendor library (``.so`` / ``.dll``) the operator configured.
    :param symbol: the exported function's name (vendors differ).
    :param flag: the third argument passed to it.
    :param ok_return: the value the function returns on success.
    :raises WltPluginError: the library cannot be loaded or lacks ``symbol``.
    """
    if not path:
        return None
    if not Path(path).is_file():
        raise WltPluginError(f"找不到照片解码库 / the photo decoder library {path} does not "
                             "exist; check the configured path or leave it empty to read "
                             "cards without photos")
    try:
        library = ctypes.CDLL(path)
    except OSError as exc:
        raise WltPluginError(f"无法加载照片解码库 / cannot load the photo decoder library "
                             f"{path} ({exc}); is it the reader vendor's library for this "
                             "system (32/64-bit, Linux/Windows)?") from exc
    try:
        function = getattr(library, symbol)
    except AttributeError as exc:
        raise WltPluginError(f"照片解码库中没有 {symbol} / the library {path} has no function "
                             f"{symbol!r}; set the symbol name from the vendor's header") from exc
    function.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
    function.restype = ctypes.c_int

    def decode(wlt: bytes) -> bytes:
        """The photo as a BMP file; :class:`WltPluginError` when decoding fails."""
        if len(wlt) != WLT_BYTES:
            raise WltPluginError(f"照片数据应为 {WLT_BYTES} 字节 / the WLT photo has "
                                 f"{len(wlt)} bytes, not {WLT_BYTES}")
        source = ctypes.create_string_buffer(bytes(wlt), WLT_BYTES)
        target = ctypes.create_string_buffer(_OUT_BUFFER)
        result = function(source, target, flag)
        if result != ok_return:
            raise WltPluginError(f"照片解码失败 / the photo decoder returned {result} "
                                 f"(success is {ok_return})")
        bmp = target.raw[: int.from_bytes(target.raw[2:6], "little")]
        check_bmp(bmp)
        return bmp

    return decode
