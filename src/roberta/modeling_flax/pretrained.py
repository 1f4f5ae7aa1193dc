"""`from_pretrained` / `save_pretrained` of the Flax classes, on the reference's file layout.

Loading builds the model without random initialisation (`_do_init=False` shapes only), renames the checkpoint's
arrays by the one naming rule (`roberta.checkpoint.names`), checks them against the parameter shapes (the one
load report) and initialises only what the checkpoint lacks. Saving goes through the checkpoint package's save
protocol (atomic across files) and shards past `max_shard_size` as the reference does.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..checkpoint import detect, report
from ..checkpoint.commit import write_save
from ..checkpoint.files import BIN, MSGPACK, SAFETENSORS, SAVE_KEY, split_shards
from ..checkpoint.msgpack_file import write_msgpack
from ..checkpoint.names import convert, flatten, match_prefix, unflatten
from ..checkpoint.safetensors_file import write_safetensors
from ..config import _DEFAULTS, RobertaConfig
from ..hub import pop_hub_kwargs

logger = logging.getLogger(__name__)

_CONFIG_KWARGS = set(_DEFAULTS) | {"num_labels", "id2label", "label2id", "problem_type"}


def _config(cls: type, source: dict | str, config: RobertaConfig | None, overrides: dict) -> RobertaConfig:
    if config is None:
        return cls.config_class.from_pretrained(source, **overrides)
    if not isinstance(config, RobertaConfig):
        raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
    return copy.deepcopy(config).updated(**overrides)


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
    hub = pop_hub_kwargs(kwargs)
    overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in _CONFIG_KWARGS}
    found = detect.locate(path, detect.reading_order("flax", source="pt" if from_pt else None), hub)
    if found.format is BIN and not from_pt:
        raise FileNotFoundError(f"{found.directory} holds PyTorch weights ({os.path.basename(found.entry)}) only: "
                                f"pass from_pt=True to convert them")  # fmt: skip
    config = _config(cls, found.config or found.directory, config, overrides)
    flat, ignored = convert(detect.read_arrays(found), found.naming, "flax")

    model = cls(config, *model_args, input_shape=input_shape, seed=seed, dtype=dtype, _do_init=False, **kwargs)
    expected = {"/".join(k): v.shape for k, v in flatten(model.params_shape_tree).items()}
    flat = match_prefix(flat, expected, cls.base_model_prefix, "/")
    tied = {k for k in flat if k.endswith("decoder/kernel") and config.tie_word_embeddings}  # a tied LM head
    result = report.compare({k: v.shape for k, v in flat.items()}, expected, skip=tied, ignored=ignored)
    report.check(result, cls.__name__, found.entry, ignore_mismatched_sizes=ignore_mismatched_sizes, found=len(flat))
    same_class = cls.__name__.removeprefix("Flax") in (config.architectures or [])
    report.log(result, cls.__name__, found.entry, logger, same_class=same_class)
    params = unflatten({tuple(k.split("/")): _as_param(flat[k]) for k in result.loaded})
    if result.missing + [m[0] for m in result.mismatched] and _do_init:
        params = model.init_weights(model.key, input_shape, params)
    info = result.info()
    if not _do_init:
        return (model, params, info) if output_loading_info else (model, params)
    model._is_initialized = True
    model.params = params
    return (model, info) if output_loading_info else model


def save(model, save_directory: str | os.PathLike, params: dict | None = None, *, safe_serialization: bool = False,
         max_shard_size: int | str = "10GB", **_: Any) -> None:  # fmt: skip
    """Write `config.json` and the parameters: `flax_model.msgpack` (flax.serialization's format) or, with
    `safe_serialization=True`, `model.safetensors` tagged "flax" with dot-joined Flax paths, as the reference
    writes them. Past `max_shard_size`, msgpack shards and `flax_model.msgpack.index.json` whatever
    `safe_serialization` says, as the reference writes them too. Atomic across files (`roberta.checkpoint.commit`)."""
    flat = {"/".join(k): np.asarray(v) for k, v in flatten(model.params if params is None else params).items()}
    sizes = {k: v.nbytes for k, v in flat.items()}
    shards = split_shards(flat, sizes, max_shard_size)
    config = copy.deepcopy(model.config)
    config.architectures = [type(model).__name__.removeprefix("Flax")]
    fmt = SAFETENSORS if safe_serialization and len(shards) == 1 else MSGPACK

    def write(path: str, arrays: dict[str, np.ndarray], record: dict) -> None:
        if fmt is SAFETENSORS:
            metadata = {"format": "flax", SAVE_KEY: json.dumps(record)}
            write_safetensors({k.replace("/", "."): v for k, v in arrays.items()}, path, metadata)
        else:
            write_msgpack(unflatten({tuple(k.split("/")): v for k, v in arrays.items()}), path, record)

    write_save(os.fspath(save_directory), fmt, shards, config.to_dict(), write, framework="flax", sizes=sizes)


def jax_to_numpy(tree: dict) -> dict:
    return unflatten({k: np.asarray(v) for k, v in flatten(tree).items()})
