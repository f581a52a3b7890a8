"""The one JIT policy of seqmine: every kernel is decorated with ``kernel`` or ``parallel_kernel``.

cache=True so a second process reuses compiled code; nogil=True so drivers can run kernels in
threads; error_model="numpy" avoids Python's division checks; no fastmath, because mining
kernels count integers and float re-association could reorder ties. Compilation is lazy (no
signature strings) so ``import seqmine`` stays fast.
"""

import numba

kernel = numba.njit(cache=True, nogil=True, error_model="numpy")
# small helpers called once per search node: inlined into their caller at Numba IR level, so
# sharing them between miners costs no call and no reference counting of returned arrays
inline_kernel = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
parallel_kernel = numba.njit(cache=True, nogil=True, parallel=True, error_model="numpy")

# Status codes returned by mining kernels; drivers turn them into exceptions.
OK = 0
PATTERN_BUDGET = 1
MEMORY_BUDGET = 2
INTERRUPTED = 3
