"""seqmine: sequential pattern mining in Numba, joined to neural next-item ranking."""

from seqmine.data.build import read_events
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import (
    BudgetExceededError,
    FormatVersionError,
    InputError,
    MiningInterrupted,
    SeqmineError,
)

__version__ = "0.1.0"

__all__ = [
    "BudgetExceededError",
    "Codebook",
    "FormatVersionError",
    "InputError",
    "MiningInterrupted",
    "SeqmineError",
    "SequenceArrays",
    "SequenceDatabase",
    "__version__",
    "read_events",
]
