"""Benchmarks: napari-temimages vs abTEM 1.0.11 vs the numpy/scipy floor (``python -m benchmarks.run``)."""
