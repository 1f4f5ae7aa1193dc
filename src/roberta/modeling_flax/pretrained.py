"""`from_pretrained` / `save_pretrained` of the Flax classes, on the reference's file layout.

Loading builds the model without random initialisation (`_do_init=False` shapes only), renames and checks
the checkpoint's arrays against the parameter shapes, and initialises only what the checkpoint lacks.
"""

from __future__ import annotations

import copy
import logging
import os
from typing import Any

import jax.numpy as jnp
import numpy as np

from .._io import atomic_directory
from ..config import _DEFAULTS, RobertaConfig
from .names import Path, flatten, unflatten
from .weights import FLAX_INDEX, FLAX_WEIGHTS, SAFE_INDEX, SAFE_WEIGHTS, find_weights, read_flat

logger = logging.getLogger(__name__)

_HUB_FILES = ("cache_dir", "revision")
_HUB_IGNORED = ("local_files_only", "token", "use_auth_token", "force_download", "proxies", "resume_download",
                "subfolder", "trust_remote_code", "from_auto")  # fmt: skip
_CONFIG_KWARGS = set(_DEFAULTS) | {"num_labels", "id2label", "label2id", "problem_type"}


def _config(cls: type, path: str, config: RobertaConfig | None, overrides: dict, hub: dict) -> RobertaConfig:
    if config is None:
        return cls.config_class.from_pretrained(path, **hub, **overrides)
    if not isinstance(config, RobertaConfig):
        raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
    return copy.deepcopy(config).updated(**overrides)


def _match_prefix(flat: dict[Path, np.ndarray], expected: set[Path], prefix: str) -> dict[Path, np.ndarray]:
    """A base checkpoint for a head model gains the `roberta` level; a head checkpoint for the bare model
    keeps only its `roberta` subtree."""
    wants = any(k[0] == prefix for k in expected)
    has = any(k[0] == prefix for k in flat)
    if wants and not has:
        return {(prefix, *k): v for k, v in flat.items()}
    if has and not wants:
        return {(k[1:] if k[0] == prefix else k): v for k, v in flat.items()}
    return flat


def _as_param(array: np.ndarray) -> jnp.ndarray:
    # Parameters are float32 whatever the file holds (fp16 / bf16 too); the model's `dtype` is the compute dtype.
    floating = np.issubdtype(array.dtype, np.floating) or array.dtype.name == "bfloat16"
    return jnp.asarray(array, jnp.float32) if floating else jnp.asarray(array)


def load(
    cls,
    pretrained_model_name_or_path: str | os.PathLike,
    *model_args: Any,
    config: RobertaConfig | None = None,
    dtype: Any = jnp.float32,
    from_pt: bool = False,
    _do_init: bool = True,
    ignore_mismatched_sizes: bool = False,
    input_shape: tuple[int, ...] = (1, 1),
    seed: int = 0,
    output_loading_info: bool = False,
    **kwargs: Any,
):
    """Build `cls` from a checkpoint. Keywords as the reference's: `config` and config fields (`num_labels`,
    `id2label`, ...), `dtype` (compute dtype), `from_pt` (also read `pytorch_model.bin`), `_do_init` (False:
    return `(model, params)`, the model holding no parameters; missing ones are then left out and
    `model.init_weights(rng, input_shape, params)` fills them), `ignore_mismatched_sizes`, `input_shape`,
    `seed`, `output_loading_info`. Other keywords go to the constructor (e.g. `add_pooling_layer=False`)."""
    path = os.fspath(pretrained_model_name_or_path)
    hub = {k: kwargs.pop(k) for k in _HUB_FILES if k in kwargs}
    for key in _HUB_IGNORED:
        kwargs.pop(key, None)
    overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in _CONFIG_KWARGS}
    config = _config(cls, path, config, overrides, hub)
    flat = read_flat(find_weights(path, from_pt=from_pt, **hub))

    model = cls(config, *model_args, input_shape=input_shape, seed=seed, dtype=dtype, _do_init=False, **kwargs)
    expected = flatten(model.params_shape_tree)
    flat = _match_prefix(flat, set(expected), cls.base_model_prefix)
    state, unexpected, mismatched = {}, [], []
    for key, array in flat.items():
        if key not in expected:
            tied_decoder = key[-2:] == ("decoder", "kernel") and config.tie_word_embeddings
            if not tied_decoder:  # a tied LM head has no decoder of its own
                unexpected.append("/".join(key))
            continue
        if tuple(array.shape) != tuple(expected[key].shape):
            mismatched.append(("/".join(key), tuple(array.shape), tuple(expected[key].shape)))
            continue
        state[key] = _as_param(array)
    if mismatched and not ignore_mismatched_sizes:
        listing = "; ".join(f"{n}: checkpoint {a}, model {b}" for n, a, b in mismatched)
        raise ValueError(
            f"checkpoint shapes differ from the model's: {listing}. Pass ignore_mismatched_sizes=True to "
            f"re-initialise them (e.g. a new num_labels)"
        )
    missing = sorted("/".join(k) for k in expected if k not in state)
    if missing:
        logger.warning("Some weights of %s were not in the checkpoint and are newly initialised: %s",
                       cls.__name__, ", ".join(missing))  # fmt: skip
    if unexpected:
        logger.warning("Some checkpoint weights were not used by %s: %s", cls.__name__, ", ".join(unexpected))
    params = unflatten(state)
    if missing and _do_init:
        params = model.init_weights(model.key, input_shape, params)
    info = {"missing_keys": missing, "unexpected_keys": unexpected, "mismatched_keys": mismatched}
    if not _do_init:
        return (model, params, info) if output_loading_info else (model, params)
    model._is_initialized = True
    model.params = params
    return (model, info) if output_loading_info else model


def save(model, save_directory: str | os.PathLike, params: dict | None = None, *, safe_serialization: bool = False,
         **_: Any) -> None:  # fmt: skip
    """Write `config.json` and the parameters: `flax_model.msgpack` (flax.serialization's format) or, with
    `safe_serialization=True`, `model.safetensors` tagged "flax" with dot-joined Flax paths, as the reference
    writes them. Files land atomically; shards of an older save in the same format are removed."""
    from flax.serialization import msgpack_serialize
    from safetensors.numpy import save_file

    params = model.params if params is None else params
    config = copy.deepcopy(model.config)
    config.architectures = [type(model).__name__.removeprefix("Flax")]
    save_directory = os.fspath(save_directory)
    with atomic_directory(save_directory) as stage:
        if safe_serialization:
            arrays = {".".join(k): np.asarray(v) for k, v in flatten(params).items()}
            save_file(arrays, os.path.join(stage, SAFE_WEIGHTS), metadata={"format": "flax"})
        else:
            with open(os.path.join(stage, FLAX_WEIGHTS), "wb") as f:
                f.write(msgpack_serialize(jax_to_numpy(params)))
        config.save_pretrained(stage)
    single, index = (SAFE_WEIGHTS, SAFE_INDEX) if safe_serialization else (FLAX_WEIGHTS, FLAX_INDEX)
    stem, ext = single.rsplit(".", 1)
    for name in os.listdir(save_directory):
        if name == index or (name.startswith(stem + "-") and name.endswith("." + ext)):
            os.remove(os.path.join(save_directory, name))


def jax_to_numpy(tree: dict) -> dict:
    return unflatten({k: np.asarray(v) for k, v in flatten(tree).items()})
