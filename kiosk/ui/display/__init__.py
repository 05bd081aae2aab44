"""The hall display (issue 6): ``model`` and ``controller`` are plain Python, ``window`` and
``app`` are the Qt layer over them. Nothing is imported here, so the Qt-free parts load
without Qt."""
