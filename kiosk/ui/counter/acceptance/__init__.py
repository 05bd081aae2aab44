"""The counter's acceptance page (一窗受理): who applies, what for, each material captured,
waived (免提交) or deferred (容缺), then the case submitted and its receipt printed.

``draft`` and ``receipt`` are Qt-free (tested without a screen); ``view`` and the widgets
beside it are the thin Qt layer over them.
"""
