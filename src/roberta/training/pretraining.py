"""Masked-LM pretraining: shards -> dynamic masking -> the shared loop."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..config import RobertaConfig
from ..modeling import RobertaForMaskedLM
from .data import MaskingCollator
from .distributed import DistInfo, barrier
from .loop import TrainArgs, check_before_data, train
from .presets import PRESETS, config_for
from .shards import ShardedSequences, build_shards


def summed_token_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy summed over labels != -100."""
    return F.cross_entropy(
        logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1), ignore_index=-100, reduction="sum"
    )


class MaskedLMTask:
    """Masked-LM over packed sequences; validation uses fixed masks so its perplexity is comparable."""

    def __init__(
        self,
        train_seqs: Any,
        tokenizer: Any,
        seed: int,
        eval_seqs: Any = None,
        probability: float = 0.15,
        eval_batch_size: int = 16,
    ) -> None:
        self.train_seqs, self.eval_seqs, self.tokenizer = train_seqs, eval_seqs, tokenizer
        self.num_samples = len(train_seqs)
        specials = sorted(set(tokenizer.all_special_ids))
        common = dict(
            mask_id=tokenizer.mask_token_id,
            pad_id=tokenizer.pad_token_id,
            special_ids=specials,
            vocab_size=len(tokenizer),
            probability=probability,
        )
        self.collate = MaskingCollator(seed=seed, **common)
        self.eval_collate = MaskingCollator(seed=seed + 1_000_003, **common)
        self.eval_batch_size = eval_batch_size

    def make_batch(self, indices: Sequence[int], positions: Sequence[int]) -> dict[str, torch.Tensor]:
        return self.collate([self.train_seqs[i] for i in indices], positions)

    def count(self, batch: dict[str, torch.Tensor]) -> int:
        return int((batch["labels"] != -100).sum())

    def loss_sum(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        # The LM head runs only at masked positions (sparse_logits): the vocabulary projection of every
        # other token would cost most of the step and memory for nothing.
        labels = batch["labels"]
        out = model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels, sparse_logits=True
        )
        count = (labels != -100).sum()
        return out.loss * count if int(count) else out.logits.sum() * 0.0  # no masked token: zero, not NaN

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.eval_seqs is None or len(self.eval_seqs) == 0:
            return {}
        device = next(model.parameters()).device
        total, count = 0.0, 0
        n = len(self.eval_seqs)
        for start in range(0, n, self.eval_batch_size):
            idx = list(range(start, min(n, start + self.eval_batch_size)))
            batch = {k: v.to(device) for k, v in self.eval_collate([self.eval_seqs[i] for i in idx], idx).items()}
            total += float(self.loss_sum(model, batch))
            count += self.count(batch)
        loss = total / max(count, 1)
        return {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}

    def save_artifacts(self, directory: str) -> None:
        self.tokenizer.save_pretrained(directory)


def prepare_shards(
    files: Sequence[str],
    tokenizer: Any,
    directory: str,
    info: DistInfo,
    *,
    max_seq_length: int,
    document_per_file: bool,
    log: Callable[[str], None] = lambda s: None,
    progress: bool = True,
) -> ShardedSequences:
    """Rank 0 tokenizes and packs (once; reused when unchanged), showing its progress (`progress`); every rank
    then maps the shards."""
    error: BaseException | None = None
    if info.is_main:
        try:
            build_shards(
                files,
                tokenizer,
                directory,
                max_seq_length=max_seq_length,
                document_per_file=document_per_file,
                log=log,
                progress=progress,
            )
        except BaseException as e:  # other ranks must not hang on the barrier
            error = e
    if info.enabled:
        from .distributed import broadcast_object

        failed = broadcast_object(None if error is None else str(error), info)
        if failed is not None and error is None:
            raise RuntimeError(f"rank 0 failed to prepare the data: {failed}")
    if error is not None:
        raise error
    barrier(info)
    return ShardedSequences(directory)


def pretrain(files: Sequence[str | os.PathLike], output_dir: str | os.PathLike, *, tokenizer: Any = None,
             model: str | os.PathLike | None = None, size: str = "base", max_seq_length: int = 512,
             document_per_file: bool = False, validation_files: Sequence[str | os.PathLike] = (),
             data_dir: str | os.PathLike | None = None, mlm_probability: float = 0.15,
             config_overrides: dict[str, Any] | None = None, info: DistInfo | None = None,
             log: Callable[[str], None] = lambda s: None, max_steps: int | None = None, epochs: float | None = None,
             warmup: float = 0.06, lr: float = 6e-4, batch_size: int = 8,
             **training: Any) -> dict[str, Any]:  # fmt: skip
    """Pretrain a masked LM on raw text files (one sentence a line, documents split by blank lines), from
    scratch at `size` or continuing `model`; write the model, tokenizer, metrics and checkpoints to `output_dir`.

    `tokenizer`: a tokenizer or a folder (default: `model`'s). The saved tokenizer's `model_max_length` is the
    model's usable positions. Other keywords are training options (`TrainArgs`). Returns the final record.
    """
    from ..hub import resolve_model_dir
    from ..tokenizer import load_tokenizer

    info = info or DistInfo()
    overrides = dict(config_overrides or {})
    model_dir = resolve_model_dir(model, what="model") if model is not None else None
    if model_dir is None:
        if size not in PRESETS:  # checked before any data is tokenized
            raise ValueError(f"unknown size preset {size!r}; choose from {', '.join(PRESETS)}")
        RobertaConfig().updated(strict=True, **overrides)
    if tokenizer is None and model_dir is None:
        raise ValueError("give a tokenizer (or a model whose folder holds tokenizer files)")
    tok = load_tokenizer(tokenizer if tokenizer is not None else model_dir)
    if max_seq_length < 3:
        raise ValueError(f"max_seq_length must be at least 3, got {max_seq_length}")
    # the tokenizer saved beside the model says how many tokens the model reads
    positions = RobertaConfig.from_pretrained(model_dir).usable_positions if model_dir else max_seq_length
    tok.model_max_length = positions
    data_dir = os.fspath(data_dir or os.path.join(output_dir, "data"))
    settings = {
        "files": [os.fspath(f) for f in files],
        "validation_files": [os.fspath(f) for f in validation_files],
        "model": model_dir,
        "size": None if model_dir else size,
        "max_seq_length": max_seq_length,
        "document_per_file": document_per_file,
        "mlm_probability": mlm_probability,
        "config_overrides": overrides,
        "data_dir": data_dir,
    }
    training.setdefault("extra", {}).update(settings)
    schedule = dict(max_steps=max_steps, epochs=epochs, warmup=warmup, lr=lr, batch_size=batch_size)
    check_before_data(info, output_dir=os.fspath(output_dir), **schedule, **training)  # refuse before any write
    shards = dict(
        max_seq_length=max_seq_length,
        document_per_file=document_per_file,
        log=log,
        progress=training.get("progress", True),
    )
    seqs = prepare_shards(files, tok, os.path.join(data_dir, "train"), info, **shards)
    eval_seqs = None
    if validation_files:
        eval_seqs = prepare_shards(validation_files, tok, os.path.join(data_dir, "validation"), info, **shards)
    args = TrainArgs.for_data(len(seqs), info.world_size, output_dir=os.fspath(output_dir), **schedule, **training)
    task = MaskedLMTask(seqs, tok, args.seed, eval_seqs, mlm_probability)

    def build(checkpoint: str | None) -> nn.Module:
        if checkpoint is not None:
            return RobertaForMaskedLM.from_pretrained(checkpoint)
        if model_dir is not None:
            built = RobertaForMaskedLM.from_pretrained(model_dir)
            built.config.updated(strict=True, **overrides)
            if built.config.vocab_size < len(tok):
                raise ValueError(
                    f"the model's vocabulary ({built.config.vocab_size}) is smaller than the tokenizer's ({len(tok)})"
                )
            return built
        return RobertaForMaskedLM(config_for(size, tok, max_seq_length, **overrides))

    return train(task, build, args, info, log)
