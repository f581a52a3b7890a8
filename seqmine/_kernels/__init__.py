"""All Numba code of seqmine. Imports only numpy, numba and sibling modules."""
