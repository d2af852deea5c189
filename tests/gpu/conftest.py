"""Fixtures of the GPU tests: the strict fake device, installed for one test at a time."""

from __future__ import annotations

from typing import Iterator

import pytest

from napari_temimages._core import backend

from . import fake_device


@pytest.fixture
def fake_gpu() -> Iterator[fake_device.TransferLog]:
    """The strict fake CUDA device registered as ``"gpu"``; yields its (cleared) transfer log.

    Whatever ``"gpu"`` backend was registered before comes back afterwards.
    """
    previous = [b for b in backend._BACKENDS if b.device == "gpu"]
    fake_device.install()
    try:
        yield fake_device.LOG
    finally:
        fake_device.uninstall()
        for b in previous:
            backend.register_backend(b)
        fake_device.LOG.reset()
