"""`RobertaPreTrainedModel`: weight init, tying, resizing, and `from_pretrained` / `save_pretrained`."""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
from typing import Any

import torch
from torch import nn

from ..checkpoint_dir import committed
from ..config import _DEFAULTS, RobertaConfig
from ..devices import parse_device, parse_dtype
from ..hub import resolve_model_dir
from . import precision
from .attention import check_backend_name
from .checkpoint_files import find_weight_files, materialize, open_weight_files, write_checkpoint
from .utilities import ModuleUtilities
from .weights import add_or_strip_prefix, from_disk

logger = logging.getLogger(__name__)

_HUB_KWARGS = (
    "cache_dir",
    "revision",
    "local_files_only",
    "token",
    "use_auth_token",
    "force_download",
    "proxies",
    "resume_download",
    "subfolder",
    "trust_remote_code",
    "low_cpu_mem_usage",
    "use_safetensors",
)
_LABEL_KWARGS = ("num_labels", "id2label", "label2id")


def _parse_device_map(device_map: Any) -> torch.device | None:
    """`device_map`: None, "auto", a device, or a dict naming one device (a model is not split over devices)."""
    if device_map is None:
        return None
    if isinstance(device_map, dict):
        devices = set(device_map.values())
        if len(devices) != 1:
            raise ValueError(
                "device_map spreading a model over several devices is not supported; "
                "pass one device, 'auto', or a dict naming one device"
            )
        device_map = devices.pop()
    return parse_device(device_map, auto=True)


def _check_fits_in_memory(config: RobertaConfig) -> None:
    """Fail at once, with the estimate, for a config whose weights alone exceed this machine's memory (instead
    of allocating for minutes first)."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return  # not knowable here
    count = config.estimated_parameters()
    need = count * torch.get_default_dtype().itemsize
    if need > memory:
        raise ValueError(
            f"this config describes a model of about {count:,} parameters ({need / 2**30:,.1f} GiB in "
            f"{str(torch.get_default_dtype()).replace('torch.', '')}), more than this machine's "
            f"{memory / 2**30:,.1f} GiB of memory: check num_hidden_layers, hidden_size, intermediate_size and "
            f"vocab_size"
        )


class RobertaPreTrainedModel(ModuleUtilities, nn.Module):
    """Base of every RoBERTa model: holds the config, initialises and ties weights, loads and saves checkpoints."""

    config_class = RobertaConfig
    base_model_prefix = "roberta"
    _no_split_modules = ["RobertaEmbeddings", "RobertaLayer"]  # accelerate's device_map keeps each whole
    _keys_to_ignore_on_save = None  # read by transformers' Trainer when a checkpoint lacks keys
    # Head classes list unexpected checkpoint keys that are fine to drop (e.g. a pooler they don't use).
    _ignore_unexpected = (r"pooler\.",)

    def __init__(self, config: RobertaConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(config, RobertaConfig):
            raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
        _check_fits_in_memory(config)
        self.config = config

    # ------------------------------------------------------------------ init and tying
    def post_init(self) -> None:
        self.apply(self._init_weights)
        self.tie_weights()

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif (
            hasattr(module, "bias")
            and isinstance(module.bias, nn.Parameter)
            and module.bias.dim() == 1
            and not isinstance(module, (nn.Linear, nn.LayerNorm))
        ):
            nn.init.zeros_(module.bias)  # the LM head's output bias

    def init_weights(self) -> None:
        self.apply(self._init_weights)
        self.tie_weights()

    def get_input_embeddings(self) -> nn.Embedding:
        return getattr(self, self.base_model_prefix).get_input_embeddings()

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        getattr(self, self.base_model_prefix).set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Linear | None:
        return None

    def tie_weights(self) -> None:
        out = self.get_output_embeddings()
        if out is not None and self.config.tie_word_embeddings:
            out.weight = self.get_input_embeddings().weight
        for module in self.modules():  # e.g. the LM head's decoder.bias, which is its bias
            if hasattr(module, "_tie_weights"):
                module._tie_weights()

    @property
    def base_model(self) -> nn.Module:
        return getattr(self, self.base_model_prefix, self)

    # ------------------------------------------------------------------ resizing
    def resize_token_embeddings(
        self, new_num_tokens: int | None = None, pad_to_multiple_of: int | None = None, mean_resizing: bool = True
    ) -> nn.Embedding:
        """Grow or shrink the vocabulary. New rows start at the mean of the old embeddings (as the reference's
        mean resizing, whose sampled noise has negligible variance); a tied LM head follows, its bias padded
        with zeros."""
        old = self.get_input_embeddings()
        n = old.num_embeddings if new_num_tokens is None else int(new_num_tokens)
        if pad_to_multiple_of is not None:
            n = ((n + pad_to_multiple_of - 1) // pad_to_multiple_of) * pad_to_multiple_of
        if n <= 0:
            raise ValueError(f"new_num_tokens must be positive, got {n}")
        if n == old.num_embeddings:
            return old
        new = nn.Embedding(
            n, old.embedding_dim, padding_idx=old.padding_idx, device=old.weight.device, dtype=old.weight.dtype
        )
        keep = min(n, old.num_embeddings)
        with torch.no_grad():
            new.weight[:keep] = old.weight[:keep]
            if n > keep:
                fill = old.weight.float().mean(0).to(old.weight.dtype) if mean_resizing else 0.0
                if mean_resizing:
                    new.weight[keep:] = fill
                else:
                    nn.init.normal_(new.weight[keep:], std=self.config.initializer_range)
        self.set_input_embeddings(new)
        out = self.get_output_embeddings()
        if out is not None:
            head = self.lm_head
            if not self.config.tie_word_embeddings:
                w = torch.zeros(n, out.in_features, dtype=out.weight.dtype, device=out.weight.device)
                with torch.no_grad():
                    w[:keep] = out.weight[:keep]
                    if n > keep:
                        w[keep:] = out.weight.float().mean(0).to(w.dtype)
                out.weight = nn.Parameter(w)
            out.out_features = n
            b = torch.zeros(n, dtype=head.bias.dtype, device=head.bias.device)
            with torch.no_grad():
                b[:keep] = head.bias[:keep]
            head.bias = nn.Parameter(b)
        self.config.vocab_size = n
        self.tie_weights()
        return self.get_input_embeddings()

    # ------------------------------------------------------------------ saving
    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        *,
        safe_serialization: bool = True,
        max_shard_size: int | str = "5GB",
        state_dict: dict | None = None,
        is_main_process: bool = True,
        **_: Any,
    ) -> None:
        """Write `config.json` and the weights in the reference's layout, atomically across files: after a
        kill at any point the folder loads as the previous save or this one, never a mix (see
        `roberta.checkpoint_dir`). Only files that earlier saves wrote are replaced or removed."""
        if not is_main_process:
            return
        if state_dict is None:
            state = self._state_for_saving()
        else:  # a full state dict (Trainer, accelerate): tied names are stored once, as the reference does
            tied = self._tied_names()
            state = {k: v.detach() for k, v in state_dict.items() if k not in tied}
        config = copy.deepcopy(self.config)
        config.architectures = [type(self).__name__]
        config.torch_dtype = str(self.dtype).replace("torch.", "")
        write_checkpoint(
            os.fspath(save_directory),
            state,
            config.to_dict(),
            max_shard_size=max_shard_size,
            safe_serialization=safe_serialization,
        )

    def _state_for_saving(self) -> dict[str, torch.Tensor]:
        state = {}
        seen: set[int] = set()
        for name, p in self.state_dict(keep_vars=True).items():
            if id(p) in seen:  # tied weights are stored once, under the first name (the input embeddings)
                continue
            seen.add(id(p))
            state[name] = p.detach()
        return state

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(
        cls,
        pretrained_model_name_or_path: str | os.PathLike,
        *model_args: Any,
        config: RobertaConfig | None = None,
        state_dict: dict | None = None,
        ignore_mismatched_sizes: bool = False,
        output_loading_info: bool = False,
        dtype: Any = None,
        torch_dtype: Any = None,
        attn_implementation: str | None = None,
        device_map: Any = None,
        **kwargs: Any,
    ):
        """Load a checkpoint directory (or a cached hub id) in the reference's layout.

        Accepts the reference's keywords: `config`, `num_labels`, `id2label`, `label2id`, `problem_type` and any
        other config field, `dtype` (alias `torch_dtype`, or "auto"), `attn_implementation`, `device_map`
        ("auto", a device, or a dict naming one device), `ignore_mismatched_sizes`, `output_loading_info`,
        `state_dict`, `from_flax` (read `flax_model.msgpack`; a Flax-tagged `model.safetensors` is read as
        Flax weights without it), `from_tf` (read `tf_model.h5`; a TF-tagged `model.safetensors` likewise is read
        without it). Other keywords go to the model's constructor (e.g. `add_pooling_layer=False`).
        """
        path = os.fspath(pretrained_model_name_or_path)
        subfolder = kwargs.pop("subfolder", None)
        if subfolder:  # the checkpoint sits in a folder inside the model's folder (or its cached snapshot)
            path = resolve_model_dir(path, subfolder=subfolder)
        from_flax = kwargs.pop("from_flax", False)
        from_tf = kwargs.pop("from_tf", False)
        hub = {k: kwargs.pop(k) for k in _HUB_KWARGS if k in kwargs}
        hub_for_files = {k: hub[k] for k in ("cache_dir", "revision") if k in hub}
        config_fields = set(_DEFAULTS) | set(_LABEL_KWARGS) | {"problem_type"}
        overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in config_fields}
        use_safetensors = hub.get("use_safetensors")
        files, save_id, stored_config, foreign = None, None, path, None
        if state_dict is None:  # weights of another framework, as the reference's PyTorch names
            from ..modeling_flax.weights import read_flax_for_pytorch  # NumPy only: no JAX
            from ..modeling_tf.to_pytorch import read_tf_for_pytorch  # h5py / NumPy only: no TensorFlow

            foreign = read_flax_for_pytorch(path, from_flax=from_flax, **hub_for_files)  # None: not Flax weights
            if foreign is None:
                foreign = read_tf_for_pytorch(path, from_tf=from_tf, **hub_for_files)  # None: not TF weights
        if state_dict is None and foreign is None and os.path.isdir(path):
            found = committed(path, use_safetensors)  # config and weights of one save, chosen together
            files, save_id = found.files, (found.record or {}).get("id")
            stored_config = found.config if found.config is not None else (found.config_path or path)
        if config is None:
            config = cls.config_class.from_pretrained(stored_config, **hub_for_files, **overrides)
        else:
            config = copy.deepcopy(config).updated(**overrides)
        if attn_implementation is not None:
            config._attn_implementation = check_backend_name(attn_implementation)
        torch_dtype = parse_dtype(dtype if dtype is not None else torch_dtype, auto=config.torch_dtype)
        device = _parse_device_map(device_map)
        if state_dict is None and foreign is None and files is None:  # a hub id in the local cache
            files = find_weight_files(path, use_safetensors=use_safetensors, **hub_for_files)
        with torch.device("meta"):  # no memory and no random init; loaded tensors are assigned in place
            model = cls(config, *model_args, **kwargs)
        with contextlib.ExitStack() as stack:
            if state_dict is not None or foreign is not None:
                disk = dict(state_dict if state_dict is not None else foreign)
            else:
                disk = stack.enter_context(open_weight_files(files, save_id))
            info = model._load_disk_state(disk, ignore_mismatched_sizes=ignore_mismatched_sizes, dtype=torch_dtype)
        if device is not None:
            model.to(device)
            model.hf_device_map = {"": str(device)}  # one device holds the whole model
        if torch_dtype is torch.bfloat16:  # the bf16 mode (modeling/precision.py): norms stay fp32
            precision.keep_norms_fp32(model)
            precision.announce(model)
        model.config._name_or_path = os.fspath(pretrained_model_name_or_path)
        model.eval()
        if output_loading_info:
            return model, info
        return model

    def _load_disk_state(
        self, disk: dict[str, torch.Tensor], *, ignore_mismatched_sizes: bool, dtype: torch.dtype | None
    ) -> dict[str, list]:
        ours, ignored = from_disk(disk)
        expected = self.state_dict(keep_vars=True)
        ours = add_or_strip_prefix(ours, expected.keys(), self.base_model_prefix)
        tied = self._tied_names()
        mismatched, unexpected, load = [], [], {}
        for name, tensor in ours.items():
            if name in tied:
                continue  # the tie gives it its value; a stored copy is never read
            if name not in expected:
                if not any(re.search(p, name) for p in self._ignore_unexpected):
                    unexpected.append(name)
                continue
            want = expected[name]
            if tuple(tensor.shape) != tuple(want.shape):
                mismatched.append((name, tuple(tensor.shape), tuple(want.shape)))
                continue
            tensor = materialize(tensor)  # read from the file now that it is known to be needed
            if tensor.is_floating_point() and tensor.dtype != (dtype or want.dtype):
                tensor = tensor.to(dtype or want.dtype)  # the reference loads into float32 unless told otherwise
            load[name] = tensor
        if mismatched and not ignore_mismatched_sizes:
            listing = "; ".join(f"{n}: checkpoint {a}, model {b}" for n, a, b in mismatched)
            raise ValueError(
                f"checkpoint shapes differ from the model's: {listing}. Pass "
                f"ignore_mismatched_sizes=True to re-initialise them (e.g. a new num_labels)"
            )
        missing = [n for n in expected if n not in load and n not in tied]
        self.load_state_dict(load, strict=False, assign=True)
        self.tie_weights()  # first, so a tied output layer is not allocated and initialised for nothing
        self._materialize_missing(dtype)
        self.tie_weights()
        info = {
            "missing_keys": missing,
            "unexpected_keys": unexpected,
            "mismatched_keys": mismatched,
            "error_msgs": [],
            "ignored_keys": ignored,
        }
        if missing or mismatched:
            logger.warning(
                "Some weights of %s were not in the checkpoint and are newly initialised: %s. You should probably "
                "train this model on a downstream task (roberta finetune ...) before using it for predictions.",
                type(self).__name__,
                ", ".join(missing + [m[0] for m in mismatched]),
            )
        if unexpected:  # expected when loading another head's checkpoint (the reference then says it at info)
            warn = logger.warning if type(self).__name__ in (self.config.architectures or []) else logger.info
            warn("Some checkpoint weights were not used by %s: %s", type(self).__name__, ", ".join(unexpected))
        return info

    def _tied_names(self) -> set[str]:
        """Parameter names that share storage with an earlier name (not expected on disk)."""
        seen, tied = set(), set()
        for name, p in self.state_dict(keep_vars=True).items():
            if id(p) in seen:
                tied.add(name)
            seen.add(id(p))
        return tied

    def _materialize_missing(self, dtype: torch.dtype | None) -> None:
        """Parameters still on the meta device were not in the checkpoint: allocate and initialise them,
        keeping the loaded parameters of the same module as they are."""
        for module in self.modules():
            params = dict(module.named_parameters(recurse=False))
            if not any(p.is_meta for p in params.values()):
                continue
            loaded = {n: p for n, p in params.items() if not p.is_meta}
            for pname, p in params.items():
                if p.is_meta:
                    fill = torch.empty(p.shape, dtype=dtype or p.dtype, device="cpu")
                    setattr(module, pname, nn.Parameter(fill, requires_grad=p.requires_grad))
            self._init_weights(module)
            for pname, p in loaded.items():
                setattr(module, pname, p)
