"""`pytorch_model.bin` read as NumPy arrays: tensors and nothing else.

The pickle goes through the project's restricted unpickler (`roberta.convert.unpickle`), narrowed here to the
names a state dict of tensors needs (torch's tensor rebuild functions, `OrderedDict`, dtypes): anything else in
the file, even what the fairseq converter admits (configs, Namespaces, numpy arrays), is refused before it is
looked up, so nothing in the file runs. The result must be a mapping of names to tensors. torch is imported
when a `.bin` is read, never by the package itself.
"""

from __future__ import annotations

import numpy as np

from .files import CorruptCheckpointError

_TENSOR_NAMES = {
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch", "UntypedStorage"),
    ("torch.storage", "UntypedStorage"),
    ("collections", "OrderedDict"),
}


def _tensor_name(module: str, name: str) -> bool:
    import torch

    return (module, name) in _TENSOR_NAMES or (
        module == "torch" and isinstance(getattr(torch, name, None), torch.dtype)
    )


def read_bin_tensors(path: str) -> dict:
    """The torch tensors of a `.bin` state dict (through the tensors-only unpickler), by name."""
    import torch

    from ..convert.unpickle import load_checkpoint

    try:
        state = load_checkpoint(path, admit=_tensor_name)
    except FileNotFoundError:
        raise
    except ValueError as e:  # UnsafeCheckpointError too: it names the file and what was refused
        raise CorruptCheckpointError(str(e)) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CorruptCheckpointError(f"{path} does not hold a state dict of tensors")
    return dict(state)


def tensor_to_numpy(tensor) -> np.ndarray:
    """A CPU torch tensor as a NumPy array sharing its memory (bfloat16 through ml_dtypes)."""
    import torch

    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:
        from .safetensors_file import numpy_dtype

        return tensor.view(torch.int16).numpy().view(numpy_dtype("BF16"))
    return tensor.numpy()


def read_bin(path: str) -> dict[str, np.ndarray]:
    """Every tensor of a `.bin` state dict as a NumPy array, by name."""
    return {name: tensor_to_numpy(t) for name, t in read_bin_tensors(path).items()}
