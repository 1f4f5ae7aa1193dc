"""`RobertaPreTrainedModel`: weight init, tying, resizing, and `from_pretrained` / `save_pretrained`."""

from __future__ import annotations

import contextlib
import copy
import logging
import os
from typing import Any

import torch
from torch import nn

from ..checkpoint import detect, report
from ..checkpoint.names import convert, match_prefix
from ..config import _DEFAULTS, RobertaConfig
from ..devices import parse_device, parse_dtype
from ..hub import pop_hub_kwargs
from . import precision
from .attention import check_backend_name
from .checkpoint_files import materialize, open_weight_files, to_torch, write_checkpoint
from .utilities import ModuleUtilities

logger = logging.getLogger(__name__)

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
    def save_pretrained(self, save_directory: str | os.PathLike, *, safe_serialization: bool = True,
                        max_shard_size: int | str = "5GB", state_dict: dict | None = None, is_main_process: bool = True,
                        **_: Any) -> None:  # fmt: skip
        """Write `config.json` and the weights in the reference's layout, atomically across files: after a
        kill at any point the folder loads as the previous save or this one, never a mix (see
        `roberta.checkpoint.commit`). Only files that earlier saves wrote are replaced or removed."""
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
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *model_args: Any,
                        config: RobertaConfig | None = None, state_dict: dict | None = None,
                        ignore_mismatched_sizes: bool = False, output_loading_info: bool = False, dtype: Any = None,
                        torch_dtype: Any = None, attn_implementation: str | None = None, device_map: Any = None,
                        **kwargs: Any):  # fmt: skip
        """Load a checkpoint directory (or a cached hub id) in the reference's layout.

        Accepts the reference's keywords: `config`, `num_labels`, `id2label`, `label2id`, `problem_type` and any
        other config field, `dtype` (alias `torch_dtype`, or "auto"), `attn_implementation`, `device_map`
        ("auto", a device, or a dict naming one device), `ignore_mismatched_sizes`, `output_loading_info`,
        `state_dict`, `from_flax` (read `flax_model.msgpack`; a Flax-tagged `model.safetensors` is read as
        Flax weights without it), `from_tf` (read `tf_model.h5`; a TF-tagged `model.safetensors` likewise is read
        without it). Other keywords go to the model's constructor (e.g. `add_pooling_layer=False`).
        """
        path = os.fspath(pretrained_model_name_or_path)
        hub = pop_hub_kwargs(kwargs)
        from_tf, from_flax = kwargs.pop("from_tf", False), kwargs.pop("from_flax", False)
        source = "tf" if from_tf else "flax" if from_flax else None
        use_safetensors = kwargs.pop("use_safetensors", None)
        kwargs.pop("low_cpu_mem_usage", None)  # loading never holds two copies of the weights
        config_fields = set(_DEFAULTS) | set(_LABEL_KWARGS) | {"problem_type"}
        overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in config_fields}
        found = None
        if state_dict is None:  # the weights and the config of one save, chosen together
            order = detect.reading_order("pt", source=source, use_safetensors=use_safetensors)
            found = detect.locate(path, order, hub)
            if source is not None:
                detect.require_naming(found, source, f"from_{source}=True")
        if config is None and found is not None:
            config = cls.config_class.from_pretrained(found.config or found.directory, **overrides)
        elif config is None:
            config = cls.config_class.from_pretrained(path, **hub, **overrides)
        else:
            config = copy.deepcopy(config).updated(**overrides)
        if attn_implementation is not None:
            config._attn_implementation = check_backend_name(attn_implementation)
        torch_dtype = parse_dtype(dtype if dtype is not None else torch_dtype, auto=config.torch_dtype)
        device = _parse_device_map(device_map)
        with torch.device("meta"):  # no memory and no random init; loaded tensors are assigned in place
            model = cls(config, *model_args, **kwargs)
        with contextlib.ExitStack() as stack:
            naming = "pt"
            if state_dict is not None:
                disk = dict(state_dict)
            elif found.naming == "pt":
                disk = stack.enter_context(open_weight_files(found.files, found.save_id))
            else:  # TF or Flax weights: read whole (kernels are transposed), renamed to ours
                disk, naming = detect.read_arrays(found), found.naming
            info = model._load_disk_state(
                disk, naming=naming, source=path, ignore_mismatched_sizes=ignore_mismatched_sizes, dtype=torch_dtype
            )
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
        self,
        disk: dict[str, Any],
        *,
        naming: str = "pt",
        source: str = "the state dict",
        ignore_mismatched_sizes: bool,
        dtype: torch.dtype | None,
    ) -> dict[str, list]:
        """Load tensors named in `naming`'s framework (torch tensors or stored ones; NumPy arrays for TF and
        Flax names) into the model, through the one rename rule and the one load report."""
        ours, ignored = convert(disk, naming, "pt")
        if naming != "pt":
            ours = {k: to_torch(v) for k, v in ours.items()}
        expected = self.state_dict(keep_vars=True)
        ours = match_prefix(ours, expected.keys(), self.base_model_prefix, ".")
        result = report.compare(
            {k: tuple(v.shape) for k, v in ours.items()},
            {k: tuple(v.shape) for k, v in expected.items()},
            skip=self._tied_names(),  # the tie gives them their value; a stored copy is never read
            ignore_unexpected=self._ignore_unexpected,
            ignored=ignored,
        )
        name = type(self).__name__
        report.check(result, name, source, ignore_mismatched_sizes=ignore_mismatched_sizes, found=len(ours))
        load = {}
        for key in result.loaded:
            tensor = materialize(ours[key])  # read from the file now that it is known to be needed
            want = expected[key].dtype
            if tensor.is_floating_point() and tensor.dtype != (dtype or want):
                tensor = tensor.to(dtype or want)  # the reference loads into float32 unless told otherwise
            load[key] = tensor
        self.load_state_dict(load, strict=False, assign=True)
        self.tie_weights()  # first, so a tied output layer is not allocated and initialised for nothing
        self._materialize_missing(dtype)
        self.tie_weights()
        report.log(result, name, source, logger, same_class=name in (self.config.architectures or []))
        return {**result.info(), "ignored_keys": ignored}

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
