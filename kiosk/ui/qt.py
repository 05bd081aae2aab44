"""The one place the Qt binding is imported (Anki's ``aqt.qt`` shim, without the star
import: research/aesthetics.md, house style). Screens write ``from kiosk.ui.qt import
QtCore``, so a change of binding or version is one file."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["QtCore", "QtGui", "QtWidgets"]
