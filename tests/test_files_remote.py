"""Remote stores through fsspec URLs: an S3 emulator (moto's server) on loopback."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from napari_temimages import from_zarr

from .helpers import make_images

moto_server = pytest.importorskip("moto.server", reason="moto[server] (test extra) is needed for the S3 emulator")
s3fs = pytest.importorskip("s3fs", reason="s3fs (test extra) is needed for s3:// URLs")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(monkeypatch_module):
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        server.start()
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"the S3 emulator could not start on loopback: {exc}")
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": endpoint}.items():
        monkeypatch_module.setenv(key, value)
    fs = s3fs.S3FileSystem(anon=False, client_kwargs={"endpoint_url": endpoint})
    fs.mkdir("bucket")
    yield endpoint, fs
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_read_from_s3(s3_endpoint, tmp_path) -> None:
    endpoint, fs = s3_endpoint
    im = make_images()
    im.to_zarr(tmp_path / "x.zarr")
    fs.put(str(tmp_path / "x.zarr"), "bucket/x.zarr", recursive=True)
    obj = from_zarr("s3://bucket/x.zarr")
    assert obj.is_lazy
    np.testing.assert_array_equal(obj.compute().array, im.array)
    assert obj.axes_metadata == im.axes_metadata and obj.metadata == im.metadata
