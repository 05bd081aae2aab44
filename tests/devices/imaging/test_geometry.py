"""Quads in image pixels (devices/imaging/geometry.py): corner order, sizes, angles and the
checks a page outline must pass, as properties over random rectangles seen at an angle and
with some perspective."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from devices.imaging import geometry


def rectangle(cx: float, cy: float, w: float, h: float, angle: float) -> np.ndarray:
    """TL, TR, BR, BL of a w×h rectangle turned clockwise (on the image) by ``angle`` degrees
    about (cx, cy); y grows downwards."""
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    box = np.array([(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)])
    return box @ rot.T + (cx, cy)


def signed_area(quad: np.ndarray) -> float:
    """Shoelace with sign: positive when the corners run clockwise on the image (y down)."""
    x, y = np.asarray(quad, np.float64).T
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2


sides = st.floats(20, 2000)
angles = st.floats(-180, 180)
centres = st.floats(-500, 3500)


@st.composite
def pages(draw: st.DrawFn) -> np.ndarray:
    """A page as a camera sees it: a rectangle (aspect up to 5:1), turned, with each corner
    moved by up to 8 % of the short side (perspective, a dog-ear)."""
    w = draw(sides)
    h = draw(st.floats(max(20.0, w / 5), min(2000.0, w * 5)))
    quad = rectangle(draw(centres), draw(centres), w, h, draw(angles))
    jitter = draw(st.lists(st.floats(-0.08, 0.08), min_size=8, max_size=8))
    return quad + np.array(jitter).reshape(4, 2) * min(w, h)


@settings(max_examples=300)
@given(pages(), st.permutations(range(4)))
def test_order_corners_is_clockwise_from_the_top_left_whatever_the_input_order(
        quad: np.ndarray, order: list[int]) -> None:
    ordered = geometry.order_corners(quad[order])
    assert ordered.shape == (4, 2)
    # the same four points, clockwise on the image, starting nearest the image's top-left
    assert sorted(map(tuple, ordered)) == sorted(map(tuple, quad))
    assert signed_area(ordered) > 0
    sums = ordered.sum(axis=1)
    assert sums[0] == pytest.approx(sums.min())
    # and the input's order does not matter
    np.testing.assert_array_equal(ordered, geometry.order_corners(quad))


def test_order_corners_of_an_upright_rectangle_is_tl_tr_br_bl() -> None:
    tl, tr, br, bl = (10.0, 20.0), (110.0, 20.0), (110.0, 70.0), (10.0, 70.0)
    np.testing.assert_array_equal(geometry.order_corners([br, tl, bl, tr]),
                                  np.array([tl, tr, br, bl]))


@settings(max_examples=200)
@given(sides, sides, angles, centres, centres)
def test_measures_of_a_turned_rectangle(w: float, h: float, angle: float, cx: float,
                                        cy: float) -> None:
    quad = geometry.order_corners(rectangle(cx, cy, w, h, angle))
    assert geometry.area(quad) == pytest.approx(w * h, rel=1e-9)
    assert sorted(geometry.side_lengths(quad)) == pytest.approx(sorted([w, w, h, h]), rel=1e-9)
    assert geometry.aspect_ratio(quad) == pytest.approx(max(w, h) / min(w, h), rel=1e-9)
    np.testing.assert_allclose(geometry.interior_angles(quad), 90.0, atol=1e-6)
    assert geometry.is_convex(quad)
    assert geometry.contains(quad, (cx, cy))
    far = (cx + w + h, cy)  # further from the centre than any corner
    assert not geometry.contains(quad, far)


@settings(max_examples=200)
@given(pages())
def test_interior_angles_of_a_convex_quad_sum_to_360(quad: np.ndarray) -> None:
    assume(geometry.is_convex(quad))
    assert float(geometry.interior_angles(quad).sum()) == pytest.approx(360.0, abs=1e-6)


def test_a_bow_tie_is_not_convex_and_a_dent_is_not_either() -> None:
    square = np.array([(0, 0), (10, 0), (10, 10), (0, 10)], np.float64)
    assert geometry.is_convex(square)
    assert geometry.is_convex(square[::-1])  # counter-clockwise is still convex
    assert not geometry.is_convex(square[[0, 2, 1, 3]])  # the corners crossed over
    dented = square.copy()
    dented[2] = (4, 4)  # the corner pushed in past the diagonal
    assert not geometry.is_convex(dented)


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(0, 179), st.floats(1, 179))
def test_line_intersection_finds_the_common_point(x: float, y: float, a1: float,
                                                  delta: float) -> None:
    point = np.array([x, y])
    d1 = np.array([math.cos(math.radians(a1)), math.sin(math.radians(a1))])
    a2 = math.radians(a1 + delta)
    d2 = np.array([math.cos(a2), math.sin(a2)])
    # each line given by another point on it than the common one
    meet = geometry.line_intersection(point + 37.0 * d1, d1, point - 11.0 * d2, d2)
    assert meet is not None
    np.testing.assert_allclose(meet, point, atol=1e-6)


def test_parallel_lines_do_not_meet() -> None:
    assert geometry.line_intersection(np.array([0.0, 0.0]), np.array([1.0, 0.0]),
                                      np.array([0.0, 5.0]), np.array([-2.0, 0.0])) is None


def test_as_corners_is_plain_floats_to_a_tenth_of_a_pixel() -> None:
    corners = geometry.as_corners(np.array([(1.04, 2.06), (3.0, 4.0), (5.55, 6.0),
                                            (np.float32(7.25), 8.0)]))
    assert corners == ((1.0, 2.1), (3.0, 4.0), (5.5, 6.0), (7.2, 8.0))
    assert all(type(v) is float for point in corners for v in point)


def test_max_corner_distance_pairs_corners_in_order() -> None:
    a = np.array([(0, 0), (10, 0), (10, 10), (0, 10)], np.float64)
    b = a + np.array([(0, 0), (3, 4), (0, 0), (0, -1)])
    assert geometry.max_corner_distance(a, b) == pytest.approx(5.0)
    # the same corners in another order are far apart: order matters
    assert geometry.max_corner_distance(a, np.roll(a, 1, axis=0)) == pytest.approx(10.0)


def test_aspect_ratio_of_a_degenerate_quad_is_infinite() -> None:
    flat = np.array([(0, 0), (10, 0), (10, 0), (0, 0)], np.float64)
    assert geometry.aspect_ratio(flat) == math.inf
