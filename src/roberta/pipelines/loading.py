"""The loading options of `pipeline(...)`, checked once: `model_kwargs`, `device_map`, `dtype`, `revision`,
`config`, `use_fast`, with the reference's rules for how they combine and clear errors where they conflict."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

from ..config import RobertaConfig
from ..hub import pop_hub_kwargs

# Fields that a loaded model's config gains or that only say how it was saved: not a difference from config=.
_SAVE_ONLY_FIELDS = ("architectures", "dtype", "_name_or_path")


@dataclass
class LoadOptions:
    """What `pipeline()` loads with, once its arguments are checked.

    hub: `cache_dir` / `revision` / `subfolder` / `force_download`, for finding the checkpoint folder.
    model_kwargs: the rest of `model_kwargs` (with `device_map`), for the model's `from_pretrained`.
    dtype: the one dtype asked for (`dtype=`, `torch_dtype=` or `model_kwargs["dtype"]`), or None.
    config: the `config=` argument loaded as a `RobertaConfig` (None if not given).
    """

    hub: dict[str, Any] = field(default_factory=dict)
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    dtype: Any = None
    use_fast: bool = True
    config: RobertaConfig | None = None
    given_model_kwargs: bool = False

    @property
    def device_map(self) -> Any:
        return self.model_kwargs.get("device_map")

    def check_framework(self, framework: str) -> None:
        """Loading options that only PyTorch's `from_pretrained` takes are an error for other frameworks."""
        if framework != "pt" and self.model_kwargs:
            raise ValueError(
                f"model_kwargs / device_map {sorted(self.model_kwargs)} are for PyTorch models; framework="
                f"{framework!r} loads with dtype= only"
            )

    def warn_for_instance(self) -> None:
        """A model instance is used as it is (as in the reference): say so if loading options were given."""
        if self.given_model_kwargs or self.device_map is not None:
            warnings.warn(
                "model_kwargs / device_map apply when the model is loaded from a folder or hub id; the model "
                "instance given is used as it is",
                UserWarning,
                stacklevel=3,
            )

    def check_config(self, model_config: RobertaConfig) -> None:
        """config= changes nothing in the reference (the model keeps its own config.json); warn when the two
        differ, since that is easy to mistake for an override."""
        if self.config is None:
            return
        given, loaded = self.config.to_dict(), model_config.to_dict()
        for key in _SAVE_ONLY_FIELDS:
            given.pop(key, None), loaded.pop(key, None)
        if given != loaded:
            differing = sorted(k for k in set(given) | set(loaded) if given.get(k) != loaded.get(k))
            warnings.warn(
                f"config= differs from the model's own config.json in {differing}; as in transformers, the model "
                f"is loaded with its own config. To change it, pass model_kwargs={{...}} with the fields, or load "
                f"the model yourself with config= and pass it as model=",
                UserWarning,
                stacklevel=3,
            )


def load_options(
    *,
    dtype: Any,
    torch_dtype: Any,
    device: Any,
    device_map: Any,
    model_kwargs: dict[str, Any] | None,
    revision: str | None,
    config: Any,
    use_fast: Any,
) -> LoadOptions:
    """Check and combine `pipeline()`'s loading arguments (see `LoadOptions`)."""
    if model_kwargs is None:
        model_kwargs = {}
    if not isinstance(model_kwargs, dict):
        raise TypeError(f"model_kwargs must be a dict of from_pretrained keywords, got {type(model_kwargs).__name__}")
    given = bool(model_kwargs)
    kwargs = dict(model_kwargs)  # never change the caller's dict
    if not isinstance(use_fast, bool):
        raise TypeError(f"use_fast must be True or False, got {use_fast!r}")
    if revision is not None and not isinstance(revision, str):
        raise TypeError(f"revision must be a str (a branch, tag or commit), got {type(revision).__name__}")
    if revision is not None and "revision" in kwargs and kwargs["revision"] != revision:
        raise ValueError("give revision= or model_kwargs['revision'], not both")
    hub = pop_hub_kwargs(kwargs)
    if revision is not None:
        hub["revision"] = revision
    if torch_dtype is not None:
        if dtype is not None:
            raise ValueError("give dtype or torch_dtype, not both")
        dtype = torch_dtype
    if "dtype" in kwargs or "torch_dtype" in kwargs:
        if dtype is not None and dtype != "auto":
            raise ValueError(
                'You cannot use both `pipeline(... dtype=..., model_kwargs={"dtype":...})` as those arguments '
                "might conflict, use only one."
            )
        inner = kwargs.pop("dtype", None)
        legacy = kwargs.pop("torch_dtype", None)
        dtype = inner if inner is not None else legacy
    if device_map is not None:
        if "device_map" in kwargs:
            raise ValueError(
                'You cannot use both `pipeline(... device_map=..., model_kwargs={"device_map":...})` as those '
                "arguments might conflict, use only one."
            )
        kwargs["device_map"] = device_map
    if kwargs.get("device_map") is not None and device is not None:
        raise ValueError(
            "give device= or device_map=, not both: a model loaded with a device_map stays where the map puts it"
        )
    if "config" in kwargs:
        raise ValueError("pass the config as pipeline(config=...), not inside model_kwargs")
    if kwargs.get("output_loading_info"):
        raise ValueError("model_kwargs output_loading_info=True makes from_pretrained return a tuple, not a model")
    options = LoadOptions(hub=hub, model_kwargs=kwargs, dtype=dtype, use_fast=use_fast, given_model_kwargs=given)
    if config is not None:
        if isinstance(config, RobertaConfig):
            options.config = config
        elif isinstance(config, (str, os.PathLike)):
            from ..auto import AutoConfig

            options.config = AutoConfig.from_pretrained(config, **hub)  # the folder's family's config class
        else:
            raise TypeError(f"config must be a RobertaConfig or a folder / hub id, got {type(config).__name__}")
    return options
