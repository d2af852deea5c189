"""The operation widgets in a real (shown) napari viewer under Xvfb.

Every widget is run on the shipped sample data (lazy: the worker-thread path) and on eager
synthetic data (the synchronous path); its output layer must equal the core operation's result
converted by ``layer_data.to_layer_data`` (values, scale, units, axis labels, Images metadata),
and the input layers must be untouched. Errors must give a notification and change nothing.
Many widgets share one viewer to keep the suite fast.
"""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import (
    FrozenPhononsAxis,
    Images,
    ParameterAxis,
    RealSpaceLineProfiles,
)
from napari_temimages._widgets import operations as ops
from napari_temimages._widgets.operations import OPERATIONS, parse_chunks
from napari_temimages.layer_data import META_KEY, from_layer, to_layer_data

pytestmark = pytest.mark.gui


# ------------------------------------------------------------------------------ helpers


def _series(complex_: bool = False) -> Images:
    """Eager (2 frozen phonons, 3 defocus, 24 x, 20 y) images with metadata."""
    rng = np.random.default_rng(7)
    array = rng.random((2, 3, 24, 20)).astype(np.float32) + 1.0
    if complex_:
        array = (array * np.exp(1j * rng.uniform(-2, 2, array.shape))).astype(np.complex64)
    axes = [
        FrozenPhononsAxis(_ensemble_mean=True),
        ParameterAxis(label="C10", units="Å", values=(-10.0, 0.0, 10.0)),
    ]
    meta = {"energy": 200e3, "label": "intensity", "units": "arb. unit"}
    return Images(array, sampling=(0.25, 0.2), ensemble_axes_metadata=axes, metadata=meta)


def _dock(viewer, name):
    gui = OPERATIONS[name].make_widget()
    viewer.window.add_dock_widget(gui, name=name)
    return gui


def _run(gui, layer, **values):
    """Set the widget's values, run it, wait for a worker; returns the output layers."""
    gui.image.value = layer
    for key, value in values.items():
        gui[key].value = value
    job = gui()
    if job is not None:
        assert job.wait(60_000), "the job did not finish"
        assert job.succeeded, (job.error, job.cancelled)
    return gui._temimages_runner.last_outputs


def _snapshot(layers):
    return [(layer.name, np.array(layer.data).copy(), repr(layer.metadata), tuple(layer.scale)) for layer in layers]


def _assert_unchanged(layers, snapshot):
    for layer, (name, data, meta, scale) in zip(layers, snapshot, strict=True):
        assert layer.name == name
        np.testing.assert_array_equal(np.asarray(layer.data), data)
        assert repr(layer.metadata) == meta
        assert tuple(layer.scale) == scale


def _assert_output_is(layers, expected, name):
    """Output layers == ``to_layer_data(expected)``: values, scale, units, labels, metadata."""
    tuples = to_layer_data(expected, name=name)
    assert len(layers) == len(tuples)
    for layer, (data, meta, layer_type) in zip(layers, tuples, strict=True):
        assert layer._type_string == layer_type
        assert layer.name == meta["name"]
        np.testing.assert_allclose(np.asarray(layer.data), np.asarray(data), rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(layer.scale, meta["scale"])
        np.testing.assert_allclose(layer.translate, meta["translate"])
        assert [str(u) for u in layer.units] == [_PINT[u] for u in meta["units"]]
        assert tuple(layer.axis_labels) == tuple(meta["axis_labels"])
        entry = layer.metadata[META_KEY]
        assert entry["metadata"] == expected.metadata
        assert entry["sampling"] == list(expected.sampling)
    back = from_layer(layers[0])
    assert type(back) is type(expected)
    assert back.axes_metadata == expected.axes_metadata
    assert back.metadata == expected.metadata
    assert back == expected  # values (allclose), axes and metadata: saveable as the abTEM object


_PINT = {"Å": "angstrom", "1/Å": "1 / angstrom", "pixel": "pixel"}


def _computed(obj):
    return obj.compute() if obj.is_lazy else obj


# cases: widget name, widget values, the core call it must equal
def _cases(obj, other_layer_obj):
    (lx, ly) = obj.extent
    return [
        ("crop", dict(extent_x=lx / 2, extent_y=ly / 2, offset_x=1.0, offset_y=0.4, centered=False),
         lambda o: o.crop((lx / 2, ly / 2), offset=(1.0, 0.4))),
        ("crop", dict(extent_x=lx / 2, extent_y=ly / 2, centered=True),
         lambda o: o.crop((lx / 2, ly / 2), centered=True)),
        ("tile", dict(repetitions_x=2, repetitions_y=3), lambda o: o.tile((2, 3))),
        ("interpolate", dict(by="sampling", sampling=0.1, method="fft"), lambda o: o.interpolate(sampling=0.1)),
        ("interpolate", dict(by="gpts", gpts_x=30, gpts_y=25, method="spline", order=3, boundary="reflect"),
         lambda o: o.interpolate(gpts=(30, 25), method="spline", order=3, boundary="reflect")),
        ("gaussian_filter", dict(sigma=0.6, boundary="periodic"), lambda o: o.gaussian_filter(0.6)),
        ("diffractograms", {}, lambda o: o.diffractograms()),
        ("poisson_noise", dict(dose_type="dose per area (e/Å²)", dose=5e3, samples=2, seed=11),
         lambda o: o.poisson_noise(dose_per_area=5e3, samples=2, seed=11)),
        ("scan_noise", dict(dwell_time=8.0, flyback_time=100.0, rms_power=2.0, max_frequency=500.0,
                            num_components=50, seed=3),
         lambda o: o.scan_noise(8e-6, 1e-4, 2.0, max_frequency=500.0, num_components=50, seed=3)),
        ("reduce_ensemble", dict(axes=[0]), lambda o: o.reduce_ensemble(axis=0)),
        ("reduce_ensemble", dict(axes=[0, 1]), lambda o: o.reduce_ensemble(axis=(0, 1))),
        ("normalize_ensemble", dict(scale="std", shift="mean"), lambda o: o.normalize_ensemble("std", "mean")),
        *[("ensemble_statistic", dict(statistic=s, axes=[0, 1] if s == "mean" else [1], keepdims=s == "max"),
           lambda o, s=s: getattr(o, s)(axis=(0, 1) if s == "mean" else (1,), keepdims=s == "max"))
          for s in ("mean", "std", "sum", "min", "max")],
        ("complex_part", dict(part="abs"), lambda o: o.abs()),
        ("relative_difference", dict(other=other_layer_obj[0], min_relative_tol=0.1),
         lambda o: o.relative_difference(other_layer_obj[1], 0.1)),
        ("rechunk", dict(chunks="1, 3"),
         lambda o: o.rechunk((1, 3, -1, -1)) if o.is_lazy else o.lazy((1, 3, -1, -1))),
        ("to_device", dict(device="CPU"), lambda o: o.to_cpu()),
    ]


def _check_all_operations(viewer, layer, obj, other):
    """Run every real-data widget on ``layer`` and compare with the core model on ``obj``."""
    snapshot = _snapshot(list(viewer.layers))
    inputs = list(viewer.layers)
    guis = {}
    for name, values, core in _cases(obj, other):
        gui = guis.get(name) or _dock(viewer, name)
        guis[name] = gui
        out = _run(gui, layer, **values)
        expected = _computed(core(obj))
        suffix = OPERATIONS[name].suffix
        suffix = suffix(values) if callable(suffix) else suffix
        _assert_output_is(out, expected, f"{layer.name} {suffix}")
        if name == "rechunk":  # stays lazy, with the requested chunks
            assert hasattr(out[0].data, "dask")
            n_fp = obj.ensemble_shape[0]
            assert out[0].data.chunks[:2] == core(obj).array.chunks[:2] == ((1,) * n_fp, (3,))
        else:
            assert not hasattr(out[0].data, "dask"), f"{name}: result was not computed"
    _assert_unchanged(inputs, snapshot)
    return guis


# ------------------------------------------------------------------------------ tests
def test_every_operation_on_the_lazy_sample_matches_the_core(viewer, tmp_path):
    """STEM ADF sample (lazy: every widget runs in a worker), all real-data operations."""
    from napari_temimages._sample_data import load_sample

    layers = viewer.open_sample("napari-temimages", "stem_frozen_phonons")
    (layer,) = layers
    obj = load_sample("stem_frozen_phonons")
    assert obj.is_lazy and hasattr(layer.data, "dask")
    other = obj.gaussian_filter(0.3).compute()
    (other_layer,) = other.add_to_viewer(viewer, name="other")
    viewer.layers.selection.active = layer

    guis = _check_all_operations(viewer, layer, obj, (other_layer, other))
    # compute: the lazy sample into memory
    out = _run(_dock(viewer, "compute"), layer)
    _assert_output_is(out, obj.compute(), f"{layer.name} computed")
    assert not hasattr(out[0].data, "dask")

    # running again updates the same output layer in place
    gauss = guis["gaussian_filter"]
    (first,) = gauss._temimages_runner.last_outputs
    count = len(viewer.layers)
    (second,) = _run(gauss, layer, sigma=1.2)
    assert second is first and len(viewer.layers) == count
    _assert_output_is([second], obj.gaussian_filter(1.2).compute(), f"{layer.name} gaussian")
    # the output is an abTEM object: saved with the plugin's writer, it reads back equal
    path = str(tmp_path / "gaussian.zarr")
    assert second.save(path, plugin="napari-temimages")
    from napari_temimages import from_zarr

    assert from_zarr(path).compute() == obj.gaussian_filter(1.2).compute()
    # ... but another input gets its own output
    (third,) = _run(gauss, other_layer, sigma=1.2)
    assert third is not first and len(viewer.layers) == count + 1
    assert first in viewer.layers


def test_operations_on_eager_data_and_defaults_from_the_layer(viewer):
    """Synthetic eager images (synchronous path), defaults from the selected layer, HRTEM sample."""
    obj = _series()
    (layer,) = obj.add_to_viewer(viewer, name="series")
    other = Images(obj.array[::-1].copy(), sampling=obj.sampling, ensemble_axes_metadata=obj.ensemble_axes_metadata,
                   metadata=obj.metadata)
    (other_layer,) = other.add_to_viewer(viewer, name="other")
    viewer.layers.selection.active = layer

    # defaults and ranges follow the selected layer (physical units)
    crop = _dock(viewer, "crop")
    assert crop.image.value is layer
    lx, ly = obj.extent
    assert crop.extent_x.max == pytest.approx(lx) and crop.extent_y.max == pytest.approx(ly)
    assert crop.extent_x.value == pytest.approx(lx / 2) and crop.offset_x.value == 0
    assert "Å" in crop.extent_x.label
    gauss = _dock(viewer, "gaussian_filter")
    assert gauss.sigma.value == pytest.approx(2 * max(obj.sampling)) and "Å" in gauss.sigma.label
    stat = _dock(viewer, "ensemble_statistic")
    assert tuple(stat.axes.choices) == (0, 1) and stat.axes.value == [0, 1]
    assert [stat.axes.native.item(i).text() for i in range(2)] == ["0: Frozen phonons (2)", "1: C10 (3)"]
    reduce = _dock(viewer, "reduce_ensemble")
    assert reduce.axes.value == [0]  # the frozen-phonon axis is flagged for averaging
    out = _run(reduce, layer, axes=[])  # none chosen: the flagged axes
    _assert_output_is(out, obj.reduce_ensemble(), "series reduced")
    assert out[0].ndim == 3
    viewer.layers.remove(out[0])
    line = _dock(viewer, "line_profile")
    assert line.end_x.value == pytest.approx(lx) and line.start_y.value == pytest.approx(ly / 2)
    # a layer with another sampling changes them
    small = Images(np.ones((10, 8), np.float32), sampling=0.5)
    (small_layer,) = small.add_to_viewer(viewer, name="small")
    crop.image.value = small_layer
    assert crop.extent_x.max == pytest.approx(5.0) and crop.extent_y.max == pytest.approx(4.0)
    viewer.layers.remove(small_layer)

    _check_all_operations(viewer, layer, obj, (other_layer, other))


def test_complex_operations_and_profiles(viewer, fixture_path):
    """Complex-only operations (integrate gradient, phase, ...) and the two profile widgets."""
    from napari_temimages import from_zarr

    # abTEM's centre-of-mass output (complex, lazy from zarr) -> integrated CoM
    com = from_zarr(str(fixture_path("com_sto.zarr")))
    com_amp, com_phase = com.add_to_viewer(viewer, name="com")
    out = _run(_dock(viewer, "integrate_gradient"), com_phase)
    _assert_output_is(out, com.integrate_gradient().compute(), "com integrated")
    assert out[0].metadata[META_KEY]["metadata"]["label"] == "iCOM"

    obj = _series(complex_=True)
    amp, phase = obj.add_to_viewer(viewer, name="wave")
    snapshot = _snapshot([amp, phase])
    part = _dock(viewer, "complex_part")
    for name, call in [("abs", obj.abs), ("phase", obj.phase), ("real", obj.real), ("imag", obj.imag),
                       ("intensity", obj.intensity)]:
        out = _run(part, phase, part=name)  # either layer of the pair holds the complex source
        _assert_output_is(out, call(), f"wave {name}")
    out = _run(_dock(viewer, "integrate_gradient"), amp)
    _assert_output_is(out, obj.integrate_gradient(), "wave integrated")
    out = _run(_dock(viewer, "gaussian_filter"), amp, sigma=0.5)  # complex result: amplitude + phase
    _assert_output_is(out, obj.gaussian_filter(0.5), "wave gaussian")
    assert [layer.name for layer in out] == ["wave gaussian (amplitude)", "wave gaussian (phase)"]

    real = obj.abs()
    (layer,) = real.add_to_viewer(viewer, name="amplitude")
    # line profile from numbers
    gui = _dock(viewer, "line_profile")
    (shapes,) = _run(gui, layer, start_x=0.5, start_y=1.0, end_x=5.0, end_y=3.0, width=0.6, sampling=0.1, order=3)
    expected = real.interpolate_line((0.5, 1.0), (5.0, 3.0), width=0.6, sampling=0.1, order=3)
    assert shapes._type_string == "shapes" and shapes.name == "amplitude profile"
    entry = shapes.metadata[META_KEY]
    assert isinstance(entry["source"], RealSpaceLineProfiles) and entry["source"] == expected
    # the line drawn where the profile was taken: world (y, x) in Å
    np.testing.assert_allclose(shapes.data[0], [[1.0, 0.5], [3.0, 5.0]], atol=1e-9)
    assert [str(u) for u in shapes.units] == ["angstrom", "angstrom"]
    # from a Shapes line drawn by the user (world coordinates, y first)
    drawn = viewer.add_shapes([np.array([[2.0, 1.0], [2.0, 4.5]])], shape_type="line", name="drawn",
                              units=("Å", "Å"))
    (again,) = _run(gui, layer, line=drawn, width=0.0, sampling=0.0)
    assert again is shapes  # updated in place
    assert (gui.start_x.value, gui.start_y.value, gui.end_x.value, gui.end_y.value) == (1.0, 2.0, 4.5, 2.0)
    expected = real.interpolate_line((1.0, 2.0), (4.5, 2.0), order=3)
    assert shapes.metadata[META_KEY]["source"] == expected
    # profile at a position
    gui = _dock(viewer, "profile_at_position")
    (shapes,) = _run(gui, layer, center_x=3.0, center_y=2.0, angle=30.0, extent=3.0, width=0.0, sampling=0.05)
    expected = real.interpolate_line_at_position((3.0, 2.0), 30.0, 3.0, sampling=0.05)
    assert shapes.metadata[META_KEY]["source"] == expected
    t = np.deg2rad(30)
    np.testing.assert_allclose(shapes.data[0][0], [2.0 - 1.5 * np.sin(t), 3.0 - 1.5 * np.cos(t)], atol=1e-6)
    _assert_unchanged([amp, phase], snapshot)


def test_bad_parameters_notify_and_change_nothing(viewer, notifications, monkeypatch):
    obj = _series()
    (layer,) = obj.add_to_viewer(viewer, name="series")
    lazy = obj.lazy()
    (lazy_layer,) = lazy.add_to_viewer(viewer, name="lazy")
    coarse = Images(np.ones((2, 3, 24, 20), np.float32), sampling=(0.5, 0.4),
                    ensemble_axes_metadata=obj.ensemble_axes_metadata)
    (coarse_layer,) = coarse.add_to_viewer(viewer, name="coarse")
    shapes = viewer.add_shapes(name="empty")
    (plain_layer,) = Images(np.ones((2, 24, 20), np.float32), sampling=0.25).add_to_viewer(viewer, name="plain")
    lx, _ = obj.extent
    cases = [
        ("crop", layer, dict(extent_x=lx / 2, offset_x=0.9 * lx), "outside the image"),
        ("crop", lazy_layer, dict(extent_x=lx / 2, offset_x=0.9 * lx), "outside the image"),
        ("complex_part", layer, dict(part="phase"), "needs complex data"),
        ("integrate_gradient", layer, {}, "complex"),
        ("ensemble_statistic", layer, dict(axes=[]), "choose at least one ensemble axis"),
        ("line_profile", layer, dict(start_x=1.0, start_y=1.0, end_x=1.0, end_y=1.0), "zero length"),
        ("line_profile", layer, dict(line=shapes), "has no line"),
        ("relative_difference", layer, dict(other=coarse_layer), "samplings differ"),
        ("relative_difference", layer, dict(other=None), "choose the second image layer"),
        ("compute", layer, {}, "not lazy"),
        ("reduce_ensemble", plain_layer, dict(axes=[]), "no ensemble axis is flagged"),
        ("diffractograms", _dp_layer(viewer, obj), {}, "needs Images"),
        ("rechunk", lazy_layer, dict(chunks="x, 2"), "not a whole number"),
        ("rechunk", lazy_layer, dict(chunks="1"), "one chunk size per ensemble axis"),
        ("gaussian_filter", None, {}, "choose an image layer"),
    ]
    snapshot = _snapshot(list(viewer.layers))
    names = [layer.name for layer in viewer.layers]
    for name, target, values, problem in cases:
        gui = _dock(viewer, name)
        before = len(notifications)
        if target is None:
            result = gui(image=None)
        else:
            result = _run_expecting_failure(gui, target, values)
        assert result is None, name
        new = notifications[before:]
        assert len(new) == 1, (name, new)
        severity, message = new[0]
        assert severity == "error" and message.startswith(OPERATIONS[name].title), message
        assert problem in message, (name, message)
        assert [layer.name for layer in viewer.layers] == names, name
        assert "failed" in gui.status.value
    _assert_unchanged(list(viewer.layers), snapshot)

    # an error inside the worker (lazy data) is reported the same way
    def broken(value, token, report):
        raise ValueError("the disk went away")

    monkeypatch.setattr(ops._worker, "compute", broken)
    gui = _dock(viewer, "gaussian_filter")
    gui.image.value = lazy_layer
    before = len(notifications)
    job = gui()
    assert job is not None and job.wait(30_000) and not job.succeeded
    assert notifications[before:] == [("error", "Gaussian filter: the disk went away")]
    assert [layer.name for layer in viewer.layers] == names
    _assert_unchanged(list(viewer.layers), snapshot)


def _dp_layer(viewer, obj):
    (layer,) = obj[0, 0].diffractograms().add_to_viewer(viewer, name="dp")
    return layer


def _run_expecting_failure(gui, layer, values):
    gui.image.value = layer
    for key, value in values.items():
        gui[key].value = value
    return gui()


def _gpu_available() -> bool:
    try:
        import cupy

        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def test_to_gpu_moves_data_or_names_the_missing_gpu(viewer, notifications):
    obj = _series()
    (layer,) = obj.add_to_viewer(viewer, name="series")
    gui = _dock(viewer, "to_device")
    if _gpu_available():
        (out,) = _run(gui, layer, device="GPU")
        source = out.metadata[META_KEY]["source"]
        assert source.device == "gpu" and from_layer(out) is source
        np.testing.assert_allclose(np.asarray(out.data), np.asarray(layer.data))
        # the next operation runs on the GPU and its result comes back to napari as host data
        (blurred,) = _run(_dock(viewer, "gaussian_filter"), out, sigma=0.5)
        assert blurred.metadata[META_KEY]["source"].device == "gpu"
        (back,) = _run(gui, out, device="CPU")
        assert from_layer(back).device == "cpu"
    else:
        names = [layer.name for layer in viewer.layers]
        gui.image.value = layer
        gui.device.value = "GPU"
        assert gui() is None
        assert len(notifications) == 1
        severity, message = notifications[0]
        assert severity == "error" and message.startswith("Move to device: GPU requested but")
        assert "CuPy" in message or "CUDA" in message
        assert [layer.name for layer in viewer.layers] == names


def test_parse_chunks():
    assert parse_chunks("auto", 2) == "auto"
    assert parse_chunks(" 1, auto ", 2) == (1, "auto")
    with pytest.raises(ValueError, match="one chunk size per ensemble axis"):
        parse_chunks("1, 2, 3", 2)
    with pytest.raises(ValueError, match=">= 1"):
        parse_chunks("0, 1", 2)


def test_every_operation_has_a_manifest_widget():
    """Each operation's factory is registered in napari.yaml, in a Layers submenu."""
    from npe2 import PluginManifest

    manifest = PluginManifest._from_package_or_name("napari-temimages")
    commands = {c.id: c.python_name for c in manifest.contributions.commands}
    widgets = {w.command for w in manifest.contributions.widgets}
    menus = manifest.contributions.menus
    in_menus = {item.command for key, items in menus.items() if key.startswith("napari-temimages.")
                for item in items}
    for name in OPERATIONS:
        command = f"napari-temimages.{name}_widget"
        assert commands[command] == f"napari_temimages._widgets.operations:{name}_widget"
        assert command in widgets and command in in_menus
    for group in ("transform", "filter", "measure", "project", "data"):
        assert [item.submenu for item in menus[f"napari/layers/{group}"]] == [f"napari-temimages.{group}"]
