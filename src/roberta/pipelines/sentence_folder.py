"""A sentence-transformers folder (what `SentenceTransformer.save()` writes) read into a plain description.

Such a folder holds, beside the transformer's own files (config.json, weights, tokenizer files):

* `modules.json`: the module chain, `[{"idx", "name", "path", "type"}, ...]`, the transformer first, at the
  folder's root. Types are class paths: `sentence_transformers.models.Pooling` (before 5.x) or
  `sentence_transformers.sentence_transformer.modules.pooling.Pooling` (5.x); both are read;
* `sentence_bert_config.json`: the transformer module's settings. Before 5.x, `max_seq_length` and
  `do_lower_case`; from 5.x, `transformer_task` and `modality_config`, with the length limit kept as the
  tokenizer's `model_max_length` and lower-casing as a `Lowercase` normalizer in `tokenizer.json`;
* a Pooling folder (`1_Pooling/config.json`): `pooling_mode` (a name, or a list concatenated in its order;
  before 5.x the `pooling_mode_*_token(s)` flags, concatenated cls, max, mean, mean_sqrt_len_tokens,
  weightedmean, lasttoken), `include_prompt`;
* optionally Dense folders (`config.json`: `in_features`, `out_features`, `bias`, `activation_function`; weights
  in `model.safetensors` or `pytorch_model.bin`, read as plain tensors only) and a Normalize module;
* `config_sentence_transformers.json`: `prompts`, `default_prompt_name`, `similarity_fn_name`.

`read_sentence_folder(path)` returns None for a folder without `modules.json` (a plain checkpoint: callers keep
their own pooling). What the description does to hidden states lives in `sentence_pooling.py`; it follows the
sentence-transformers release the tests compare with (5.x).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .._io import read_json

MODULES_JSON = "modules.json"
CONFIG_ST = "config_sentence_transformers.json"
SBERT_CONFIG = "sentence_bert_config.json"
RUN_MODULES = ("Transformer", "Pooling", "Dense", "Normalize")

POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken")
# Pooling configs before sentence-transformers 5.x: one flag per mode, concatenated in this order.
LEGACY_POOLING_FLAGS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}

# Dense activations, saved by their torch class path; only these torch.nn classes (built with their default
# arguments) are ever instantiated.
ACTIVATIONS = (
    "Identity", "Tanh", "ReLU", "GELU", "Sigmoid", "SiLU", "ELU", "LeakyReLU", "Softplus", "Mish", "Hardtanh",
    "Tanhshrink", "Softsign", "SELU", "CELU", "ReLU6", "Hardswish", "Hardsigmoid", "LogSigmoid",
)  # fmt: skip
_ACTIVATION_MODULES = ("torch.nn.modules.activation.", "torch.nn.modules.linear.", "torch.nn.")
SIMILARITIES = ("cosine", "dot", "euclidean", "manhattan")


@dataclass(frozen=True)
class Pooling:
    """The Pooling module: `modes` (from POOLING_MODES, in concatenation order) over token states of width
    `dimension`; `include_prompt=False` leaves the prompt's tokens out of the pooling."""

    modes: tuple[str, ...]
    dimension: int
    include_prompt: bool = True

    @property
    def name(self) -> str:
        """The pooling's name: the modes joined by "+" (e.g. "cls", "mean+max")."""
        return "+".join(self.modes)


@dataclass(frozen=True)
class Dense:
    """A Dense module: `activation(x @ weight.T + bias)`, weight (out_features, in_features), on the sentence
    vector, or on each token's state where `on_tokens` (module_input_name "token_embeddings", before the
    Pooling)."""

    weight: torch.Tensor
    bias: torch.Tensor | None
    activation: str  # a name from ACTIVATIONS
    on_tokens: bool = False

    @property
    def in_features(self) -> int:
        return self.weight.shape[1]

    @property
    def out_features(self) -> int:
        return self.weight.shape[0]


@dataclass(frozen=True)
class Normalize:
    """The Normalize module: the vector divided by its L2 norm."""


Module = Pooling | Dense | Normalize


@dataclass(frozen=True)
class SentenceFolder:
    """What a sentence-transformers folder asks of an encoder: how to prepare texts (`max_seq_length`, None
    where the tokenizer's `model_max_length` holds it; `do_lower_case`; `prompts`, `default_prompt_name`) and
    what turns the transformer's last hidden state into the sentence vector (`modules`, in order, the
    transformer left out)."""

    path: Path
    modules: tuple[Module, ...]
    max_seq_length: int | None = None
    do_lower_case: bool = False
    prompts: dict[str, str] = field(default_factory=dict)
    default_prompt_name: str | None = None
    similarity_fn_name: str | None = None

    @property
    def pooling(self) -> Pooling:
        return next(m for m in self.modules if isinstance(m, Pooling))

    def output_size(self, hidden_size: int) -> int:
        """The width of the sentence vector for a transformer of `hidden_size`; ValueError where the modules'
        widths do not chain (a Pooling of another width, a Dense whose in_features differ)."""
        size = hidden_size
        for module in self.modules:
            if isinstance(module, Pooling):
                if module.dimension != size:
                    raise ValueError(
                        f"{self.path}: the Pooling module pools {module.dimension}-wide token states, "
                        f"but the model's hidden size is {size}"
                    )
                size *= len(module.modes)
            elif isinstance(module, Dense):
                if module.in_features != size:
                    raise ValueError(
                        f"{self.path}: a Dense module takes {module.in_features} features, but it is given {size}"
                    )
                size = module.out_features
        return size

    def choose_prompt(self, prompt_name: str | None = None, prompt: str | None = None) -> str | None:
        """The prompt a call uses, as `SentenceTransformer.encode` picks it: `prompt` if given (it wins over
        `prompt_name`), else the prompt named `prompt_name`, else the folder's default prompt, else None."""
        if prompt is not None:
            return prompt
        if prompt_name is not None:
            if prompt_name not in self.prompts:
                raise ValueError(
                    f"prompt_name {prompt_name!r} is not one of the folder's prompts {sorted(self.prompts)} "
                    f"({self.path / CONFIG_ST})"
                )
            return self.prompts[prompt_name]
        if self.default_prompt_name is not None:
            return self.prompts[self.default_prompt_name]
        return None

    def text_for(self, text: str, prompt: str | None = None) -> str:
        """The text the tokenizer sees: the prompt put first, lower-cased where the folder says so."""
        text = (prompt or "") + text
        return text.lower() if self.do_lower_case else text

    def prompt_length(self, tokenizer: Any, prompt: str | None, max_length: int) -> int:
        """How many leading tokens of a prompted input are the prompt, counted as sentence-transformers counts
        them: the prompt tokenized alone (`<s>` included), less a closing special token. 0 without a prompt
        (an empty one included) or where the Pooling module includes the prompt."""
        if not prompt or self.pooling.include_prompt:
            return 0
        ids = list(tokenizer(self.text_for(prompt), truncation=True, max_length=max_length)["input_ids"])
        closing = bool(ids) and ids[-1] in set(getattr(tokenizer, "all_special_ids", ()))
        return len(ids) - int(closing)


def read_sentence_folder(path: str | Path) -> SentenceFolder | None:
    """The description of the sentence-transformers folder `path`, or None when it has no `modules.json`.
    ValueError naming the file for what cannot be run as sentence-transformers would (a module other than
    Transformer, Pooling, Dense, Normalize; a transformer that is not a plain text encoder; bad values)."""
    path = Path(path)
    if not (path / MODULES_JSON).is_file():
        return None
    entries = read_json(path / MODULES_JSON)
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("type"), str) for e in entries
    ):
        raise ValueError(f"{path / MODULES_JSON} must be a list of modules, each with a 'type'")
    entries = sorted(entries, key=lambda e: e.get("idx", 0))
    kinds = [_kind(path, e) for e in entries]
    if not kinds or kinds[0] != "Transformer" or "Transformer" in kinds[1:]:
        raise ValueError(f"{path / MODULES_JSON}: the first module, and only it, must be a Transformer")
    if entries[0].get("path", "") not in ("", "."):
        raise ValueError(
            f"{path / MODULES_JSON}: the transformer lives in the subfolder {entries[0]['path']!r}; only folders "
            f"with the transformer at their root (as sentence-transformers >= 2 saves them) are read"
        )
    modules = tuple(_read_module(path / str(e.get("path", "")), kind) for e, kind in zip(entries[1:], kinds[1:]))
    _check_order(modules, path / MODULES_JSON)
    return SentenceFolder(path=path, modules=modules, **_transformer_settings(path), **_prompts(path / CONFIG_ST))


def _kind(root: Path, entry: dict[str, Any]) -> str:
    """The module kind (one of RUN_MODULES) a modules.json type names, whichever release's class path it is."""
    ref = entry["type"]
    name = ref.rsplit(".", 1)[-1]
    if ref.startswith("sentence_transformers.") and name in RUN_MODULES:
        return name
    raise ValueError(
        f"{root / MODULES_JSON}: module {entry.get('name', ref)!r} is a {ref}, which this library does not run "
        f"(it runs sentence-transformers' {', '.join(RUN_MODULES)} modules)"
    )


def _check_order(modules: tuple[Module, ...], file: Path) -> None:
    """One Pooling; before it only Dense modules on the token states, after it only sentence-level ones."""
    pools = [i for i, m in enumerate(modules) if isinstance(m, Pooling)]
    if len(pools) != 1:
        raise ValueError(f"{file}: the chain must hold one Pooling module, it holds {len(pools)}")
    for i, m in enumerate(modules):
        on_tokens = isinstance(m, Dense) and m.on_tokens
        if i < pools[0] and not on_tokens:
            raise ValueError(f"{file}: before the Pooling only Dense modules on token_embeddings can run")
        if i > pools[0] and on_tokens:
            raise ValueError(f"{file}: a Dense module on token_embeddings after the Pooling changes no sentence vector")


def _read_module(folder: Path, kind: str) -> Module:
    if kind == "Pooling":
        return _read_pooling(folder / "config.json")
    if kind == "Dense":
        return _read_dense(folder)
    return Normalize()


def _transformer_settings(root: Path) -> dict[str, Any]:
    """max_seq_length and do_lower_case of the transformer module, from either release's files."""
    file = root / SBERT_CONFIG
    config = _optional_json(file)
    task = config.get("transformer_task", "feature-extraction")
    modalities = config.get("modality_config") or {"text": {}}
    text = modalities.get("text") if isinstance(modalities, dict) else None
    if task != "feature-extraction" or set(modalities) != {"text"} or not isinstance(text, dict):
        raise ValueError(f"{file}: only a text feature-extraction transformer is run here, not {task!r} / {modalities}")
    output = (text.get("method", "forward"), text.get("method_output_name", "last_hidden_state"))
    if output != ("forward", "last_hidden_state") or config.get("module_output_name", "token_embeddings") != (
        "token_embeddings"
    ):
        raise ValueError(f"{file}: the transformer must give forward's last_hidden_state as its token_embeddings")
    limit = _get(config, "max_seq_length", int, file, positive=True)
    for key in ("processor_kwargs", "tokenizer_args"):  # the tokenizer's own settings, as ST passes them
        if limit is None and isinstance(config.get(key), dict):
            limit = _get(config[key], "model_max_length", int, file, positive=True)
    lower = bool(_get(config, "do_lower_case", bool, file)) or _lowercase_normalizer(root / "tokenizer.json")
    return {"max_seq_length": limit, "do_lower_case": lower}


def _lowercase_normalizer(file: Path) -> bool:
    """Whether tokenizer.json lower-cases (sentence-transformers 5.x saves do_lower_case so). The fast
    tokenizer applies that normalizer itself; the text is lower-cased as well so that any tokenizer agrees."""
    if not file.is_file():
        return False
    normalizer = (_optional_json(file).get("normalizer")) or {}
    parts = normalizer.get("normalizers", []) if normalizer.get("type") == "Sequence" else [normalizer]
    return any(isinstance(p, dict) and p.get("type") == "Lowercase" for p in parts)


def _read_pooling(file: Path) -> Pooling:
    config = read_json(file)
    if not isinstance(config, dict):
        raise ValueError(f"{file} must hold a JSON object")
    mode = config.get("pooling_mode")
    if mode is None:
        modes = tuple(m for key, m in LEGACY_POOLING_FLAGS.items() if _get(config, key, bool, file)) or ("mean",)
    else:
        modes = (mode,) if isinstance(mode, str) else tuple(mode) if isinstance(mode, list) else ()
        if not modes or any(m not in POOLING_MODES for m in modes):
            raise ValueError(f"{file}: pooling_mode must be one of {POOLING_MODES} or a list of them, got {mode!r}")
    width = _get(config, "embedding_dimension", int, file, positive=True)
    width = width or _get(config, "word_embedding_dimension", int, file, required=True, positive=True)
    include = _get(config, "include_prompt", bool, file)
    return Pooling(modes=modes, dimension=width, include_prompt=True if include is None else include)


def _read_dense(folder: Path) -> Dense:
    from ..modeling.checkpoint_files import materialize, open_weight_files

    file = folder / "config.json"
    config = read_json(file)
    if not isinstance(config, dict):
        raise ValueError(f"{file} must hold a JSON object")
    n_in = _get(config, "in_features", int, file, required=True, positive=True)
    n_out = _get(config, "out_features", int, file, required=True, positive=True)
    has_bias = _get(config, "bias", bool, file)
    has_bias = True if has_bias is None else has_bias
    activation = activation_name(config.get("activation_function", "torch.nn.modules.activation.Tanh"), file)
    source = config.get("module_input_name") or "sentence_embedding"
    target = config.get("module_output_name") or source
    if source != target or source not in ("sentence_embedding", "token_embeddings"):
        raise ValueError(
            f"{file}: a Dense module from {source!r} to {target!r} is not run here (only sentence_embedding or "
            f"token_embeddings, mapped in place)"
        )
    weights = [folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).is_file()]
    if not weights:
        raise FileNotFoundError(f"{folder} holds no Dense weights (model.safetensors or pytorch_model.bin)")
    with open_weight_files([str(weights[0])]) as state:  # plain tensors only (the tensors-only readers)
        tensors = {name: materialize(t).float() for name, t in state.items()}
    weight, bias = tensors.get("linear.weight"), tensors.get("linear.bias")
    if weight is None or tuple(weight.shape) != (n_out, n_in):
        got = None if weight is None else tuple(weight.shape)
        raise ValueError(f"{weights[0]}: linear.weight must be shaped ({n_out}, {n_in}) as {file} says, got {got}")
    if has_bias and (bias is None or tuple(bias.shape) != (n_out,)):
        got = None if bias is None else tuple(bias.shape)
        raise ValueError(f"{weights[0]}: linear.bias must be shaped ({n_out},), got {got}")
    return Dense(weight, bias if has_bias else None, activation, on_tokens=source == "token_embeddings")


def activation_name(value: Any, file: Path) -> str:
    name = value.rsplit(".", 1)[-1] if isinstance(value, str) else None
    if name not in ACTIVATIONS or not any(value == p + name for p in _ACTIVATION_MODULES):
        raise ValueError(
            f"{file}: activation_function {value!r} is not one this library runs "
            f"(torch.nn.modules.activation.NAME or torch.nn.NAME with NAME one of {', '.join(ACTIVATIONS)})"
        )
    return name


def _prompts(file: Path) -> dict[str, Any]:
    config = _optional_json(file)
    prompts = config.get("prompts") or {}
    if not isinstance(prompts, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in prompts.items()):
        raise ValueError(f"{file}: prompts must map names to prompt strings")
    default = _get(config, "default_prompt_name", str, file)
    if default is not None and default not in prompts:
        raise ValueError(f"{file}: default_prompt_name {default!r} is not one of the prompts {sorted(prompts)}")
    similarity = _get(config, "similarity_fn_name", str, file)
    if similarity is not None and similarity not in SIMILARITIES:
        raise ValueError(f"{file}: similarity_fn_name {similarity!r} is not one of {SIMILARITIES}")
    return {"prompts": dict(prompts), "default_prompt_name": default, "similarity_fn_name": similarity}


def _optional_json(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    config = read_json(file)
    if not isinstance(config, dict):
        raise ValueError(f"{file} must hold a JSON object")
    return config


def _get(config: dict[str, Any], key: str, kind: type, file: Path, *, required: bool = False, positive: bool = False):
    """`config[key]` checked to be a `kind` (None when absent or null, unless `required`)."""
    value = config.get(key)
    if value is None:
        if required:
            raise ValueError(f"{file} lacks {key!r}")
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)) or (positive and value < 1):
        wanted = f"a positive {kind.__name__}" if positive else f"a {kind.__name__}"
        raise ValueError(f"{file}: {key} must be {wanted}, got {value!r}")
    return value
