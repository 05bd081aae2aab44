"""The synthetic document camera: its configuration, the ground truth against the pixels it
draws, every script's timeline, MJPEG output, pacing, and its faults (unplug, stall) within
the read timeout. One settled 1080p frame per script is saved under
tests/artifacts/camera/ to look at."""

from __future__ import annotations

import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.sim.synthetic_camera import (
    DOC_MM,
    SCRIPTS,
    DocTruth,
    SyntheticCamera,
    SyntheticCameraConfig,
)
from drivers.transports import TransportError, TransportTimeout
from drivers.uvc_camera import MJPG, Mode, jpeg_info

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "camera"
HD = Mode(1920, 1080, MJPG, 15.0)
EIGHT_MP = Mode(3264, 2448, MJPG, 15.0)


def camera(**options: object) -> SyntheticCamera:
    return SyntheticCamera(SyntheticCameraConfig(**{"realtime": False, "loop": False,
                                                    **options}))  # type: ignore[arg-type]


def timeline(cam: SyntheticCamera, mode: Mode = HD) -> list[list[DocTruth]]:
    return [cam.truth_at(i, mode) for i in range(cam.length + 5)]


def inside_frame(truth: DocTruth, mode: Mode = HD) -> bool:
    pts = truth.as_array()
    return bool((pts[:, 0] >= 0).all() and (pts[:, 0] < mode.width).all()
                and (pts[:, 1] >= 0).all() and (pts[:, 1] < mode.height).all())


def first_settled(cam: SyntheticCamera, kind: str, *, held: bool = False,
                  mode: Mode = HD) -> int:
    for i in range(cam.length):
        for t in cam.truth_at(i, mode):
            if t.kind == kind and t.settled and t.held == held and t.still_frames >= 3:
                return i
    raise AssertionError(f"{kind} never settles (held={held})")


# --------------------------------------------------------------------------- configuration


def test_url_options_configure_the_camera() -> None:
    config = SyntheticCameraConfig.from_url_options({
        "desk": "light", "script": "idcard", "fps": "15", "size": "1080p", "unplug_after": "50",
        "stall_after": "", "realtime": "false", "seed": "3", "qr_text": "hello",
        "replug_after_s": "2.5", "loop": "no", "noise": "0", "blur": "1.5",
        "settle_frames": "12"})
    assert config == SyntheticCameraConfig(
        desk="light", script="idcard", fps=15.0, size="1080p", unplug_after=50, stall_after=None,
        realtime=False, seed=3, qr_text="hello", replug_after_s=2.5, loop=False, noise=0.0,
        blur=1.5, settle_frames=12)
    assert SyntheticCameraConfig.from_url_options({}) == SyntheticCameraConfig()


@pytest.mark.parametrize("options, words", [
    ({"colour": "red"}, "unknown camera simulator options: colour"),
    ({"desk": "glass"}, "desk is one of dark, light, textured"),
    ({"script": "passport"}, "script is one of"),
    ({"size": "4k"}, "size is 1080p or 8mp"),
    ({"fps": "fast"}, "fps must be a number"),
    ({"fps": "0"}, "fps is from 1 to 60"),
    ({"realtime": "maybe"}, "realtime is true or false"),
    ({"unplug_after": "-1"}, "unplug_after is a number of frames"),
    ({"noise": "50"}, "noise is from 0 to 20"),
])
def test_bad_options_are_refused_plainly(options: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SyntheticCameraConfig.from_url_options(options)


def test_modes_like_a_real_camera() -> None:
    assert camera().modes() == [EIGHT_MP, HD]
    assert camera(size="1080p", fps=30.0).modes() == [Mode(1920, 1080, MJPG, 30.0)]
    cam = camera(size="1080p")
    with pytest.raises(TransportError, match="does not offer 3264x2448"):
        cam.open(EIGHT_MP)
    with pytest.raises(TransportError, match="not open"):
        cam.read(0.5)


# --------------------------------------------------------------------------- ground truth


def _edge_samples(truth: DocTruth, offset: float) -> list[tuple[int, int]]:
    """Points along each edge (away from the rounded corners), ``offset`` pixels outwards
    (negative: inwards)."""
    pts = truth.as_array().astype(np.float64)
    centre = pts.mean(axis=0)
    out = []
    for i in range(4):
        a, b = pts[i], pts[(i + 1) % 4]
        d = (b - a) / np.linalg.norm(b - a)
        n = np.array([d[1], -d[0]])
        if np.dot(n, (a + b) / 2 - centre) < 0:
            n = -n
        for t in np.linspace(0.2, 0.8, 7):
            p = a + (b - a) * t + n * offset
            out.append((round(p[0]), round(p[1])))
    return out


@pytest.mark.parametrize("script, kind, mode", [
    ("qr", "qr_page", HD), ("idcard", "id_card_front", HD), ("idcard", "id_card_back", HD),
    ("booklet", "booklet", HD), ("a4", "a4_form", HD), ("idcard", "id_card_front", EIGHT_MP),
])
def test_truth_corners_are_where_the_document_is_drawn(script: str, kind: str,
                                                       mode: Mode) -> None:
    cam = camera(script=script, desk="dark", noise=0.0, blur=0.0)
    index = first_settled(cam, kind, mode=mode)
    image, truths = cam.render(index, mode)
    (truth,) = [t for t in truths if t.kind == kind]
    assert inside_frame(truth, mode)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    margin = 4 * mode.height / 1080
    inside = [int(grey[y, x]) for x, y in _edge_samples(truth, -margin)]
    outside = [int(grey[y, x]) for x, y in _edge_samples(truth, margin)]
    assert min(inside) > 140, inside  # paper (the booklet's spine is the darkest: ~160)
    assert max(outside) < 90, outside  # the dark desk


def test_a_shifted_quad_would_fail_the_pixel_check() -> None:
    """The check above can fail: the same samples around a quad moved by 10 px do."""
    cam = camera(script="qr", desk="dark", noise=0.0, blur=0.0)
    image, (truth,) = cam.render(first_settled(cam, "qr_page"), HD)
    moved = DocTruth(truth.kind, tuple((x + 10, y) for x, y in truth.corners),  # type: ignore[arg-type]
                     truth.settled, truth.held)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    outside = [int(grey[y, x]) for x, y in _edge_samples(moved, 4)]
    assert max(outside) > 140


def test_truth_sizes_match_the_real_documents() -> None:
    cam = camera(script="mixed")
    index = first_settled(cam, "qr_page", mode=EIGHT_MP)
    truths = {t.kind: t for t in cam.truth_at(index, EIGHT_MP)}
    for kind, truth in truths.items():
        pts = truth.as_array()
        width_px = np.linalg.norm(pts[1] - pts[0])
        height_px = np.linalg.norm(pts[3] - pts[0])
        w_mm, h_mm = DOC_MM[kind]
        # 3264 px across 440 mm (far edge) to 420 mm (near edge): 7.4 to 7.8 px/mm
        assert 7.4 < width_px / w_mm < 7.8
        assert 7.4 < height_px / h_mm < 7.8


def test_frame_ordered_corners_start_top_left_clockwise() -> None:
    upside_down = DocTruth("id_card_back", ((300, 200), (100, 200), (100, 100), (300, 100)),
                           True, False)
    assert upside_down.frame_ordered() == ((100, 100), (300, 100), (300, 200), (100, 200))


# --------------------------------------------------------------------------- frames


def test_frames_are_mjpeg_of_the_mode_and_reduce_by_half() -> None:
    cam = camera(script="mixed")
    cam.open(HD)
    frame = cam.read(1.0)
    info = jpeg_info(frame.jpeg or b"")
    assert (info.width, info.height) == (1920, 1080) and info.complete
    assert frame.image().shape == (1080, 1920, 3)
    assert frame.reduced(2).shape == (540, 960, 3)
    assert frame.mode == HD and frame.index == 0
    assert cam.read(1.0).index == 1
    cam.open(EIGHT_MP)  # switching modes keeps the scene's clock
    big = cam.read(1.0)
    assert big.index == 2 and big.size == (3264, 2448)
    assert 300_000 < len(big.jpeg or b"") < 2_000_000


def test_frame_truth_is_the_truth_of_that_frame() -> None:
    cam = camera(script="mixed")
    cam.open(HD)
    cam.seek(first_settled(cam, "qr_page"))
    frame = cam.read(1.0)
    assert frame.truth == cam.truth_at(frame.index, HD)
    assert [t.kind for t in frame.truth] == ["id_card_front", "id_card_back", "qr_page"]


def test_the_same_seed_gives_the_same_frames() -> None:
    a, b, c = camera(seed=4), camera(seed=4), camera(seed=5)
    for cam in (a, b, c):
        cam.open(HD)
        cam.seek(70)
    first = a.read(1.0)
    assert first.jpeg == b.read(1.0).jpeg
    assert first.jpeg != c.read(1.0).jpeg


def test_the_qr_code_encodes_the_configured_text() -> None:
    cam = camera(script="qr", qr_text="https://example.gov.cn/q/TEST-42", noise=0.0)
    image, (truth,) = cam.render(first_settled(cam, "qr_page"), HD)
    # flatten the page, as the imaging step will, then decode
    page = cv2.warpPerspective(image, cv2.getPerspectiveTransform(
        truth.as_array(), np.array([(0, 0), (740, 0), (740, 1050), (0, 1050)], np.float32)),
        (740, 1050))
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(page)
    assert text == "https://example.gov.cn/q/TEST-42"


# --------------------------------------------------------------------------- scripts


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s not in ("empty", "mixed")])
def test_each_script_arrives_settles_and_leaves(script: str) -> None:
    cam = camera(script=script, settle_frames=12)
    frames = timeline(cam)
    kinds = {t.kind for truths in frames for t in truths}
    for kind in kinds:
        life = [next((t for t in truths if t.kind == kind), None) for truths in frames]
        present = [i for i, t in enumerate(life) if t is not None]
        first, last = present[0], present[-1]
        assert present == list(range(first, last + 1)), "a document vanished and came back"
        arrival, leaving = life[first], life[last]
        assert arrival is not None and leaving is not None
        # it slides in over the frame's edge, held, and goes out the same way
        assert not inside_frame(arrival) and arrival.held and not arrival.settled
        assert not inside_frame(leaving) and not leaving.settled
        truths = [t for t in life if t is not None]
        assert any(not t.settled for t in truths[1:10]), "it should move on the way in"
        longest = max(t.still_frames for t in truths if not t.held)
        assert longest >= 12, f"{kind} never lies still, unheld, for settle_frames"
        assert all(t.still_frames == 0 for t in truths if not t.settled)
        assert all(frames[i] == [] or kind not in {t.kind for t in frames[i]}
                   for i in range(last + 1, len(frames)))


@pytest.mark.parametrize("script, kind", [("idcard", "id_card_back"), ("a4", "a4_form"),
                                          ("booklet", "booklet")])
def test_some_documents_are_held_still_by_a_hand(script: str, kind: str) -> None:
    cam = camera(script=script, settle_frames=12)
    held_still = [t for truths in timeline(cam) for t in truths
                  if t.kind == kind and t.held and t.settled]
    assert len(held_still) >= 5


def test_a_hand_is_drawn_over_the_edge_of_a_held_document() -> None:
    cam = camera(script="booklet", desk="dark", noise=0.0, blur=0.0)
    index = first_settled(cam, "booklet", held=True)
    image, (truth,) = cam.render(index, HD)
    quiet, _ = camera(script="empty", desk="dark", noise=0.0, blur=0.0).render(0, HD)
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    skin = cv2.inRange(hsv, (5, 60, 120), (25, 160, 255))
    mask = np.zeros(skin.shape, np.uint8)
    cv2.fillConvexPoly(mask, truth.as_array().astype(np.int32), 255)
    over_document = cv2.countNonZero(cv2.bitwise_and(skin, mask))
    assert over_document > 500  # the thumb lies on the page
    assert cv2.countNonZero(skin) > 5 * over_document  # the hand and arm are beside it
    assert cv2.countNonZero(cv2.inRange(cv2.cvtColor(quiet, cv2.COLOR_BGR2HSV),
                                        (5, 60, 120), (25, 160, 255))) == 0


def test_mixed_has_three_documents_settled_together_one_centred() -> None:
    cam = camera(script="mixed", settle_frames=10)
    together = [truths for truths in timeline(cam)
                if len(truths) == 3 and all(t.settled and not t.held for t in truths)]
    assert len(together) >= 10
    centres = {t.kind: t.as_array().mean(axis=0) for t in together[0]}
    assert np.linalg.norm(centres["qr_page"] - (960, 540)) < 60
    assert all(inside_frame(t) for t in together[0])


def test_the_empty_desk_has_no_documents_and_looping_repeats() -> None:
    empty = camera(script="empty")
    assert all(truths == [] for truths in timeline(empty))
    looping = camera(script="qr", loop=True)
    assert looping.truth_at(40) == looping.truth_at(40 + looping.length)
    assert camera(script="qr").truth_at(40 + looping.length) == []


def middle_of(frames: list[int]) -> int:
    """The middle frame of the longest run of consecutive frame numbers."""
    runs: list[list[int]] = []
    for i in frames:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    longest = max(runs, key=len)
    return longest[len(longest) // 2]


def test_save_one_frame_of_each_script() -> None:
    """For a person to look at (tests/artifacts/camera/*.jpg, ignored by git): per script,
    the middle of the longest time the most documents lie still without a hand, and for the
    A4 form and the booklet also a frame where a hand holds them still."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    desks = {"idcard": "dark", "a4": "light", "booklet": "textured", "qr": "dark",
             "mixed": "textured", "empty": "light"}
    for script, desk in desks.items():
        cam = camera(script=script, desk=desk)
        cam.open(HD)
        frames = timeline(cam)
        most = max(len(truths) for truths in frames)
        quiet = [i for i, truths in enumerate(frames) if len(truths) == most
                 and all(t.settled and not t.held for t in truths)]
        cam.seek(middle_of(quiet))
        frame = cam.read(1.0)
        assert all(t.settled and not t.held for t in frame.truth)
        path = ARTIFACTS / f"{script}_{desk}_1080p.jpg"
        path.write_bytes(frame.jpeg or b"")
        assert cv2.imread(str(path)).shape == (1080, 1920, 3)
        if script in ("a4", "booklet"):
            held = [i for i, truths in enumerate(frames)
                    if truths and all(t.settled and t.held for t in truths)]
            cam.seek(middle_of(held))
            frame = cam.read(1.0)
            assert frame.truth and frame.truth[0].held
            (ARTIFACTS / f"{script}_{desk}_held_1080p.jpg").write_bytes(frame.jpeg or b"")


# --------------------------------------------------------------------------- pacing and faults


def test_realtime_pacing_and_a_slow_reader_skipping_frames() -> None:
    cam = camera(realtime=True, fps=20.0)
    cam.open(Mode(1920, 1080, MJPG, 20.0))
    started = time.monotonic()
    indices = [cam.read(1.0).index for _ in range(5)]
    assert time.monotonic() - started >= 0.18  # 4 frame periods at 20 fps
    assert indices == [0, 1, 2, 3, 4]
    time.sleep(0.3)  # the reader dawdles; the camera does not wait for it
    assert cam.read(1.0).index >= 9


def test_unplug_after_fails_reads_and_opens_within_the_timeout() -> None:
    cam = camera(unplug_after=3, replug_after_s=0.3)
    cam.open(HD)
    for _ in range(3):
        cam.read(1.0)
    started = time.monotonic()
    with pytest.raises(TransportError, match="unplugged") as caught:
        cam.read(2.0)
    assert not isinstance(caught.value, TransportTimeout)
    assert time.monotonic() - started < 0.5
    with pytest.raises(TransportError, match="unplugged"):
        cam.open(HD)
    time.sleep(0.35)  # replug_after_s
    cam.open(HD)
    assert cam.read(1.0).index == 3


def test_stall_after_times_out_without_hanging_and_reopening_helps() -> None:
    cam = camera(stall_after=2)
    cam.open(HD)
    cam.read(1.0)
    cam.read(1.0)
    started = time.monotonic()
    with pytest.raises(TransportTimeout, match=re.escape("no picture within 0.4 s")):
        cam.read(0.4)
    assert 0.4 <= time.monotonic() - started < 0.9
    cam.open(HD)
    assert cam.read(1.0).index == 2


def test_runtime_unplug_and_replug() -> None:
    cam = camera()
    cam.open(HD)
    cam.read(1.0)
    cam.unplug()
    assert cam.unplugged
    with pytest.raises(TransportError):
        cam.read(1.0)
    cam.replug()
    cam.open(HD)
    assert cam.read(1.0).index == 1
