"""Quadrilaterals in image pixels: corner order, size and the checks a page outline must pass.

Every quad in :mod:`devices.imaging` is a ``(4, 2)`` float array of corners in the order
top-left, top-right, bottom-right, bottom-left *as seen in the image* (clockwise, starting
with the corner nearest the image's top-left), in pixels of the full-size frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Point = tuple[float, float]
Corners = tuple[Point, Point, Point, Point]


def order_corners(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """The four points clockwise in the image, the one nearest the top-left first."""
    pts = np.asarray(points, np.float64).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    ordered = pts[np.argsort(angles)]  # y grows downwards: ascending angle is clockwise
    start = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -start, axis=0)


def as_corners(quad: np.ndarray) -> Corners:
    """A quad as plain tuples of floats (JSON-ready), rounded to 0.1 px."""
    return tuple((round(float(x), 1), round(float(y), 1)) for x, y in quad)  # type: ignore[return-value]


def side_lengths(quad: np.ndarray) -> np.ndarray:
    """Lengths of the sides top, right, bottom, left."""
    q = np.asarray(quad, np.float64)
    return np.hypot(*(np.roll(q, -1, axis=0) - q).T)


def area(quad: np.ndarray) -> float:
    """Area of a simple quad (shoelace), in square pixels."""
    x, y = np.asarray(quad, np.float64).T
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def interior_angles(quad: np.ndarray) -> np.ndarray:
    """Interior angles in degrees at each corner."""
    q = np.asarray(quad, np.float64)
    prev, nxt = np.roll(q, 1, axis=0) - q, np.roll(q, -1, axis=0) - q
    cos = (prev * nxt).sum(axis=1) / (np.hypot(*prev.T) * np.hypot(*nxt.T) + 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def is_convex(quad: np.ndarray) -> bool:
    q = np.asarray(quad, np.float64)
    d1 = np.roll(q, -1, axis=0) - q
    d2 = np.roll(q, -2, axis=0) - np.roll(q, -1, axis=0)
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    return bool(np.all(cross > 0) or np.all(cross < 0))


def max_corner_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The largest distance between corresponding corners of two quads, in pixels."""
    return float(np.max(np.hypot(*(np.asarray(a, np.float64) - np.asarray(b, np.float64)).T)))


def line_intersection(p1: np.ndarray, d1: np.ndarray, p2: np.ndarray,
                      d2: np.ndarray) -> np.ndarray | None:
    """Where the lines ``p1 + t·d1`` and ``p2 + s·d2`` meet; None when (nearly) parallel."""
    cross = d1[0] * d2[1] - d1[1] * d2[0]
    if abs(cross) < 1e-6:
        return None
    t = ((p2[0] - p1[0]) * d2[1] - (p2[1] - p1[1]) * d2[0]) / cross
    return p1 + t * d1


def contains(quad: np.ndarray, point: Sequence[float]) -> bool:
    """The point lies inside the convex quad."""
    q = np.asarray(quad, np.float64)
    px, py = float(point[0]), float(point[1])
    signs = []
    for i in range(4):
        ax, ay = q[i]
        bx, by = q[(i + 1) % 4]
        signs.append((bx - ax) * (py - ay) - (by - ay) * (px - ax))
    return all(s >= 0 for s in signs) or all(s <= 0 for s in signs)


def aspect_ratio(quad: np.ndarray) -> float:
    """Long side over short side of the rectangle the quad shows, from the means of opposite
    sides (the camera looks nearly straight down, so perspective shortens little)."""
    top, right, bottom, left = side_lengths(quad)
    horizontal, vertical = (top + bottom) / 2, (left + right) / 2
    short = min(horizontal, vertical)
    return math.inf if short <= 0 else max(horizontal, vertical) / short
