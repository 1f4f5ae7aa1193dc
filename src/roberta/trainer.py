"""Saving from a `transformers.Trainer` in the reference's layout.

The Trainer saves a model that is not one of transformers' own `PreTrainedModel`s as a bare state dict: no
config.json, and safetensors refuses the tied weights of the LM heads. `adapt_trainer(trainer)` makes its
`save_model` and its checkpoints call our `save_pretrained` instead, so the folder loads in both libraries
(config.json, the tokenizer, the weights under the reference's names). Nothing here imports transformers: the
trainer is the user's own object.

    trainer = Trainer(model=model, args=args, train_dataset=..., processing_class=tokenizer)
    adapt_trainer(trainer)
    trainer.train()
    trainer.save_model("out")  # RobertaFor*.from_pretrained("out") works here and in transformers
"""

from __future__ import annotations

import os
from typing import Any

TRAINING_ARGS_NAME = "training_args.bin"  # the Trainer's own file, written as it writes it


def adapt_trainer(trainer: Any) -> Any:
    """Route `trainer`'s saves of a roberta model through `save_pretrained`; returns the trainer. Models of
    other libraries (a peft model wrapping ours saves its adapter) keep the Trainer's own saving."""
    from .modeling.pretrained import RobertaPreTrainedModel

    if not hasattr(trainer, "_save") or not hasattr(trainer, "args"):
        raise TypeError(f"adapt_trainer takes a transformers.Trainer, got {type(trainer).__name__}")
    if getattr(trainer, "_roberta_adapted", False):
        return trainer
    original = trainer._save

    def _save(output_dir: str | None = None, state_dict: dict | None = None) -> None:
        model = trainer.model
        unwrap = getattr(getattr(trainer, "accelerator", None), "unwrap_model", None)
        if unwrap is not None:
            model = unwrap(model)
        if not isinstance(model, RobertaPreTrainedModel):
            return original(output_dir, state_dict)
        output_dir = output_dir if output_dir is not None else trainer.args.output_dir
        model.save_pretrained(output_dir, state_dict=state_dict, safe_serialization=trainer.args.save_safetensors)
        processor = getattr(trainer, "processing_class", None)
        if processor is None:
            processor = getattr(getattr(trainer, "data_collator", None), "tokenizer", None)
        if processor is not None:
            processor.save_pretrained(output_dir)
        import torch

        torch.save(trainer.args, os.path.join(output_dir, TRAINING_ARGS_NAME))

    trainer._save = _save
    trainer._roberta_adapted = True
    return trainer
