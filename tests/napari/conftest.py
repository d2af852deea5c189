"""Fixtures for the napari tests.

* napari's settings go to a temporary file (``NAPARI_CONFIG``), never the user's config; set at
  import, before napari reads its settings.
* Viewer tests use ``make_napari_viewer(show=True)`` under Xvfb (pytest-xvfb starts it; Qt's
  ``offscreen`` platform has no GL and gives blank canvases, so it is refused here).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_CONFIG_DIR = tempfile.mkdtemp(prefix="napari-temimages-test-config-")
os.environ["NAPARI_CONFIG"] = os.path.join(_CONFIG_DIR, "settings.yaml")

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "abtem" / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _napari_settings_are_temporary():
    from napari.settings import get_settings

    path = Path(get_settings().config_path or "")
    assert str(path).startswith(_CONFIG_DIR), f"napari settings would be written to {path}"
    yield
    shutil.rmtree(_CONFIG_DIR, ignore_errors=True)


@pytest.fixture
def fixture_path():
    """Path of a fixture under tests/data/abtem/fixtures."""

    def get(name: str) -> Path:
        path = FIXTURES / name
        assert path.exists(), path
        return path

    return get


@pytest.fixture
def copy_fixture(tmp_path, fixture_path):
    """A writable copy of a fixture (so that tests may save next to it or corrupt it)."""

    def copy(name: str) -> Path:
        src = fixture_path(name)
        dst = tmp_path / name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)
        for p in [dst, *dst.rglob("*")] if dst.is_dir() else [dst]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        return dst

    return copy


@pytest.fixture
def viewer(make_napari_viewer):
    """A shown napari viewer (needed for real rendering); refuses Qt's offscreen platform."""
    assert os.environ.get("QT_QPA_PLATFORM", "xcb") != "offscreen", "napari needs Xvfb + xcb, not offscreen"
    return make_napari_viewer(show=True)


@pytest.fixture
def notifications():
    """``[(severity, message), ...]`` of the napari notifications emitted during the test."""
    from napari.utils.notifications import notification_manager

    seen: list = []

    def record(event):
        seen.append((str(getattr(event, "severity", "")), str(getattr(event, "message", event))))

    notification_manager.notification_ready.connect(record)
    yield seen
    notification_manager.notification_ready.disconnect(record)
