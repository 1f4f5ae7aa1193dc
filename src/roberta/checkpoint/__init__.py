"""Checkpoint files, framework-free: every framework's classes read and write their weights through here.

Importing this package imports neither torch nor TensorFlow nor JAX; it reads and writes NumPy arrays, and each
framework converts at its edge (`modeling/checkpoint_files.py`, `modeling_tf/pretrained.py`,
`modeling_flax/pretrained.py`).

    files.py             the reference's file names, shard indexes, shard sizes
    detect.py            which entry point each framework reads, and how its tensors are named (`locate`)
    records.py           which weights and which config belong to one save (ids, the committed save)
    commit.py            the save protocol: staged files, then renames; a kill leaves the old save or the new one
    safetensors_file.py  the safetensors reader (checked header, on-demand `pread`) and writer
    bin_file.py          `pytorch_model.bin`: tensors only, through the restricted unpickler
    h5_file.py           `tf_model.h5` (single and sharded layouts) with h5py
    msgpack_file.py      `flax_model.msgpack` with msgpack
    names.py             PyTorch <-> TF <-> Flax names from one table; legacy names resolved once
    report.py            missing / unexpected / mismatched weights: one check and one set of warnings
"""

from .detect import Found, locate, read_arrays, reading_order
from .files import (
    BIN_INDEX,
    BIN_WEIGHTS,
    CONFIG_NAME,
    FLAX_INDEX,
    FLAX_WEIGHTS,
    SAFE_INDEX,
    SAFE_WEIGHTS,
    TF_INDEX,
    TF_WEIGHTS,
    CorruptCheckpointError,
)
from .records import committed, committed_config
from .report import MismatchedShapesError

__all__ = [
    "BIN_INDEX",
    "BIN_WEIGHTS",
    "CONFIG_NAME",
    "FLAX_INDEX",
    "FLAX_WEIGHTS",
    "SAFE_INDEX",
    "SAFE_WEIGHTS",
    "TF_INDEX",
    "TF_WEIGHTS",
    "CorruptCheckpointError",
    "Found",
    "MismatchedShapesError",
    "committed",
    "committed_config",
    "locate",
    "read_arrays",
    "reading_order",
]
