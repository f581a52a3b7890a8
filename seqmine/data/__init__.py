"""The sequence database: codebook, flat arrays, builders, SPMF format, splits."""
