"""fairseq RoBERTa tensors and settings -> our tensor names and a `RobertaConfig`.

fairseq names the encoder `decoder.sentence_encoder.*` in the 2019 release files (roberta.base / large / mnli,
fused `self_attn.in_proj_weight`, `emb_layer_norm`) and `encoder.sentence_encoder.*` since (separate
`q_proj` / `k_proj` / `v_proj`, `layernorm_embedding`); both map through `FAIRSEQ_NAMES` onto the reference's names
(a fused `in_proj` is split into query, key and value). Learned positions carry fairseq's padding
offset (max_positions + padding_idx + 1 rows, the first real token at padding_idx + 1), which is the reference's
layout too, so they copy as they are.

The settings come from the checkpoint's `args` (an argparse Namespace, older files) or `cfg["model"]` (newer
files, a dict or a Namespace); sizes are read from the tensors, the head count and dropouts from the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import torch

from .unpickle import to_plain

_ENC = r"(?P<enc>encoder|decoder)\.sentence_encoder\."
_LAYER = _ENC + r"layers\.(?P<i>\d+)\."
_LEAF = r"(?P<leaf>weight|bias)"
_LM = r"(?:encoder|decoder)\.lm_head\."
_HEAD = r"classification_heads\.(?P<head>[^.]+)\."

_OURS = "roberta.encoder.layer.{i}."
# fairseq name pattern -> the reference's name. `{part}` is filled by the `part` group (q, k, v -> query, key,
# value); a fused `in_proj` tensor fills all three.
FAIRSEQ_NAMES: list[tuple[str, str]] = [
    (_ENC + r"embed_tokens\.weight", "roberta.embeddings.word_embeddings.weight"),
    (_ENC + r"embed_positions\.weight", "roberta.embeddings.position_embeddings.weight"),
    (_ENC + r"(?:emb_layer_norm|layernorm_embedding)\." + _LEAF, "roberta.embeddings.LayerNorm.{leaf}"),
    (_LAYER + r"self_attn\.in_proj_" + _LEAF, _OURS + "attention.self.{part}.{leaf}"),  # fused q, k, v
    (_LAYER + r"self_attn\.(?P<part>[qkv])_proj\." + _LEAF, _OURS + "attention.self.{part}.{leaf}"),
    (_LAYER + r"self_attn\.out_proj\." + _LEAF, _OURS + "attention.output.dense.{leaf}"),
    (_LAYER + r"(?:self_attn_layer_norm|layer_norms\.0)\." + _LEAF, _OURS + "attention.output.LayerNorm.{leaf}"),
    (_LAYER + r"fc1\." + _LEAF, _OURS + "intermediate.dense.{leaf}"),
    (_LAYER + r"fc2\." + _LEAF, _OURS + "output.dense.{leaf}"),
    (_LAYER + r"(?:final_layer_norm|layer_norms\.1)\." + _LEAF, _OURS + "output.LayerNorm.{leaf}"),
    (_LM + r"dense\." + _LEAF, "lm_head.dense.{leaf}"),
    (_LM + r"layer_norm\." + _LEAF, "lm_head.layer_norm.{leaf}"),
    (_LM + r"weight", "lm_head.decoder.weight"),
    (_LM + r"bias", "lm_head.bias"),
    (_HEAD + r"dense\." + _LEAF, "classifier.dense.{leaf}"),
    (_HEAD + r"out_proj\." + _LEAF, "classifier.out_proj.{leaf}"),
]
_COMPILED = [(re.compile(f"^{pattern}$"), ours) for pattern, ours in FAIRSEQ_NAMES]
_PARTS = {"q": "query", "k": "key", "v": "value"}
# Keys that hold no weights of the model: version counters, sinusoidal-position buffers, other heads' leftovers.
_SKIPPED = re.compile(r"(^|\.)(version|_float_tensor)$|^encoder\.(regression_head\.|_ema$)")
# A final LayerNorm after the stack exists only in pre-norm encoders, which the reference layout cannot hold.
_PRE_NORM = re.compile(r"^" + _ENC + r"layer_norm\.(weight|bias)$")

# fairseq activation name -> ours (`gelu` is erf-based in both; `gelu_accurate` is the tanh approximation).
ACTIVATIONS = {"gelu": "gelu", "gelu_accurate": "gelu_new", "gelu_fast": "gelu_new", "relu": "relu", "tanh": "tanh"}
LAYER_NORM_EPS = 1e-5  # fairseq's LayerNorm default
PADDING_IDX = 1  # fairseq Dictionary.pad()


def read_settings(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The model's settings as one plain dict: `cfg`'s criterion, task and model sections (model last), or `args`."""
    cfg = to_plain(checkpoint.get("cfg"))
    if isinstance(cfg, dict) and cfg.get("model") is not None:
        merged: dict[str, Any] = {}
        for section in ("criterion", "task", "model"):
            part = cfg.get(section)
            if isinstance(part, dict):
                merged.update(part)
        return merged
    args = to_plain(checkpoint.get("args"))
    if isinstance(args, dict):
        return args
    raise ValueError(
        "the checkpoint stores neither `args` nor `cfg['model']` (the fairseq settings); it is not a fairseq model "
        "checkpoint, or its settings were stripped"
    )


@dataclass
class MappedTensors:
    """fairseq tensors under our names, with what else the state dict held."""

    tensors: dict[str, torch.Tensor]
    heads: list[str]  # classification heads present in the checkpoint
    layout: str  # "decoder" (the 2019 release files) or "encoder" (later fairseq)
    lm_head_tied: bool | None  # None: no LM head in the checkpoint
    skipped: list[str] = field(default_factory=list)


def _match(name: str) -> tuple[str, dict[str, str]] | None:
    """(our name template, the groups of the fairseq pattern that matched), or None."""
    for pattern, target in _COMPILED:
        m = pattern.match(name)
        if m:
            return target, m.groupdict()
    return None


def map_tensors(state: dict[str, Any], head: str | None) -> MappedTensors:
    """Rename a fairseq `model` state dict to our names; `head` picks the classification head to keep."""
    ours: dict[str, torch.Tensor] = {}
    fused: dict[str, set[str]] = {}  # which of q, k, v each layer's projections came with
    heads: set[str] = set()
    layouts: set[str] = set()
    skipped, unknown = [], []
    for name, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise ValueError(f"the checkpoint's model entry {name!r} is a {type(tensor).__name__}, not a tensor")
        if _PRE_NORM.match(name):
            raise ValueError(
                f"the checkpoint has {name}: a pre-norm encoder (encoder_normalize_before), which the reference's "
                f"RoBERTa layout (post-norm) cannot hold"
            )
        found = _match(name)
        if found is None:
            (skipped if _SKIPPED.search(name) else unknown).append(name)
            continue
        target, groups = found
        if groups.get("enc"):
            layouts.add(groups["enc"])
        if groups.get("head") is not None:
            heads.add(groups["head"])
            if groups["head"] != head:
                skipped.append(name)
                continue
        fields = dict(i=groups.get("i"), leaf=groups.get("leaf"))
        if "{part}" not in target:
            ours[target.format(**fields)] = tensor
        elif groups.get("part"):
            ours[target.format(part=_PARTS[groups["part"]], **fields)] = tensor
            fused.setdefault(target.format(part="qkv", **fields), set()).add(groups["part"])
        else:  # in_proj: query, key and value stacked on dim 0, in that order
            for part, chunk in zip(_PARTS.values(), tensor.chunk(3, dim=0)):
                ours[target.format(part=part, **fields)] = chunk.clone()  # a tensor of its own
            fused.setdefault(target.format(part="qkv", **fields), set()).update(_PARTS)
    if unknown:
        raise ValueError(f"the checkpoint holds tensors this converter does not know: {', '.join(sorted(unknown))}")
    if len(layouts) != 1:
        raise ValueError(
            "the checkpoint's model has no `encoder.sentence_encoder.*` / `decoder.sentence_encoder.*` tensors"
            if not layouts
            else "the checkpoint mixes `encoder.sentence_encoder.*` and `decoder.sentence_encoder.*` tensors"
        )
    for key, parts in fused.items():
        if sorted(parts) != sorted(_PARTS):
            raise ValueError(f"{key}: the checkpoint has only the {'/'.join(sorted(parts))} projections of q, k, v")
    tied = None
    if "lm_head.decoder.weight" in ours:
        lm, emb = ours["lm_head.decoder.weight"], ours["roberta.embeddings.word_embeddings.weight"]
        tied = lm.shape == emb.shape and (lm.data_ptr() == emb.data_ptr() or torch.equal(lm, emb))
        if tied:
            del ours["lm_head.decoder.weight"]  # tied to the input embeddings, stored once
    return MappedTensors(ours, sorted(heads), layouts.pop(), tied, skipped)


def _setting(settings: dict[str, Any], key: str, default: Any) -> Any:
    value = settings.get(key)
    return default if value is None else value


def check_settings(settings: dict[str, Any], layout: str, *, masked_lm: bool) -> None:
    """Refuse the fairseq variants the reference's layout cannot express."""
    act = _setting(settings, "activation_fn", "gelu")
    if act not in ACTIVATIONS:
        raise ValueError(f"activation_fn={act!r} has no equivalent here; supported: {sorted(ACTIVATIONS)}")
    if masked_lm and ACTIVATIONS[act] != "gelu":
        raise ValueError(f"activation_fn={act!r}: the reference's LM head always applies gelu, fairseq's used {act}")
    pooler = _setting(settings, "pooler_activation_fn", "tanh")
    if not masked_lm and pooler != "tanh":
        raise ValueError(f"pooler_activation_fn={pooler!r}: the reference's classification head applies tanh")
    if layout == "encoder":  # the 2019 sentence encoder ignored these settings
        if _setting(settings, "encoder_normalize_before", False):
            raise ValueError("encoder_normalize_before=True (pre-norm) has no equivalent in the reference's layout")
        if not _setting(settings, "no_scale_embedding", True):
            raise ValueError("no_scale_embedding=False (embeddings scaled by sqrt(dim)) has no equivalent here")
        if not _setting(settings, "encoder_learned_pos", True):
            raise ValueError("encoder_learned_pos=False (sinusoidal positions) has no equivalent here")


def config_fields(settings: dict[str, Any], tensors: dict[str, torch.Tensor]) -> tuple[dict[str, Any], list[str]]:
    """RobertaConfig keywords from the tensors' shapes and the settings; notes for the user."""
    notes = []
    word = tensors.get("roberta.embeddings.word_embeddings.weight")
    positions = tensors.get("roberta.embeddings.position_embeddings.weight")
    if word is None or positions is None:
        raise ValueError("the checkpoint lacks the token or the learned position embeddings")
    if "roberta.embeddings.LayerNorm.weight" not in tensors:
        raise ValueError("the checkpoint has no embedding LayerNorm (layernorm_embedding), which the reference needs")
    hidden = word.shape[1]
    layers = 1 + max(int(k.split(".")[3]) for k in tensors if k.startswith("roberta.encoder.layer."))
    heads = settings.get("encoder_attention_heads")
    if heads is None:
        heads = max(1, hidden // 64)
        notes.append(f"the settings give no encoder_attention_heads; using {heads} (64 dimensions per head)")
    return (
        dict(
            vocab_size=word.shape[0],
            hidden_size=hidden,
            num_hidden_layers=layers,
            num_attention_heads=int(heads),
            intermediate_size=tensors["roberta.encoder.layer.0.intermediate.dense.weight"].shape[0],
            hidden_act=ACTIVATIONS[_setting(settings, "activation_fn", "gelu")],
            hidden_dropout_prob=float(_setting(settings, "dropout", 0.1)),
            attention_probs_dropout_prob=float(_setting(settings, "attention_dropout", 0.1)),
            classifier_dropout=float(_setting(settings, "pooler_dropout", 0.0)),
            max_position_embeddings=positions.shape[0],
            type_vocab_size=1,
            layer_norm_eps=LAYER_NORM_EPS,
            pad_token_id=PADDING_IDX,
            bos_token_id=0,
            eos_token_id=2,
        ),
        notes,
    )
