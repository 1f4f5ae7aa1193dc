"""fairseq-shaped RoBERTa checkpoints built from random tensors, and a forward pass written over their names.

Nothing here uses the converter: names, shapes and the computation follow fairseq's RoBERTa
(fairseq/models/roberta/model.py, modules/transformer_sentence_encoder*.py, modules/multihead_attention.py).
"""

from __future__ import annotations

import argparse
import enum
import sys
import types
import typing
from collections import defaultdict

import torch
import torch.nn.functional as F

PAD = 1
SIZES = dict(hidden=16, layers=2, heads=4, ffn=24, max_positions=30)


def make_state(
    vocab_rows: int,
    *,
    layout: str = "encoder",
    heads: dict[str, int] | None = None,
    untied: bool = False,
    dtype: torch.dtype = torch.float32,
    seed: int = 0,
) -> dict[str, torch.Tensor]:
    """A fairseq `model` state dict. layout "decoder": the 2019 release files (decoder.sentence_encoder.*, fused
    in_proj, emb_layer_norm); "encoder": later fairseq (encoder.sentence_encoder.*, q/k/v_proj,
    layernorm_embedding, a version buffer)."""
    g = torch.Generator().manual_seed(seed)
    h, ffn = SIZES["hidden"], SIZES["ffn"]

    def rand(*shape, scale=0.3):
        return (torch.randn(*shape, generator=g) * scale).to(dtype)

    def norm(prefix):
        return {f"{prefix}.weight": (1 + rand(h, scale=0.1)), f"{prefix}.bias": rand(h, scale=0.1)}

    enc = f"{layout}.sentence_encoder"
    state = {
        f"{enc}.embed_tokens.weight": rand(vocab_rows, h),
        f"{enc}.embed_positions.weight": rand(SIZES["max_positions"] + PAD + 1, h),
        **norm(f"{enc}.emb_layer_norm" if layout == "decoder" else f"{enc}.layernorm_embedding"),
    }
    state[f"{enc}.embed_tokens.weight"][PAD] = 0
    for i in range(SIZES["layers"]):
        p = f"{enc}.layers.{i}"
        if layout == "decoder":
            state[f"{p}.self_attn.in_proj_weight"] = rand(3 * h, h)
            state[f"{p}.self_attn.in_proj_bias"] = rand(3 * h)
        else:
            for part in "kvq":  # fairseq's module order
                state[f"{p}.self_attn.{part}_proj.weight"] = rand(h, h)
                state[f"{p}.self_attn.{part}_proj.bias"] = rand(h)
        state.update(
            {
                f"{p}.self_attn.out_proj.weight": rand(h, h),
                f"{p}.self_attn.out_proj.bias": rand(h),
                **norm(f"{p}.self_attn_layer_norm"),
                f"{p}.fc1.weight": rand(ffn, h),
                f"{p}.fc1.bias": rand(ffn),
                f"{p}.fc2.weight": rand(h, ffn),
                f"{p}.fc2.bias": rand(h),
                **norm(f"{p}.final_layer_norm"),
            }
        )
    if layout == "encoder":
        state[f"{enc}.version"] = torch.tensor([2.0])
    lm = f"{layout}.lm_head"
    state.update(
        {
            f"{lm}.dense.weight": rand(h, h),
            f"{lm}.dense.bias": rand(h),
            **norm(f"{lm}.layer_norm"),
            f"{lm}.weight": rand(vocab_rows, h) if untied else state[f"{enc}.embed_tokens.weight"],
            f"{lm}.bias": rand(vocab_rows),
        }
    )
    for name, n in (heads or {}).items():
        state.update(
            {
                f"classification_heads.{name}.dense.weight": rand(h, h),
                f"classification_heads.{name}.dense.bias": rand(h),
                f"classification_heads.{name}.out_proj.weight": rand(n, h),
                f"classification_heads.{name}.out_proj.bias": rand(n),
            }
        )
    return state


def settings(**overrides) -> dict:
    """fairseq's RoBERTa settings for `SIZES` (as `args` / `cfg.model` store them)."""
    return {
        "arch": "roberta_base",
        "encoder_layers": SIZES["layers"],
        "encoder_embed_dim": SIZES["hidden"],
        "encoder_ffn_embed_dim": SIZES["ffn"],
        "encoder_attention_heads": SIZES["heads"],
        "activation_fn": "gelu",
        "pooler_activation_fn": "tanh",
        "dropout": 0.1,
        "attention_dropout": 0.1,
        "pooler_dropout": 0.0,
        "max_positions": SIZES["max_positions"],
        **overrides,
    }


# ---------------------------------------------------------------- the forward pass over fairseq names
def fairseq_forward(state: dict[str, torch.Tensor], tokens: torch.Tensor, head: str | None = None) -> torch.Tensor:
    """LM logits (B, T, V), or the classification head's logits (B, C), computed in fp32 from fairseq's names."""
    s = {k: v.float() for k, v in state.items()}
    layout = "decoder" if any(k.startswith("decoder.") for k in s) else "encoder"
    enc = f"{layout}.sentence_encoder"
    h, n_heads = SIZES["hidden"], SIZES["heads"]
    pad_mask = tokens.eq(PAD)  # (B, T)
    positions = torch.cumsum(~pad_mask, dim=1) * (~pad_mask) + PAD  # fairseq's make_positions
    x = s[f"{enc}.embed_tokens.weight"][tokens] + s[f"{enc}.embed_positions.weight"][positions]
    ln = "emb_layer_norm" if layout == "decoder" else "layernorm_embedding"
    x = F.layer_norm(x, (h,), s[f"{enc}.{ln}.weight"], s[f"{enc}.{ln}.bias"], eps=1e-5)
    x = x * (~pad_mask).unsqueeze(-1)
    for i in range(SIZES["layers"]):
        p = f"{enc}.layers.{i}"
        if layout == "decoder":
            wq, wk, wv = s[f"{p}.self_attn.in_proj_weight"].chunk(3)
            bq, bk, bv = s[f"{p}.self_attn.in_proj_bias"].chunk(3)
        else:
            wq, wk, wv = (s[f"{p}.self_attn.{c}_proj.weight"] for c in "qkv")
            bq, bk, bv = (s[f"{p}.self_attn.{c}_proj.bias"] for c in "qkv")
        b, t, _ = x.shape
        q, k, v = (
            y.view(b, t, n_heads, h // n_heads).transpose(1, 2)  # (B, H, T, D)
            for y in (F.linear(x, wq, bq) * (h // n_heads) ** -0.5, F.linear(x, wk, bk), F.linear(x, wv, bv))
        )
        scores = (q @ k.transpose(-1, -2)).masked_fill(pad_mask[:, None, None, :], float("-inf"))
        attn = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, h)
        x = x + F.linear(attn, s[f"{p}.self_attn.out_proj.weight"], s[f"{p}.self_attn.out_proj.bias"])
        x = F.layer_norm(x, (h,), s[f"{p}.self_attn_layer_norm.weight"], s[f"{p}.self_attn_layer_norm.bias"], 1e-5)
        y = F.gelu(F.linear(x, s[f"{p}.fc1.weight"], s[f"{p}.fc1.bias"]))
        x = x + F.linear(y, s[f"{p}.fc2.weight"], s[f"{p}.fc2.bias"])
        x = F.layer_norm(x, (h,), s[f"{p}.final_layer_norm.weight"], s[f"{p}.final_layer_norm.bias"], 1e-5)
    if head is not None:
        c = f"classification_heads.{head}"
        y = torch.tanh(F.linear(x[:, 0], s[f"{c}.dense.weight"], s[f"{c}.dense.bias"]))
        return F.linear(y, s[f"{c}.out_proj.weight"], s[f"{c}.out_proj.bias"])
    lm = f"{layout}.lm_head"
    y = F.gelu(F.linear(x, s[f"{lm}.dense.weight"], s[f"{lm}.dense.bias"]))
    y = F.layer_norm(y, (h,), s[f"{lm}.layer_norm.weight"], s[f"{lm}.layer_norm.bias"], 1e-5)
    return F.linear(y, s[f"{lm}.weight"]) + s[f"{lm}.bias"]


# ---------------------------------------------------------------- the stored config objects
class _DDPBackend(enum.Enum):  # stands for fairseq's enums (pickled as `fairseq.dataclass.constants.X(value)`)
    C10D = "c10d"


def _fake_module(name: str, **members) -> types.ModuleType:
    module = types.ModuleType(name)
    for attr, value in members.items():
        value.__module__, value.__qualname__, value.__name__ = name, attr, attr
        setattr(module, attr, value)
    return module


class _Metadata:  # omegaconf.base.Metadata / ContainerMetadata keep these fields (omegaconf 2.0)
    def __init__(self, **fields):
        self.__dict__.update(fields)


class _Node:  # omegaconf.nodes.AnyNode: {_metadata, _parent, _val}
    pass


class _DictConfig:  # omegaconf.dictconfig.DictConfig: {_metadata, _parent, _content}
    pass


def omegaconf_like(content: dict, monkeypatch) -> object:
    """A DictConfig laid out as omegaconf 2.0 pickles it, built from stand-in classes registered under
    omegaconf's and fairseq's module names (so pickle stores those names). Call inside the test that saves it."""
    modules = {
        **{name: types.ModuleType(name) for name in ("omegaconf", "fairseq", "fairseq.dataclass")},
        "omegaconf.base": _fake_module("omegaconf.base", ContainerMetadata=_Metadata),
        "omegaconf.nodes": _fake_module("omegaconf.nodes", AnyNode=_Node),
        "omegaconf.dictconfig": _fake_module("omegaconf.dictconfig", DictConfig=_DictConfig),
        "fairseq.dataclass.constants": _fake_module("fairseq.dataclass.constants", DDP_BACKEND_CHOICES=_DDPBackend),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)

    def meta(key):
        return _Metadata(
            ref_type=typing.Optional[int],  # noqa: UP045 (what omegaconf 2.0 stored: pickled via operator.getitem)
            object_type=dict,
            optional=True,
            key=key,
            flags={"struct": True},
            resolver_cache=defaultdict(dict),
        )

    def build(value, key, parent):
        if isinstance(value, dict):
            node = _DictConfig()
            node.__dict__.update(_metadata=meta(key), _parent=parent, _content={})
            node._content.update({k: build(v, k, node) for k, v in value.items()})
            return node
        leaf = _Node()
        leaf.__dict__.update(_metadata=meta(key), _parent=parent, _val=value)
        return leaf

    return build(content, None, None)


def save(path, state, *, style: str, legacy: bool = False, extra: dict | None = None, monkeypatch=None, **overrides):
    """Write a fairseq checkpoint: style "args" (argparse.Namespace, older files), "cfg" (a dict with a Namespace
    as cfg.model, fairseq since 2021) or "omegaconf" (a pickled DictConfig, fairseq of late 2020)."""
    model_settings = settings(**overrides)
    ckpt = {"model": state, "optimizer_history": [{"num_updates": 7}], "extra_state": {"epoch": 3}, **(extra or {})}
    if style == "args":
        ckpt["args"] = argparse.Namespace(task="masked_lm", **model_settings)
    elif style == "cfg":
        ckpt.update(args=None, cfg={"task": {"_name": "masked_lm"}, "model": argparse.Namespace(**model_settings)})
    elif style == "omegaconf":
        tree = {"common": {"ddp_backend": _DDPBackend.C10D}, "task": {"_name": "masked_lm"}, "model": model_settings}
        ckpt.update(args=None, cfg=omegaconf_like(tree, monkeypatch))
    else:
        raise AssertionError(style)
    torch.save(ckpt, path, _use_new_zipfile_serialization=not legacy)
    return path
