"""Following the page from frame to frame: what one frame cannot know.

A thumb over an edge, or a hand reaching across the page, can hide a side or pull the
outline off for a few frames (../shared/research/camera.md §2: every contour detector failed
with a finger across an edge). The camera is fixed and a page under a hand rarely moves, so
while a hand is in view the tracker keeps the last quad seen without one, and says so
(``held``) as long as the picture inside it, where skin does not cover it, is what it was: a
hand taking the page away ends the hold at once. Downstream, auto-capture never captures a
held quad. When the hand goes, the next clean detection takes over.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from drivers.uvc_camera import Frame

from . import geometry
from .detect import Detection, PageDetector, skin_mask


@dataclass(frozen=True)
class TrackerConfig:
    """When a quad is held."""

    hold_s: float = 5.0
    """Seconds the last clean quad is kept while a hand is in view (then: not found)."""
    agree: float = 0.01
    """How far (fraction of the frame height) a fresh quad under a hand may lie from the held
    one and still be believed: within it, the fresh quad is used."""
    same_page: float = 12.0
    """Mean grey-level difference (0–255), over the parts a hand does not cover, between the
    clean sighting and now inside the held quad, below which the page still lies there. A page
    taken away shows the desk (60 and more on a dark desk, about 30 on a light one where print
    leaves); sensor noise and a page's own shading stay under 5."""

    def __post_init__(self) -> None:
        if not 0 < self.hold_s <= 60:
            raise ValueError(f"hold_s is from 0 to 60 seconds, not {self.hold_s:g}")
        if not 0 < self.agree <= 0.2:
            raise ValueError(f"agree is a fraction of the frame height (0–0.2), not {self.agree:g}")
        if not 0 < self.same_page <= 255:
            raise ValueError(f"same_page is a grey-level difference (0–255), not "
                             f"{self.same_page:g}")


class PageTracker:
    """Runs a :class:`PageDetector` on a stream and holds the page while a hand covers it."""

    def __init__(self, detector: PageDetector | None = None,
                 config: TrackerConfig | None = None):
        self.detector = detector or PageDetector()
        self.config = config or TrackerConfig()
        self._clean: Detection | None = None
        self._clean_at = 0.0

    def reset(self) -> None:
        self._clean = None

    def update_frame(self, frame: Frame) -> Detection:
        """Detect on a camera frame (reduced-scale decode) and track."""
        return self.update(self.detector.detect_frame(frame), frame.timestamp)

    def update(self, detection: Detection, timestamp: float) -> Detection:
        """Track one frame's detection; ``timestamp`` in seconds (monotonic)."""
        if detection.found and not detection.hand:
            # a page with no hand on it: believe it, and remember it (a hand elsewhere in
            # view, holding another document or leaving, does not make it less clean)
            self._clean, self._clean_at = detection, timestamp
            return detection
        if not detection.hand_in_view and not detection.hand:
            self._clean = None  # the page went away with no hand in view: nothing to hold
            return detection
        clean = self._clean
        if clean is None or clean.corners is None or clean.size != detection.size \
                or timestamp - self._clean_at > self.config.hold_s:
            return detection
        limit = self.config.agree * detection.size[1]
        held = np.array(clean.corners)
        if any(geometry.max_corner_distance(np.array(q), held) <= limit
               for q in detection.quads):
            return detection  # the page is seen well enough under the hand
        if not _still_there(clean, detection, self.config.same_page):
            return detection  # the hand took the page away, or moved it
        return dataclasses.replace(detection, found=True, corners=clean.corners,
                                   quads=(clean.corners, *detection.quads), held=True,
                                   hand=True)

_THUMB = 32


def _still_there(clean: Detection, now: Detection, limit: float) -> bool:
    """The clean sighting's page still lies where it was: inside its quad, the picture is
    much as it was, wherever skin does not cover it."""
    if clean.small is None or now.small is None or clean.small.shape != now.small.shape \
            or clean.corners is None:
        return False
    h, w = now.small.shape[:2]
    scale = np.array([w / clean.size[0], h / clean.size[1]])
    quad = (np.array(clean.corners) * scale).astype(np.float32)
    square = np.array([(0, 0), (_THUMB, 0), (_THUMB, _THUMB), (0, _THUMB)], np.float32)
    warp = cv2.getPerspectiveTransform(quad, square)
    before = cv2.warpPerspective(clean.small, warp, (_THUMB, _THUMB), flags=cv2.INTER_AREA)
    after = cv2.warpPerspective(now.small, warp, (_THUMB, _THUMB), flags=cv2.INTER_AREA)
    visible = skin_mask(after) == 0
    if visible.mean() < 0.4:
        return True  # a hand covers most of it: nothing says it moved
    diff = cv2.absdiff(cv2.cvtColor(before, cv2.COLOR_BGR2GRAY),
                       cv2.cvtColor(after, cv2.COLOR_BGR2GRAY))
    return float(diff[visible].mean()) <= limit
