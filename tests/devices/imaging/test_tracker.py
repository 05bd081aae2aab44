"""The page tracker (devices/imaging/tracker.py): the last clean quad held while a hand covers
the page, on hand-made detections and on the labelled camera suite's frames."""

from __future__ import annotations

import dataclasses
import functools

import cv2
import numpy as np
import pytest

from devices.imaging import geometry
from devices.imaging.detect import Detection, PageDetector
from devices.imaging.tracker import PageTracker, TrackerConfig
from drivers.sim.camera_suite import CaseScene, SuiteCase, SuiteFrame, jpeg
from drivers.uvc_camera import Frame

SIZE = (1920, 1080)
SMALL = (480, 270)
PAGE = ((700.0, 300.0), (1250.0, 320.0), (1240.0, 700.0), (690.0, 680.0))
OTHER = ((100.0, 100.0), (400.0, 100.0), (400.0, 300.0), (100.0, 300.0))
SKIN = (128, 160, 210)  # BGR, the simulator's back of the hand


def moved(corners: tuple, dx: float, dy: float = 0.0) -> tuple:
    return tuple((x + dx, y + dy) for x, y in corners)


def shifted(hand: tuple[float, float, float], dx: float,
            dy: float = 0.0) -> tuple[float, float, float]:
    x, y, r = hand
    return x + dx, y + dy, r


def preview(page: tuple | None = PAGE, *, hand: tuple[float, float, float] | None = None
            ) -> np.ndarray:
    """The reduced picture (480×270 BGR) a detection carries: a dark desk, a printed page at
    ``page`` (full-frame pixels), and a hand: a skin disc at (x, y) with radius r, full-frame
    pixels."""
    small = np.full((SMALL[1], SMALL[0], 3), 50, np.uint8)
    scale = np.array([SMALL[0] / SIZE[0], SMALL[1] / SIZE[1]])
    if page is not None:
        quad = np.array(page) * scale
        cv2.fillPoly(small, [np.round(quad).astype(np.int32)], (225, 228, 230))
        top, bottom = quad[:, 1].min() + 8, quad[:, 1].max() - 8
        for y in np.arange(top, bottom, 9):  # lines of print
            x0, x1 = quad[:, 0].min() + 12, quad[:, 0].max() - 12
            cv2.line(small, (int(x0), int(y)), (int(x1 - (y % 40)), int(y)), (40, 40, 40), 2)
    if hand is not None:
        x, y, r = hand
        cv2.circle(small, (int(x * scale[0]), int(y * scale[1])), int(r * scale[0]), SKIN, -1)
    return small


THUMB = (950.0, 700.0, 60.0)  # over the page's bottom edge
PALM = (970.0, 500.0, 330.0)  # over most of the page
ASIDE = (1700.0, 900.0, 120.0)  # in view, away from the page


def seen(corners: tuple | None = PAGE, *, hand: bool = False, in_view: bool | None = None,
         others: tuple = (), size: tuple[int, int] = SIZE,
         small: np.ndarray | None = None) -> Detection:
    """A detection of one frame: the page at ``corners`` (None: not found), a hand on it, skin
    in view (default: when there is a hand), and the picture it ran on (default: the page
    where it was first seen, with a thumb on it when there is a hand)."""
    in_view = hand if in_view is None else in_view
    if small is None:
        small = preview(hand=THUMB if hand else None)
    if corners is None:
        return Detection(bool(others), others[0] if others else None, others,
                         hand_in_view=in_view, size=size, small=small)
    return Detection(True, corners, (corners, *others), hand=hand, hand_in_view=in_view,
                     size=size, small=small)


def covered() -> Detection:
    """The page under a palm: not found, a hand in view."""
    return seen(None, in_view=True, small=preview(hand=PALM))


def test_config_is_checked() -> None:
    for kwargs in ({"hold_s": 0}, {"hold_s": 61}, {"agree": 0}, {"agree": 0.3}):
        with pytest.raises(ValueError):
            TrackerConfig(**kwargs)


def test_clean_detections_pass_through() -> None:
    tracker = PageTracker()
    first = seen()
    assert tracker.update(first, 0.0) is first
    empty = seen(None, small=preview(None))
    assert tracker.update(empty, 0.1) is empty


def test_a_hand_over_the_page_holds_the_last_clean_quad() -> None:
    tracker = PageTracker()
    tracker.update(seen(), 0.0)
    out = tracker.update(covered(), 0.5)
    assert out.found and out.held and out.hand
    assert out.corners == PAGE and out.quads == (PAGE,)
    # the thumb drags the outline off by 3 % of the height: the held quad is kept
    out = tracker.update(seen(moved(PAGE, 0, 0.03 * SIZE[1]), hand=True, others=(OTHER,)), 1.0)
    assert out.held and out.corners == PAGE
    assert out.quads[0] == PAGE and OTHER in out.quads  # the held one first, others kept


def test_a_fresh_quad_under_the_hand_is_used_when_it_agrees() -> None:
    tracker = PageTracker()
    tracker.update(seen(), 0.0)
    near = moved(PAGE, 0.006 * SIZE[1], -0.006 * SIZE[1])  # 0.85 % of the height away
    fresh = seen(near, hand=True)
    out = tracker.update(fresh, 0.2)
    assert out is fresh and not out.held and out.corners == near
    # just beyond agree (1 % of the height): the held quad instead
    far = moved(PAGE, 0.0105 * SIZE[1])
    out = tracker.update(seen(far, hand=True), 0.4)
    assert out.held and out.corners == PAGE


def test_agree_is_a_setting() -> None:
    tracker = PageTracker(config=TrackerConfig(agree=0.05))
    tracker.update(seen(), 0.0)
    out = tracker.update(seen(moved(PAGE, 0.03 * SIZE[1]), hand=True), 0.2)
    assert not out.held


def test_a_hand_elsewhere_in_view_does_not_stop_a_clean_sighting() -> None:
    tracker = PageTracker()
    there = moved(PAGE, 40)
    aside = seen(there, in_view=True, small=preview(there, hand=ASIDE))
    assert tracker.update(aside, 0.0) is aside
    out = tracker.update(seen(None, in_view=True, small=preview(there, hand=PALM)), 0.3)
    assert out.held and out.corners == there


def test_nothing_is_held_without_a_clean_sighting_first() -> None:
    tracker = PageTracker()
    hidden = covered()
    assert tracker.update(hidden, 0.0) is hidden
    assert not hidden.found
    brought = seen(PAGE, hand=True)  # brought in by hand: never seen without it
    assert tracker.update(brought, 0.3) is brought
    assert not tracker.update(covered(), 0.6).found


@pytest.mark.parametrize("hold_s", [5.0, 1.5])
def test_the_hold_expires_after_hold_s(hold_s: float) -> None:
    tracker = PageTracker(config=TrackerConfig(hold_s=hold_s))
    tracker.update(seen(), 10.0)
    assert tracker.update(covered(), 10.0 + hold_s - 0.05).held
    late = tracker.update(covered(), 10.0 + hold_s + 0.05)
    assert not late.found and not late.held


def test_agreeing_fresh_quads_do_not_extend_the_hold() -> None:
    """The hold counts from the last sighting without a hand."""
    tracker = PageTracker(config=TrackerConfig(hold_s=1.0))
    tracker.update(seen(), 0.0)
    for t in (0.3, 0.6, 0.9):
        assert not tracker.update(seen(moved(PAGE, 2), hand=True), t).held
    assert not tracker.update(covered(), 1.2).found


def test_a_page_taken_away_without_a_hand_is_not_held() -> None:
    tracker = PageTracker()
    tracker.update(seen(), 0.0)
    assert not tracker.update(seen(None, small=preview(None)), 0.1).found  # gone, no hand
    out = tracker.update(covered(), 0.2)  # then a hand comes
    assert not out.found and not out.held


def test_a_page_taken_away_by_the_hand_is_not_held() -> None:
    """The desk shows where the page lay (the hand covers only a little of it): the page is
    gone, whatever the hand does."""
    tracker = PageTracker()
    tracker.update(seen(), 0.0)
    out = tracker.update(seen(None, in_view=True, small=preview(None, hand=THUMB)), 0.3)
    assert not out.found and not out.held
    # or carried a little way off, under the hand: its new place is believed
    tracker.update(seen(), 1.0)
    away = moved(PAGE, 300, 60)
    carried = seen(away, hand=True, small=preview(away, hand=shifted(THUMB, 300, 60)))
    out = tracker.update(carried, 1.3)
    assert out is carried and not out.held


def test_reset_forgets_the_clean_quad() -> None:
    tracker = PageTracker()
    tracker.update(seen(), 0.0)
    tracker.reset()
    assert not tracker.update(covered(), 0.1).found


def test_a_frame_of_another_size_is_not_given_the_held_quad() -> None:
    """A quad in 1080p pixels means nothing on an 8 MP photo."""
    tracker = PageTracker()
    tracker.update(seen(), 0.0)
    out = tracker.update(seen(None, in_view=True, size=(3264, 2448), small=preview(hand=PALM)),
                         0.1)
    assert not out.found and not out.held


def test_a_clean_sighting_replaces_the_held_quad() -> None:
    tracker = PageTracker()
    tracker.update(seen(), 0.0)
    assert tracker.update(covered(), 0.2).held
    there = moved(PAGE, 200)  # the page laid elsewhere, the hand gone
    tracker.update(seen(there, small=preview(there)), 0.4)
    out = tracker.update(seen(None, in_view=True, small=preview(there, hand=shifted(PALM, 200))),
                         0.6)
    assert out.held and out.corners == there


# --------------------------------------------------------------------------- real frames


@functools.cache
def idcard_dark() -> CaseScene:
    return CaseScene(SuiteCase("dark", "idcard", "plain", 1))


@functools.cache
def shot(index: int) -> SuiteFrame:
    return idcard_dark().frame(index)


def mjpeg(index: int, fps: float = 15.0) -> Frame:
    picture = shot(index)
    return Frame(index, index / fps, jpeg=jpeg(picture.image), truth=picture.truths)


def tracker_for() -> PageTracker:
    detector = PageDetector()
    detector.set_reference(idcard_dark().reference)
    return PageTracker(detector)


def corner_error(corners: object, index: int) -> float:
    truth = shot(index).truths[0]
    return geometry.max_corner_distance(np.asarray(corners, np.float64),
                                        np.array(truth.frame_ordered())) / 1080


def hand_over(index: int) -> Frame:
    """Frame ``index`` with a hand (a skin-coloured palm and an arm from the left edge of the
    view) laid across the card's left half: what stays visible is no longer the card's
    shape."""
    picture = shot(index)
    image = picture.image.copy()
    quad = np.array(picture.truths[0].frame_ordered())
    left = (quad[0] + quad[3]) / 2
    palm = ((left + quad.mean(axis=0)) / 2).astype(int)
    cv2.ellipse(image, (int(palm[0]), int(palm[1])), (160, 210), 15, 0, 360, SKIN, -1)
    cv2.rectangle(image, (0, int(palm[1]) - 90), (int(palm[0]), int(palm[1]) + 90), SKIN, -1)
    return Frame(index, index / 15.0, jpeg=jpeg(image))


def test_real_frames_a_covering_hand_holds_the_clean_quad() -> None:
    tracker = tracker_for()
    clean = tracker.update_frame(mjpeg(40))
    assert clean.found and not clean.hand and not clean.held
    assert corner_error(clean.corners, 40) <= 0.01
    hidden = hand_over(41)
    raw = tracker.detector.detect_frame(hidden)
    assert raw.hand_in_view
    assert not raw.found or corner_error(raw.corners, 41) > 0.01  # the detector alone fails
    out = tracker.update_frame(hidden)
    assert out.found and out.held and out.hand
    assert out.corners == clean.corners
    assert corner_error(out.corners, 41) <= 0.01  # the card did not move under the hand


def test_real_frames_the_hand_taking_the_card_away() -> None:
    """The front card seen clean (frame 40); the hand comes back, thumb over the edge (59),
    and carries the card off (60–64, still all in view): the tracker follows the card or lets
    go, it never shows the card where it no longer is."""
    tracker = tracker_for()
    tracker.update_frame(mjpeg(40))
    assert shot(59).truths[0].held and shot(59).truths[0].settled
    out = tracker.update_frame(mjpeg(59))
    assert out.found and out.hand and not out.held  # the thumb: the fresh quad agrees
    assert corner_error(out.corners, 59) <= 0.01
    followed = 0
    for index in range(60, 65):
        out = tracker.update_frame(mjpeg(index))
        assert shot(index).truths[0].held and shot(index).in_view()
        if out.found:
            assert corner_error(out.corners, index) <= 0.01, index
            followed += 1
    assert followed >= 3


def test_real_frames_the_page_taken_away_is_not_held() -> None:
    """Front card seen clean (40), then the desk empty (75), then the hand bringing the back
    card in (88, the card not all in view): nothing may be held."""
    tracker = tracker_for()
    assert tracker.update_frame(mjpeg(40)).found
    assert not tracker.update_frame(mjpeg(75)).found
    arriving = mjpeg(88)
    assert arriving.truth and arriving.truth[0].held
    out = tracker.update_frame(arriving)
    assert not out.held and not out.found


def test_update_frame_uses_the_frame_timestamp() -> None:
    tracker = PageTracker(tracker_for().detector, TrackerConfig(hold_s=1.0))
    tracker.update_frame(mjpeg(40))  # t = 40 / 15 s
    hidden = hand_over(41)
    late = dataclasses.replace(hidden, timestamp=40 / 15 + 1.2)
    assert not tracker.update_frame(late).held
    tracker.update_frame(mjpeg(40))
    assert tracker.update_frame(dataclasses.replace(hidden, timestamp=40 / 15 + 0.8)).held
