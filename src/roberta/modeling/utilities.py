"""`ModuleUtilities`: the model methods scripts call that are about the module, not the checkpoint (counts,
memory, dtype and device, gradient checkpointing, input gradients for adapters), as the reference has them."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class ModuleUtilities:
    """Mixed into `RobertaPreTrainedModel` (an nn.Module with a `config`)."""

    main_input_name = "input_ids"
    supports_gradient_checkpointing = True

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @classmethod
    def can_generate(cls) -> bool:
        """Whether `generate()` works (RobertaForCausalLM's GenerationMixin says True)."""
        return False

    @property
    def name_or_path(self) -> str:
        """The folder (or hub id) the model was loaded from; "" for a model built from a config."""
        return getattr(self.config, "_name_or_path", "")

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Parameters counted once each (tied weights once); `exclude_embeddings` leaves out every nn.Embedding."""
        skipped = set()
        if exclude_embeddings:
            skipped = {id(m.weight) for m in self.modules() if isinstance(m, nn.Embedding)}
        params = {id(p): p for p in self.parameters() if (p.requires_grad or not only_trainable)}
        return sum(p.numel() for k, p in params.items() if k not in skipped)

    def get_memory_footprint(self, return_buffers: bool = True) -> int:
        """Bytes held by the parameters (and buffers), as the reference counts them."""
        total = sum(p.nelement() * p.element_size() for p in self.parameters())
        if return_buffers:
            total += sum(b.nelement() * b.element_size() for b in self.buffers())
        return total

    # ------------------------------------------------------------------ inputs that need gradients
    def enable_input_require_grads(self) -> None:
        """Make the input embeddings' output require gradients, so gradient checkpointing and adapters (peft)
        train with frozen embeddings."""

        def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
            output.requires_grad_(True)

        self.disable_input_require_grads()
        self._require_grads_hook = self.get_input_embeddings().register_forward_hook(hook)

    def disable_input_require_grads(self) -> None:
        handle = self.__dict__.pop("_require_grads_hook", None)
        if handle is not None:
            handle.remove()

    # ------------------------------------------------------------------ gradient checkpointing
    def gradient_checkpointing_enable(self, gradient_checkpointing_kwargs: dict | None = None) -> None:
        """Recompute each layer's activations in the backward pass. `gradient_checkpointing_kwargs` go to
        `torch.utils.checkpoint.checkpoint` (default `use_reentrant=False`)."""
        kwargs = {"use_reentrant": False, **(gradient_checkpointing_kwargs or {})}
        if kwargs["use_reentrant"]:  # reentrant checkpoints need an input that requires grad, as in the reference
            self.enable_input_require_grads()
        for m in self.modules():
            if hasattr(m, "gradient_checkpointing"):
                m.gradient_checkpointing = True
                m._checkpointing_kwargs = kwargs

    def gradient_checkpointing_disable(self) -> None:
        for m in self.modules():
            if hasattr(m, "gradient_checkpointing"):
                m.gradient_checkpointing = False

    @property
    def is_gradient_checkpointing(self) -> bool:
        return any(getattr(m, "gradient_checkpointing", False) for m in self.modules())
