"""Translations of the Qt screens: ``bianmin_<locale>.ts`` (sources, edited with Qt
Linguist or by hand) and the compiled ``bianmin_<locale>.qm`` the screens load. Both are
committed; ``python -m kiosk.translations.update`` refreshes them (docs/display.md)."""
