"""Image operations, one module per concern. Each is a function of a measurement object that
builds its result through :func:`napari_temimages._core.ensemble.map_images`."""
