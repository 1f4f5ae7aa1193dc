"""`FlaxRobertaPreTrainedModel`: a linen module plus its parameters, called like the reference's Flax classes.

Parameters are data: `model.params` holds the default tree, and every call takes `params=` (as a `jax.jit`
argument, for training or several weight sets). A call with concrete arrays runs a jitted program cached per
input shape; padded batches are cut into a few fixed-shape chunks of similar length first (`bucketing.py`).
Inside a user's `jax.jit` (traced inputs) the module is applied directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax.core import unfreeze

from ..checkpoint.names import flatten, unflatten
from ..config import RobertaConfig
from . import bucketing
from .heads import build_module
from .inputs import TOKEN_INPUTS, cache_index, check_inputs
from .spec import ModelSpec

_FLAGS = ("train", "output_attentions", "output_hidden_states")


def apply(module, params, dropout_rng, cache, inputs: dict, train=False, output_attentions=False,
          output_hidden_states=False):  # fmt: skip
    """Run `module` on `inputs` (the call's arrays by name); with a `cache`, a cached step whose updated cache
    comes back as the output's `past_key_values`. Pure: usable under jax.jit, grad, vmap."""
    variables = {"params": params}
    kwargs: dict[str, Any] = {"rngs": {"dropout": dropout_rng} if dropout_rng is not None else {}}
    if cache is not None:
        variables["cache"] = cache
        kwargs["mutable"] = ["cache"]
    out = module.apply(
        variables,
        *(inputs[k] for k in TOKEN_INPUTS),
        inputs["head_mask"],
        encoder_hidden_states=inputs["encoder_hidden_states"],
        encoder_attention_mask=inputs["encoder_attention_mask"],
        deterministic=not train,
        output_attentions=output_attentions,
        output_hidden_states=output_hidden_states,
        return_dict=True,
        **kwargs,
    )
    if cache is not None:
        out, updated = out
        out.past_key_values = unfreeze(updated["cache"])
    return out


# Compiled programs are keyed on the linen module, which compares by value: every model of the same
# configuration and dtype shares them (parameters are arguments, never constants).
_apply_jit = jax.jit(apply, static_argnames=("module", *_FLAGS))


@partial(jax.jit, static_argnames=("module",))
def _init_jit(module, rngs, args, extra):
    return module.init(rngs, *args, **extra, return_dict=False)


def empty_cache(module, batch_size: int, max_length: int) -> dict:
    """Zeros of the "cache" collection for decoding `batch_size` rows up to `max_length` tokens."""
    ids = jnp.ones((batch_size, max_length), dtype=jnp.int32)
    shapes = jax.eval_shape(
        lambda: module.init(jax.random.PRNGKey(0), ids, jnp.ones_like(ids), init_cache=True, return_dict=False)
    )
    return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), unfreeze(shapes["cache"]))


def _is_traced(tree: Any) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


def _any_leaf_traced(params: Any) -> bool:
    """Whether a parameter tree is traced (under a user's jax.jit): its first leaf tells, without walking the
    ~200 leaves on every call."""
    node = params
    while isinstance(node, Mapping) and node:
        node = next(iter(node.values()))
    return isinstance(node, jax.core.Tracer)


def _float_dtype(dtype: Any) -> Any:
    try:
        dt = jnp.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a JAX float dtype such as jnp.float32 or jnp.bfloat16, got {dtype!r}") from None
    if not jnp.issubdtype(dt, jnp.floating):
        raise TypeError(f"dtype must be a floating dtype (the compute dtype), got {dt}")
    return dt


class FlaxRobertaPreTrainedModel:
    """Base of the Flax classes: construction, parameters, the call, caches, dtype casts, loading and saving.

    `FlaxRoberta*(config, input_shape=(1, 1), seed=0, dtype=jnp.float32, _do_init=True,
    gradient_checkpointing=False)`: `dtype` is the compute dtype (parameters stay float32); with
    `_do_init=False` no parameters are made (`params_shape_tree` holds their shapes) and every call needs
    `params=`.
    """

    config_class = RobertaConfig
    base_model_prefix = "roberta"
    main_input_name = "input_ids"
    task = "base"  # a key of heads.HEADS, or "base" for the bare model
    row_outputs: frozenset[str] = frozenset({"pooler_output"})  # outputs with one value per row, not per token

    def __init__(
        self,
        config: RobertaConfig,
        input_shape: tuple[int, ...] = (1, 1),
        seed: int = 0,
        dtype: Any = jnp.float32,
        _do_init: bool = True,
        gradient_checkpointing: bool = False,
        **kwargs: Any,
    ) -> None:
        if type(self) is FlaxRobertaPreTrainedModel:
            raise TypeError("FlaxRobertaPreTrainedModel is a base class: build FlaxRobertaModel or a head class")
        self._config = config
        self._spec = ModelSpec.from_config(config)
        self.dtype = _float_dtype(dtype)
        self.input_shape = tuple(input_shape)
        self.key = jax.random.PRNGKey(seed)
        self._module_kwargs = kwargs
        self._build(gradient_checkpointing)
        self._is_initialized = _do_init
        init = partial(self.init_weights, input_shape=self.input_shape)
        self._params_shape_tree = jax.eval_shape(init, self.key)
        self._required_params = set(flatten(self._params_shape_tree))
        if _do_init:
            self.params = init(self.key)

    def _build(self, gradient_checkpointing: bool) -> None:
        self._module = build_module(self._spec, self.task, self.dtype, gradient_checkpointing, **self._module_kwargs)

    # ------------------------------------------------------------------ properties
    @property
    def config(self) -> RobertaConfig:
        return self._config

    @property
    def module(self):
        return self._module

    @property
    def framework(self) -> str:
        return "flax"

    @property
    def params_shape_tree(self) -> dict:
        return self._params_shape_tree

    @property
    def required_params(self) -> set:
        return self._required_params

    @property
    def params(self) -> dict:
        if not self._is_initialized:
            raise ValueError(
                "this model was built with _do_init=False and holds no parameters: keep them outside "
                "(from_pretrained returns (model, params)) and pass params= to every call"
            )
        return self._params

    @params.setter
    def params(self, params: dict) -> None:
        if not self._is_initialized:
            raise ValueError("a model built with _do_init=False holds no parameters: pass params= to each call")
        params = unfreeze(params)
        missing = self._required_params - set(flatten(params))
        if missing:
            raise ValueError(f"params lack {len(missing)} required parameters, e.g. {'/'.join(sorted(missing)[0])}")
        self._params = params

    @classmethod
    def can_generate(cls) -> bool:
        return False

    # ------------------------------------------------------------------ init
    def _dummy_inputs(self, input_shape: tuple[int, ...]) -> tuple[tuple, dict]:
        ids = jnp.zeros(input_shape, dtype=jnp.int32)
        extra = {}
        if self._spec.cross_attention:
            rows = int(np.prod(input_shape[:-1]))
            extra["encoder_hidden_states"] = jnp.zeros((rows, input_shape[-1], self._spec.hidden_size), self.dtype)
        return (ids, jnp.ones_like(ids)), extra

    def init_weights(self, rng: jax.Array, input_shape: tuple[int, ...], params: dict | None = None) -> dict:
        """Random parameters for `input_shape`; given `params` (missing some), fill in the missing ones."""
        args, extra = self._dummy_inputs(tuple(input_shape))
        params_rng, dropout_rng = jax.random.split(rng)
        rngs = {"params": params_rng, "dropout": dropout_rng}
        if _is_traced(rng):
            random = self.module.init(rngs, *args, **extra, return_dict=False)
        else:
            random = _init_jit(self.module, rngs, args, extra)
        random = unfreeze(random["params"])
        if params is None:
            return random
        flat, flat_random = flatten(unfreeze(params)), flatten(random)
        for key in set(flat_random) - set(flat):
            flat[key] = flat_random[key]
        return unflatten(flat)

    def init_cache(self, batch_size: int, max_length: int) -> dict:
        """An empty key/value cache for decoding `batch_size` rows up to `max_length` tokens (prompt included),
        to pass as `past_key_values`. Needs a decoder (`config.is_decoder=True`)."""
        if not self._spec.is_decoder:
            raise ValueError("init_cache needs a decoder: build the model with config.is_decoder=True")
        return empty_cache(self.module, batch_size, max_length)

    def enable_gradient_checkpointing(self) -> None:
        """Recompute each layer's activations in the backward pass (less memory, more compute)."""
        self._build(True)

    # ------------------------------------------------------------------ dtype casts (as the reference's)
    def _cast(self, params: dict, dtype: Any, mask: Any = None) -> dict:
        def cast(p, keep=True):
            if keep and jnp.issubdtype(jnp.asarray(p).dtype, jnp.floating):
                return jnp.asarray(p, dtype)
            return p

        if mask is None:
            return jax.tree_util.tree_map(cast, params)
        return jax.tree_util.tree_map(cast, params, mask)

    def to_bf16(self, params: dict, mask: Any = None) -> dict:
        return self._cast(params, jnp.bfloat16, mask)

    def to_fp16(self, params: dict, mask: Any = None) -> dict:
        return self._cast(params, jnp.float16, mask)

    def to_fp32(self, params: dict, mask: Any = None) -> dict:
        return self._cast(params, jnp.float32, mask)

    # ------------------------------------------------------------------ the call
    # The reference's argument list (the Flax model, trunk and heads share its start): users call it positionally.
    def __call__(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                 encoder_hidden_states=None, encoder_attention_mask=None, params: dict | None = None,
                 dropout_rng: jax.Array | None = None, train: bool = False, output_attentions: bool | None = None,
                 output_hidden_states: bool | None = None, return_dict: bool | None = None,
                 past_key_values: dict | None = None):  # fmt: skip
        """Run the model. Arrays may be NumPy or JAX; ids are (batch, seq) ((batch, choices, seq) for multiple
        choice). `train=True` turns dropout on and needs `dropout_rng`. `past_key_values` (from `init_cache`,
        decoders only) makes a cached step: the output's `past_key_values` is the updated cache, and
        `attention_mask` may then cover all `max_length` cache slots."""
        c = self.config
        flags = dict(
            train=bool(train),
            output_attentions=c.output_attentions if output_attentions is None else bool(output_attentions),
            output_hidden_states=c.output_hidden_states if output_hidden_states is None else bool(output_hidden_states),
        )
        return_dict = c.use_return_dict if return_dict is None else return_dict
        if train and dropout_rng is None:
            raise ValueError("train=True turns dropout on and needs dropout_rng=jax.random.PRNGKey(...)")
        if past_key_values is not None and self.task not in ("base", "causal_lm"):
            raise TypeError(f"{type(self).__name__} takes no past_key_values (FlaxRobertaForCausalLM does)")
        traced_params = params is not None and _any_leaf_traced(params)  # own params are concrete arrays
        params = self.params if params is None else params
        # Kept repeat: the call's arguments handed to the module by name (Flax's apply takes keywords).
        inputs = dict(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
        )
        if traced_params or _is_traced((inputs, dropout_rng, past_key_values)):
            inputs["input_ids"] = jnp.asarray(input_ids, dtype=jnp.int32)
            out = apply(self.module, params, dropout_rng, past_key_values, inputs, **flags)
        else:
            past = cache_index(past_key_values) if past_key_values is not None else 0
            inputs = check_inputs(self._spec, inputs, choices=self.task == "multiple_choice", past=past)
            chunks = None
            if not (train or flags["output_attentions"] or past_key_values is not None) and self._can_bucket(inputs):
                chunks = bucketing.plan(inputs["attention_mask"])
            if chunks is None:
                out = _apply_jit(self.module, params, dropout_rng, past_key_values, inputs, **flags)
            else:
                out = self._run_chunks(chunks, params, inputs, flags)
        return out if return_dict else out.to_tuple()

    def _can_bucket(self, inputs: dict) -> bool:
        mask = inputs["attention_mask"]
        return (
            self.task != "multiple_choice"
            and inputs["encoder_hidden_states"] is None
            and mask is not None
            and mask.shape == inputs["input_ids"].shape
        )

    def _run_chunks(self, chunks: list, params: dict, inputs: dict, flags: dict):
        """One jitted call per chunk, the outputs put back in batch order (see bucketing.py)."""
        parts = []
        for chunk in chunks:
            sub = {k: bucketing.slice_rows(chunk, v, True) if k in TOKEN_INPUTS else v for k, v in inputs.items()}
            parts.append(_apply_jit(self.module, params, None, None, sub, **flags))
        batch, width = inputs["input_ids"].shape
        fields = {}
        for name in parts[0].__dataclass_fields__:
            values = [getattr(p, name) for p in parts]
            if values[0] is None:
                continue
            token_level = name not in self.row_outputs

            def put(*leaves, _token=token_level):
                return jnp.asarray(bucketing.assemble(chunks, leaves, batch, width, _token))

            fields[name] = jax.tree_util.tree_map(put, *values)
        return type(parts[0])(**fields)

    # ------------------------------------------------------------------ loading and saving
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args: Any, **kwargs: Any):
        """Load a checkpoint directory (or a cached hub id): `flax_model.msgpack`, a Flax-tagged
        `model.safetensors`, or PyTorch weights (`model.safetensors` as they are; `pytorch_model.bin` with
        `from_pt=True`). See `pretrained.load` for the keywords."""
        from .pretrained import load

        return load(cls, pretrained_model_name_or_path, *model_args, **kwargs)

    def save_pretrained(self, save_directory, params: dict | None = None, *, safe_serialization: bool = False,
                        **kwargs: Any) -> None:  # fmt: skip
        """Write `config.json` and `flax_model.msgpack` (or `model.safetensors` tagged "flax" with
        `safe_serialization=True`); see `pretrained.save`."""
        from .pretrained import save

        save(self, save_directory, params, safe_serialization=safe_serialization, **kwargs)
