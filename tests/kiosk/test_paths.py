"""Where the data directory is, in the documented order."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from kiosk import paths


def test_option_beats_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BIANMIN_DATA_DIR", str(tmp_path / "env"))
    assert paths.data_dir(tmp_path / "opt") == tmp_path / "opt"
    assert paths.data_dir(None) == tmp_path / "env"


def test_service_uses_var_lib_only_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIANMIN_DATA_DIR", raising=False)
    monkeypatch.setenv("INVOCATION_ID", "abc")  # started by systemd, but from a checkout
    assert paths.data_dir(None) == Path(platformdirs.user_data_dir("bianmin", appauthor=False))
    monkeypatch.setattr(paths.sys, "prefix", "/opt/bianmin/venv")
    assert paths.data_dir(None) == Path("/var/lib/bianmin")
    monkeypatch.delenv("INVOCATION_ID")
    assert paths.data_dir(None) != Path("/var/lib/bianmin")
