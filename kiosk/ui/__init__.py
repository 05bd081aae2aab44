"""Qt screens (PySide6 only here). Filled in by the counter and kiosk issues."""
