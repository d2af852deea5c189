"""Remote stores through fsspec URLs: an S3 emulator (moto's server) on loopback."""

from __future__ import annotations

import socket

import pytest

from napari_temimages import from_zarr
from napari_temimages._core.errors import AbtemFileError
from napari_temimages._core.zarr_format import is_abtem_store

from .helpers import make_images
from .test_files_support import FIXTURES, assert_same

moto_server = pytest.importorskip("moto.server", reason="moto[server] (test extra) is needed for the S3 emulator")
s3fs = pytest.importorskip("s3fs", reason="s3fs (test extra) is needed for s3:// URLs")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def s3(monkeypatch_module):
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
    yield fs
    server.stop()


def test_read_directory_and_zip_stores_from_s3(s3) -> None:
    s3.put(str(FIXTURES / "stem_adf_sto_fp_defocus.zarr"), "bucket/dir.zarr", recursive=True)
    s3.put_file(str(FIXTURES / "stem_adf_sto_fp_defocus.zip"), "bucket/abtem.zip")  # two root zarr.json
    expected = from_zarr(FIXTURES / "stem_adf_sto_fp_defocus.zarr").compute()
    for url in ("s3://bucket/dir.zarr", "s3://bucket/abtem.zip"):
        assert is_abtem_store(url), url
        obj = from_zarr(url)
        assert obj.is_lazy
        assert_same(obj.compute(), expected)
    assert not is_abtem_store("s3://bucket/nothing.zarr")
    with pytest.raises(AbtemFileError, match="s3://bucket/nothing.zarr"):
        from_zarr("s3://bucket/nothing.zarr")


@pytest.mark.parametrize("suffix", [".zarr", ".zip"])
def test_write_to_s3(s3, suffix) -> None:
    im = make_images()
    url = f"s3://bucket/written{suffix}"
    assert im.lazy().to_zarr(url) == url
    assert_same(from_zarr(url).compute(), im)
    with pytest.raises(FileExistsError):
        im.to_zarr(url)
    other = make_images(seed=9)
    other.to_zarr(url, overwrite=True)
    assert_same(from_zarr(url).compute(), other)
