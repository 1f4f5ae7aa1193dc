"""Optional dependencies: which extra of the package installs each, and one clear error when one is missing.

    pip install "roberta[serve]"    # uvicorn, starlette, orjson, prometheus-client

`MissingExtra` is an ImportError whose message names the feature, the missing module and the extra to install,
so the command line prints it as one line.
"""

from __future__ import annotations

import importlib.util

# top-level module -> the extra (pyproject.toml [project.optional-dependencies]) that installs it
EXTRA_OF: dict[str, str] = {
    "uvicorn": "serve",
    "starlette": "serve",
    "orjson": "serve",
    "prometheus_client": "serve",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "tensorflow": "tf",
    "tf_keras": "tf",
    "h5py": "tf",
    "jax": "flax",
    "jaxlib": "flax",
    "flax": "flax",
    "optax": "flax",
    "huggingface_hub": "hub",
    "matplotlib": "train",
    "tqdm": "train",
    "pyarrow": "predict",
    "ray": "ray",
}


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message says which extra installs it."""

    def __init__(self, module: str, feature: str) -> None:
        extra = EXTRA_OF.get(module)
        how = f'pip install "roberta[{extra}]"' if extra else f"pip install {module}"
        super().__init__(f"{module} is not installed ({feature} needs it): {how}", name=module)
        self.extra = extra


def missing_extra(error: ImportError, feature: str) -> MissingExtra | None:
    """The `MissingExtra` for an ImportError raised by importing an optional dependency (else None)."""
    if isinstance(error, MissingExtra):
        return error
    top = (getattr(error, "name", None) or "").split(".")[0]
    return MissingExtra(top, feature) if top in EXTRA_OF else None


def require(*modules: str, feature: str) -> None:
    """Raise `MissingExtra` for the first of `modules` that cannot be imported (found without importing it)."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent package missing, or sys.modules[module] set to None
            found = False
        if not found:
            raise MissingExtra(module, feature)
