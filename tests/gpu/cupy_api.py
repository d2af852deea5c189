"""What CuPy offers, so that the fake device offers exactly that (no more).

Facts (names and parameter names only) read from the ``cupy-cuda12x`` 14.2.0 wheel with
``ast`` (``cupy/__init__.py``, ``cupy/fft``, ``cupy/random``, ``cupyx/scipy/fft``,
``cupyx/scipy/ndimage``). Regenerate by parsing a newer wheel the same way if CuPy grows.
"""

from __future__ import annotations

CUPY_NAMES = frozenset(
    """
    AxisError ComplexWarning ElementwiseKernel Inf Infinity ModuleDeprecationWarning NAN NINF
    NZERO NaN PINF PZERO RankWarning RawKernel RawModule ReductionKernel TooHardError
    VisibleDeprecationWarning abs absolute acos acosh add all allclose alltrue amax amin angle
    annotations any append apply_along_axis apply_over_axes arange arccos arccosh arcsin arcsinh
    arctan arctan2 arctanh argmax argmin argpartition argsort argwhere around array array2string
    array_equal array_equiv array_repr array_split array_str asanyarray asarray
    asarray_chkfinite ascontiguousarray asfarray asfortranarray asin asinh asnumpy astype atan
    atan2 atanh atleast_1d atleast_2d atleast_3d average bartlett base_repr binary_repr bincount
    bitwise_and bitwise_count bitwise_invert bitwise_left_shift bitwise_not bitwise_or
    bitwise_right_shift bitwise_xor blackman bool_ broadcast broadcast_arrays broadcast_to byte
    byte_bounds c_ can_cast cbrt cdouble ceil cfloat choose clear_memo clip column_stack
    common_type complex128 complex64 complex_ complexfloating compress concat concatenate conj
    conjugate convolve copy copysign copyto corrcoef correlate cos cosh count_nonzero cov cross
    csingle cuda cumprod cumproduct cumsum cumulative_prod cumulative_sum deg2rad degrees delete
    diag diag_indices diag_indices_from diagflat diagonal diff digitize
    disable_experimental_feature_warning divide divmod dot double dsplit dstack dtype e ediff1d
    einsum empty empty_like equal euler_gamma exceptions exp exp2 expand_dims expm1 extract eye
    fabs fft fill_diagonal finfo fix flatiter flatnonzero flip fliplr flipud float16 float32
    float64 float_ float_power floating floor floor_divide fmax fmin fmod
    format_float_positional format_float_scientific frexp fromDlpack from_dlpack frombuffer
    fromfile fromfunction fromiter fromstring full full_like fuse gcd generic genfromtxt
    get_array_module get_default_memory_pool get_default_pinned_memory_pool get_printoptions
    gradient greater greater_equal half hamming hanning heaviside histogram histogram2d
    histogramdd hsplit hstack hypot i0 identity iinfo imag in1d index_exp indices inexact inf
    infty inner int16 int32 int64 int8 int_ intc integer interp intersect1d intp invert
    is_available isclose iscomplex iscomplexobj isdtype isfinite isfortran isin isinf isnan
    isneginf isposinf isreal isrealobj isscalar issctype issubclass_ issubdtype issubsctype
    iterable ix_ kaiser kron lcm ldexp left_shift less less_equal lexsort linalg linspace load
    loadtxt log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not logical_or
    logical_xor logspace longlong make_aligned_dtype mask_indices matmul matrix_transpose max
    maximum may_share_memory mean median memoize meshgrid mgrid min min_scalar_type minimum
    mintypecode mod modf moveaxis msort multiply nan nan_to_num nanargmax nanargmin nancumprod
    nancumsum nanmax nanmean nanmedian nanmin nanprod nanstd nansum nanvar ndarray ndim ndindex
    negative newaxis nextafter nonzero not_equal number obj2sctype ogrid ones ones_like outer
    packbits pad partition percentile permute_dims pi piecewise place poly poly1d polyadd
    polyfit polymul polynomial polysub polyval positive pow power printoptions prod product
    promote_types ptp put put_along_axis putmask quantile r_ rad2deg radians random ravel
    ravel_multi_index real real_if_close reciprocal remainder repeat require reshape resize
    result_type right_shift rint roll rollaxis roots rot90 round round_ row_stack s_ save
    savetxt savez savez_compressed sctype2char searchsorted select set_printoptions setdiff1d
    setxor1d shape shares_memory short show_config sign signbit signedinteger sin sinc single
    singlecomplex sinh size sometrue sort sort_complex split sqrt square squeeze stack std
    subtract sum swapaxes take take_along_axis tan tanh tensordot testing tile trace transpose
    trapezoid trapz tri tril tril_indices tril_indices_from trim_zeros triu triu_indices
    triu_indices_from true_divide trunc typename ubyte ufunc uint uint16 uint32 uint64 uint8
    uintc uintp ulonglong union1d unique unique_all unique_counts unique_inverse unique_values
    unpackbits unravel_index unsignedinteger unwrap ushort vander var vdot vectorize vsplit
    vstack where who zeros zeros_like
    """.split()
)

CUPY_FFT_NAMES = frozenset(
    """
    config fft fft2 fftfreq fftn fftshift hfft ifft ifft2 ifftn ifftshift ihfft irfft irfft2
    irfftn rfft rfft2 rfftfreq rfftn
    """.split()
)

CUPY_RANDOM_NAMES = frozenset(
    """
    BitGenerator MRG32k3a Philox4x3210 RandomState XORWOW annotations beta binomial bytes
    chisquare choice default_rng dirichlet exponential f gamma geometric get_random_state gumbel
    hypergeometric laplace logistic lognormal logseries multinomial multivariate_normal
    negative_binomial noncentral_chisquare noncentral_f normal pareto permutation poisson power
    rand randint randn random random_integers random_sample ranf rayleigh reset_states sample
    seed set_random_state shuffle standard_cauchy standard_exponential standard_gamma
    standard_normal standard_t triangular uniform vonmises wald weibull zipf
    """.split()
)

#: ``cupyx.scipy.fft`` function -> parameter names (no ``workers``: CuPy has none).
CUPYX_FFT_PARAMS = {
    'dct': ('x', 'type', 'n', 'axis', 'norm', 'overwrite_x'),
    'dctn': ('x', 'type', 's', 'axes', 'norm', 'overwrite_x'),
    'dst': ('x', 'type', 'n', 'axis', 'norm', 'overwrite_x'),
    'dstn': ('x', 'type', 's', 'axes', 'norm', 'overwrite_x'),
    'fft': ('x', 'n', 'axis', 'norm', 'overwrite_x', 'plan'),
    'fft2': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'fftfreq': ('n', 'd'),
    'fftn': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'fftshift': ('x', 'axes'),
    'fht': ('a', 'dln', 'mu', 'offset', 'bias'),
    'hfft': ('x', 'n', 'axis', 'norm', 'overwrite_x', 'plan'),
    'hfft2': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'hfftn': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'idct': ('x', 'type', 'n', 'axis', 'norm', 'overwrite_x'),
    'idctn': ('x', 'type', 's', 'axes', 'norm', 'overwrite_x'),
    'idst': ('x', 'type', 'n', 'axis', 'norm', 'overwrite_x'),
    'idstn': ('x', 'type', 's', 'axes', 'norm', 'overwrite_x'),
    'ifft': ('x', 'n', 'axis', 'norm', 'overwrite_x', 'plan'),
    'ifft2': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'ifftn': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'ifftshift': ('x', 'axes'),
    'ifht': ('A', 'dln', 'mu', 'offset', 'bias'),
    'ihfft': ('x', 'n', 'axis', 'norm', 'overwrite_x', 'plan'),
    'ihfft2': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'ihfftn': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'irfft': ('x', 'n', 'axis', 'norm', 'overwrite_x', 'plan'),
    'irfft2': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'irfftn': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'next_fast_len': ('target', 'real'),
    'rfft': ('x', 'n', 'axis', 'norm', 'overwrite_x', 'plan'),
    'rfft2': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
    'rfftfreq': ('n', 'd'),
    'rfftn': ('x', 's', 'axes', 'norm', 'overwrite_x', 'plan'),
}

#: ``cupyx.scipy.ndimage`` function -> parameter names.
CUPYX_NDIMAGE_PARAMS = {
    'affine_transform': ('input', 'matrix', 'offset', 'output_shape', 'output', 'order', 'mode', 'cval', 'prefilter', 'texture_memory', 'float64_coords'),
    'binary_closing': ('input', 'structure', 'iterations', 'output', 'origin', 'mask', 'border_value', 'brute_force', 'axes'),
    'binary_dilation': ('input', 'structure', 'iterations', 'mask', 'output', 'border_value', 'origin', 'brute_force', 'axes'),
    'binary_erosion': ('input', 'structure', 'iterations', 'mask', 'output', 'border_value', 'origin', 'brute_force', 'axes'),
    'binary_fill_holes': ('input', 'structure', 'output', 'origin', 'axes'),
    'binary_hit_or_miss': ('input', 'structure1', 'structure2', 'output', 'origin1', 'origin2', 'axes'),
    'binary_opening': ('input', 'structure', 'iterations', 'output', 'origin', 'mask', 'border_value', 'brute_force', 'axes'),
    'binary_propagation': ('input', 'structure', 'mask', 'output', 'border_value', 'origin', 'axes'),
    'black_tophat': ('input', 'size', 'footprint', 'structure', 'output', 'mode', 'cval', 'origin', 'axes'),
    'center_of_mass': ('input', 'labels', 'index'),
    'convolve': ('input', 'weights', 'output', 'mode', 'cval', 'origin', 'axes'),
    'convolve1d': ('input', 'weights', 'axis', 'output', 'mode', 'cval', 'origin'),
    'correlate': ('input', 'weights', 'output', 'mode', 'cval', 'origin', 'axes'),
    'correlate1d': ('input', 'weights', 'axis', 'output', 'mode', 'cval', 'origin'),
    'distance_transform_edt': ('image', 'sampling', 'return_distances', 'return_indices', 'distances', 'indices', 'block_params', 'float64_distances'),
    'extrema': ('input', 'labels', 'index'),
    'find_objects': ('input', 'max_label'),
    'fourier_ellipsoid': ('input', 'size', 'n', 'axis', 'output'),
    'fourier_gaussian': ('input', 'sigma', 'n', 'axis', 'output'),
    'fourier_shift': ('input', 'shift', 'n', 'axis', 'output'),
    'fourier_uniform': ('input', 'size', 'n', 'axis', 'output'),
    'gaussian_filter': ('input', 'sigma', 'order', 'output', 'mode', 'cval', 'truncate', 'radius', 'axes'),
    'gaussian_filter1d': ('input', 'sigma', 'axis', 'order', 'output', 'mode', 'cval', 'truncate'),
    'gaussian_gradient_magnitude': ('input', 'sigma', 'output', 'mode', 'cval', 'axes'),
    'gaussian_laplace': ('input', 'sigma', 'output', 'mode', 'cval', 'axes'),
    'generate_binary_structure': ('rank', 'connectivity'),
    'generic_filter': ('input', 'function', 'size', 'footprint', 'output', 'mode', 'cval', 'origin', 'axes'),
    'generic_filter1d': ('input', 'function', 'filter_size', 'axis', 'output', 'mode', 'cval', 'origin'),
    'generic_gradient_magnitude': ('input', 'derivative', 'output', 'mode', 'cval', 'extra_arguments', 'extra_keywords', 'axes'),
    'generic_laplace': ('input', 'derivative2', 'output', 'mode', 'cval', 'extra_arguments', 'extra_keywords', 'axes'),
    'grey_closing': ('input', 'size', 'footprint', 'structure', 'output', 'mode', 'cval', 'origin', 'axes'),
    'grey_dilation': ('input', 'size', 'footprint', 'structure', 'output', 'mode', 'cval', 'origin', 'axes'),
    'grey_erosion': ('input', 'size', 'footprint', 'structure', 'output', 'mode', 'cval', 'origin', 'axes'),
    'grey_opening': ('input', 'size', 'footprint', 'structure', 'output', 'mode', 'cval', 'origin', 'axes'),
    'histogram': ('input', 'min', 'max', 'bins', 'labels', 'index'),
    'iterate_structure': ('structure', 'iterations', 'origin'),
    'label': ('input', 'structure', 'output'),
    'labeled_comprehension': ('input', 'labels', 'index', 'func', 'out_dtype', 'default', 'pass_positions'),
    'laplace': ('input', 'output', 'mode', 'cval', 'axes'),
    'map_coordinates': ('input', 'coordinates', 'output', 'order', 'mode', 'cval', 'prefilter'),
    'maximum': ('input', 'labels', 'index'),
    'maximum_filter': ('input', 'size', 'footprint', 'output', 'mode', 'cval', 'origin', 'axes'),
    'maximum_filter1d': ('input', 'size', 'axis', 'output', 'mode', 'cval', 'origin'),
    'maximum_position': ('input', 'labels', 'index'),
    'mean': ('input', 'labels', 'index'),
    'median': ('input', 'labels', 'index'),
    'median_filter': ('input', 'size', 'footprint', 'output', 'mode', 'cval', 'origin', 'axes'),
    'minimum': ('input', 'labels', 'index'),
    'minimum_filter': ('input', 'size', 'footprint', 'output', 'mode', 'cval', 'origin', 'axes'),
    'minimum_filter1d': ('input', 'size', 'axis', 'output', 'mode', 'cval', 'origin'),
    'minimum_position': ('input', 'labels', 'index'),
    'morphological_gradient': ('input', 'size', 'footprint', 'structure', 'output', 'mode', 'cval', 'origin', 'axes'),
    'morphological_laplace': ('input', 'size', 'footprint', 'structure', 'output', 'mode', 'cval', 'origin', 'axes'),
    'percentile_filter': ('input', 'percentile', 'size', 'footprint', 'output', 'mode', 'cval', 'origin', 'axes'),
    'prewitt': ('input', 'axis', 'output', 'mode', 'cval'),
    'rank_filter': ('input', 'rank', 'size', 'footprint', 'output', 'mode', 'cval', 'origin', 'axes'),
    'rotate': ('input', 'angle', 'axes', 'reshape', 'output', 'order', 'mode', 'cval', 'prefilter'),
    'shift': ('input', 'shift', 'output', 'order', 'mode', 'cval', 'prefilter'),
    'sobel': ('input', 'axis', 'output', 'mode', 'cval'),
    'spline_filter': ('input', 'order', 'output', 'mode'),
    'spline_filter1d': ('input', 'order', 'axis', 'output', 'mode'),
    'standard_deviation': ('input', 'labels', 'index'),
    'sum': ('input', 'labels', 'index'),
    'sum_labels': ('input', 'labels', 'index'),
    'uniform_filter': ('input', 'size', 'output', 'mode', 'cval', 'origin', 'axes'),
    'uniform_filter1d': ('input', 'size', 'axis', 'output', 'mode', 'cval', 'origin'),
    'value_indices': ('arr', 'ignore_value', 'adaptive_index_dtype'),
    'variance': ('input', 'labels', 'index'),
    'white_tophat': ('input', 'size', 'footprint', 'structure', 'output', 'mode', 'cval', 'origin', 'axes'),
    'zoom': ('input', 'zoom', 'output', 'order', 'mode', 'cval', 'prefilter', 'grid_mode'),
}

#: ``cupy.fft`` (numpy-like) function -> parameter names.
CUPY_FFT_PARAMS = {
    'fft': ('a', 'n', 'axis', 'norm'),
    'fft2': ('a', 's', 'axes', 'norm'),
    'fftfreq': ('n', 'd'),
    'fftn': ('a', 's', 'axes', 'norm'),
    'fftshift': ('x', 'axes'),
    'hfft': ('a', 'n', 'axis', 'norm'),
    'ifft': ('a', 'n', 'axis', 'norm'),
    'ifft2': ('a', 's', 'axes', 'norm'),
    'ifftn': ('a', 's', 'axes', 'norm'),
    'ifftshift': ('x', 'axes'),
    'ihfft': ('a', 'n', 'axis', 'norm'),
    'irfft': ('a', 'n', 'axis', 'norm'),
    'irfft2': ('a', 's', 'axes', 'norm'),
    'irfftn': ('a', 's', 'axes', 'norm'),
    'rfft': ('a', 'n', 'axis', 'norm'),
    'rfft2': ('a', 's', 'axes', 'norm'),
    'rfftfreq': ('n', 'd'),
    'rfftn': ('a', 's', 'axes', 'norm'),
}

#: Methods and attributes of ``cupy.ndarray`` (CuPy 14 reference documentation).
CUPY_NDARRAY_MEMBERS = frozenset(
    """
    all any argmax argmin argpartition argsort astype choose clip compress conj conjugate copy
    cumprod cumsum diagonal dot dump dumps fill flatten get item max mean min nonzero partition
    prod ptp put ravel repeat reshape round searchsorted set sort squeeze std sum swapaxes take
    tobytes tofile tolist trace transpose var view T mT base data device dtype flags flat imag
    itemsize nbytes ndim real shape size strides
    """.split()
)
