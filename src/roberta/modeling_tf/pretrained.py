"""`TFRobertaPreTrainedModel`: a `tf_keras.Model` that loads and saves checkpoints and trains with `fit`.

Loading reads `tf_model.h5` (or its shards) or a TF-tagged `model.safetensors` by name, and PyTorch checkpoints
(with `from_pt=True`, or whenever they are the only weights present) through the one naming rule
(`roberta.checkpoint.names`). Saving writes `tf_model.h5` in the reference's Keras layout, or TF-tagged
safetensors, sharded past `max_shard_size`, through the checkpoint package's save protocol: a kill at any point
leaves the previous save or the new one.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from typing import Any

import numpy as np

from ..checkpoint import detect, report
from ..checkpoint.commit import write_save
from ..checkpoint.files import H5, SAFETENSORS, SAVE_KEY, split_shards
from ..checkpoint.h5_file import write_h5
from ..checkpoint.names import convert, match_prefix
from ..checkpoint.safetensors_file import write_safetensors
from ..config import RobertaConfig
from ..hub import pop_hub_kwargs
from ._keras import keras, tf
from .layers import Slot

logger = logging.getLogger(__name__)


def _snake_case(name: str) -> str:
    """A class name as Keras names the model's variables: "TFRobertaForMaskedLM" -> "tf_roberta_for_masked_lm"."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)  # a capitalised word starts a new part
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def _model_loss(y_true, y_pred):
    """The loss Keras minimises when `compile` got none: the model's own loss (passed as y_pred)."""
    return tf.reduce_mean(y_pred)


class TFRobertaPreTrainedModel(keras.Model):
    """Base of every TF RoBERTa model: holds the config, builds its variables, loads, saves and trains."""

    config_class = RobertaConfig
    base_model_prefix = "roberta"
    # Checkpoint variables (TF names, regexes) a class does not use and drops without a warning.
    _ignore_unexpected: tuple[str, ...] = (r"position_ids$", r"^roberta/pooler/")
    # The call arguments that carry labels (moved from `fit`'s y into the inputs when training on the
    # internal loss).
    _label_names: tuple[str, ...] = ("labels",)
    # Top-level layers that also list another layer's variables in `tf_model.h5` (the reference's LM heads hold
    # the word embeddings), so that its loader finds every variable where it looks.
    _h5_shared: dict[str, str] = {}

    def __init__(self, config: RobertaConfig, *inputs: Any, **kwargs: Any) -> None:
        if not isinstance(config, RobertaConfig):
            raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
        super().__init__(**kwargs)
        self.config = config
        self._internal_loss = False

    # ------------------------------------------------------------------ calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and "input_ids" not in kwargs:
            kwargs["input_ids"] = None  # Keras insists on a first argument; inputs_embeds alone is valid here
        return super().__call__(*args, **kwargs)

    def _autographed_call(self):
        """Keras's hook for the `call` it traces. Ours has no tensor-dependent Python control flow, so autograph
        need not rewrite it (and everything it calls), which costs seconds on the first trace of a model."""
        return self.call

    @staticmethod
    def _finish(output, return_dict: bool):
        return output if return_dict else output.to_tuple()

    # ------------------------------------------------------------------ variables
    def build(self, input_shape=None) -> None:
        """Create every variable (no call needed); Keras calls this before the first call."""
        if self.built:
            return
        for layer in self._flatten_layers(include_self=False, recursive=False):
            layer.build(None)
        self.built = True

    def named_slots(self) -> dict[str, Slot]:
        """Where each tensor of a TF checkpoint (`roberta/encoder/layer_._0/.../kernel`) lives in the model."""
        self.build()
        out: dict[str, Slot] = {}
        for layer in self._flatten_layers(include_self=False, recursive=False):
            out.update(layer.named_slots())
        return out

    def named_arrays(self) -> dict[str, np.ndarray]:
        """The model's weights as a TF checkpoint holds them, by name."""
        values: dict[int, np.ndarray] = {}
        out = {}
        for name, (var, index, _) in self.named_slots().items():
            value = values.setdefault(id(var), var.numpy())
            out[name] = value if index is None else np.ascontiguousarray(value[index])
        return out

    def num_parameters(self) -> int:
        return int(sum(np.prod(slot.shape) for slot in self.named_slots().values()))

    def get_input_embeddings(self) -> tf.Variable:
        return getattr(self, self.base_model_prefix).embeddings.word

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *model_args: Any,
                        config: RobertaConfig | None = None, from_pt: bool | None = None,
                        ignore_mismatched_sizes: bool = False, output_loading_info: bool = False,
                        use_safetensors: bool | None = None, **kwargs: Any):  # fmt: skip
        """Load a checkpoint directory (or a cached hub id): `tf_model.h5`, a TF-tagged `model.safetensors`, or
        PyTorch weights (`model.safetensors`, shards, `pytorch_model.bin`), which are read first with
        `from_pt=True` and also when they are the only weights present.

        Other keywords: `cache_dir`, `revision`, config fields (`num_labels`, `id2label`, `problem_type`, ...)
        that override the checkpoint's config, and `ignore_mismatched_sizes` (re-initialise weights whose shape
        differs instead of failing), `output_loading_info` (also return missing / unexpected names).
        """
        path = os.fspath(pretrained_model_name_or_path)
        hub = pop_hub_kwargs(kwargs)
        source = "pt" if from_pt else None
        found = detect.locate(path, detect.reading_order("tf", source=source, use_safetensors=use_safetensors), hub)
        if config is None:
            config = cls.config_class.from_pretrained(found.config or found.directory, **kwargs)
        else:
            if not isinstance(config, RobertaConfig):
                raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
            config = copy.deepcopy(config).updated(**kwargs)
        model = cls(config, *model_args)
        state, ignored = convert(detect.read_arrays(found), found.naming, "tf")
        info = model.load_named(
            state, source=found.entry, ignore_mismatched_sizes=ignore_mismatched_sizes, ignored=ignored
        )
        return (model, info) if output_loading_info else model

    def load_named(
        self,
        state: dict[str, np.ndarray],
        *,
        source: str = "the checkpoint",
        ignore_mismatched_sizes: bool = False,
        ignored: list[str] | None = None,
    ) -> dict[str, list]:
        """Assign TF-named arrays to the model's variables; returns the missing / unexpected / mismatched names."""
        expected = self.named_slots()
        state = match_prefix(state, expected, self.base_model_prefix, "/")
        result = report.compare(
            {k: tuple(v.shape) for k, v in state.items()},
            {k: tuple(slot.shape) for k, slot in expected.items()},
            ignore_unexpected=self._ignore_unexpected,
            ignored=ignored or [],
        )
        name = type(self).__name__
        report.check(result, name, source, ignore_mismatched_sizes=ignore_mismatched_sizes, found=len(state))
        values: dict[int, tuple[tf.Variable, np.ndarray]] = {}  # the new value of each variable written to
        for key in result.loaded:
            slot = expected[key]
            array = np.asarray(state[key], dtype=slot.variable.dtype.as_numpy_dtype)
            if slot.index is None:
                values[id(slot.variable)] = (slot.variable, array)
            else:  # a part of a fused variable: fill it into the variable's current value
                _, value = values.setdefault(id(slot.variable), (slot.variable, slot.variable.numpy()))
                value[slot.index] = array
        keras.backend.batch_set_value(list(values.values()))
        same_class = name.removeprefix("TF") in (self.config.architectures or [])
        report.log(result, name, source, logger, same_class=same_class)
        return result.info()

    # ------------------------------------------------------------------ saving
    def save_pretrained(self, save_directory: str | os.PathLike, *, safe_serialization: bool = False,
                        max_shard_size: int | str = "5GB", **_: Any) -> None:  # fmt: skip
        """Write `config.json` and `tf_model.h5` (the reference's Keras layout, which its TF classes load), or a
        TF-tagged `model.safetensors` with `safe_serialization=True`; past `max_shard_size`, shards and an index
        as the reference names them (`tf_model-00001-of-00002.h5`, `tf_model.h5.index.json`). Atomic across
        files (`roberta.checkpoint.commit`). Our PyTorch classes load either (pass `from_tf=True` for the .h5)."""
        state = self.named_arrays()
        sizes = {k: v.nbytes for k, v in state.items()}
        shards = split_shards(state, sizes, max_shard_size)
        config = copy.deepcopy(self.config)
        config.architectures = [type(self).__name__.removeprefix("TF")]  # as the reference names it
        model_name = _snake_case(type(self).__name__)
        groups = self._h5_groups(state) if len(shards) == 1 else None

        def write(path: str, arrays: dict[str, np.ndarray], record: dict) -> None:
            if safe_serialization:  # names end in `:0`, as the reference writes them
                metadata = {"format": "tf", SAVE_KEY: json.dumps(record)}
                write_safetensors({f"{k}:0": v for k, v in arrays.items()}, path, metadata)
            else:
                write_h5(arrays, path, model_name=model_name, groups=groups, record=record)

        fmt = SAFETENSORS if safe_serialization else H5
        write_save(
            os.fspath(save_directory),
            fmt,
            shards,
            config.to_dict(),
            write,
            framework="tf",
            sizes=sizes,
            index_key=lambda k: f"{model_name}/{k}:0",
        )

    def _h5_groups(self, state: dict[str, np.ndarray]) -> dict[str, list[str]]:
        """Each top-level layer and the variables it lists in a single `tf_model.h5` (`_h5_shared` too)."""
        groups = {}
        for layer in self._flatten_layers(include_self=False, recursive=False):
            shared = self._h5_shared.get(layer.name)
            names = [n for n in state if n.startswith(layer.name + "/")]
            groups[layer.name] = names + [n for n in state if shared and n.startswith(shared)]
        return groups

    # ------------------------------------------------------------------ Keras training
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None, **kwargs: Any) -> None:
        """Keras's `compile`. Without a `loss`, `fit` minimises the model's internal loss: put the labels in the
        inputs (or pass them as `y`), as with the reference."""
        self._internal_loss = loss is None
        super().compile(optimizer=optimizer, loss=_model_loss if loss is None else loss, metrics=metrics, **kwargs)

    def _split_data(self, data):
        """(inputs with labels inside when training on the internal loss, labels for loss / metrics, weights)."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = dict(x) if isinstance(x, dict) else {"input_ids": x}
        names = self._label_names
        if self._internal_loss:
            if isinstance(y, dict):
                x.update(y)
            elif y is not None:
                if len(names) != 1:
                    raise ValueError(f"pass the labels of {type(self).__name__} as a dict with keys {names}")
                x[names[0]] = y
            labels = tuple(x[n] for n in names if n in x)
            y = labels[0] if len(labels) == 1 else (labels or None)
        elif y is None:
            found = tuple(x.pop(n) for n in names if n in x)
            y = found[0] if len(found) == 1 else (found or None)
        return x, y, sample_weight

    def _loss_and_prediction(self, out, y, sample_weight):
        prediction = out["logits"] if "logits" in out else (out["start_logits"], out["end_logits"])
        if self._internal_loss:
            if "loss" not in out:
                raise ValueError(f"{type(self).__name__} computed no loss: put its labels {self._label_names} in x")
            return self.compiled_loss(out["loss"], out["loss"], regularization_losses=self.losses), prediction
        return self.compiled_loss(y, prediction, sample_weight, regularization_losses=self.losses), prediction

    def _metrics_result(self, y, prediction, sample_weight) -> dict:
        if y is not None:
            self.compiled_metrics.update_state(y, prediction, sample_weight)
        return {m.name: m.result() for m in self.metrics}

    @tf.autograph.experimental.do_not_convert
    def train_step(self, data):
        x, y, sample_weight = self._split_data(data)
        with tf.GradientTape() as tape:
            out = self(x, training=True)
            loss, prediction = self._loss_and_prediction(out, y, sample_weight)
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        return self._metrics_result(y, prediction, sample_weight)

    @tf.autograph.experimental.do_not_convert
    def test_step(self, data):
        x, y, sample_weight = self._split_data(data)
        out = self(x, training=False)
        _, prediction = self._loss_and_prediction(out, y, sample_weight)
        return self._metrics_result(y, prediction, sample_weight)
