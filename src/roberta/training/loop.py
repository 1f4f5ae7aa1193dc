"""The training loop shared by pretraining and every fine-tuning task.

The data order is a pure function of `(seed, epoch)` and each sample's masking/randomness of its *stream
position* (the count of samples drawn before it), so a resumed run and a run on N processes see exactly the
batches and masks of an uninterrupted single-process run. The loss of an optimizer step is the sum of
per-unit losses (masked tokens, labelled tokens or samples) over the whole global batch divided by their
global count, which makes gradient accumulation and data parallelism exact rewrites of one big batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import random
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from .._io import atomic_write_text
from ..progress import Progress, on_terminal
from .checkpoint import capture_rng, latest_checkpoint, load_state, restore_rng, save_checkpoint
from .distributed import DistInfo, all_reduce_sum, barrier, gather_objects, peer_failures
from .errors import TrainingDiverged, TrainingInterrupted
from .interrupt import stop_requests
from .logs import MetricsLog, plot_metrics, step_line
from .optim import apply_hyperparameters, make_optimizer, make_scheduler
from .runs import check_run, clear_run

METRICS_FILE = "metrics.jsonl"
PLOT_FILE = "metrics.png"


class Task(Protocol):
    """What the loop needs from a task."""

    num_samples: int

    def make_batch(self, indices: Sequence[int], positions: Sequence[int]) -> dict[str, torch.Tensor]:
        """Collate the samples `indices`, drawn at stream `positions` (seed their randomness with these)."""

    def count(self, batch: dict[str, torch.Tensor]) -> int:
        """How many loss units (tokens or samples) the batch holds."""

    def loss_sum(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The summed (not averaged) loss of the batch."""

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        """Validation metrics (may be empty)."""

    def save_artifacts(self, directory: str) -> None:
        """Extra files for a saved model directory (tokenizer files)."""


@dataclass
class TrainArgs:
    """Settings of one training run (the CLI's options)."""

    output_dir: str
    max_steps: int
    batch_size: int = 8  # per process, per micro-step
    grad_accum: int = 1
    lr: float = 1e-4
    warmup_steps: int = 0
    warmup: float | None = None  # as asked: a step count (>= 1) or a fraction of max_steps; warmup_steps follows
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-6
    max_grad_norm: float | None = 1.0
    seed: int = 42
    shuffle: bool = True
    save_steps: int = 0  # 0: only at the end
    keep_checkpoints: int = 2
    log_steps: int = 1
    eval_steps: int = 0  # 0: only at the end
    resume: bool = False
    stop_at_step: int | None = None  # stop (after checkpointing) early, e.g. for time-limited jobs
    progress: bool = True
    optimizer: str = "auto"
    bf16: bool = False
    overwrite: bool = False  # replace a run already in output_dir
    force: bool = False  # resume even where settings differ from the saved run's
    extra: dict[str, Any] = field(default_factory=dict)  # task settings, compared on resume

    def global_batch(self, world_size: int) -> int:
        return self.batch_size * self.grad_accum * world_size

    @classmethod
    def for_data(
        cls,
        num_samples: int,
        world_size: int,
        *,
        max_steps: int | None = None,
        epochs: float | None = None,
        warmup: float = 0.0,
        **fields: Any,
    ) -> TrainArgs:
        """Settings for `num_samples` training samples: `epochs` (or, with neither, 3 epochs) becomes a step
        count; `warmup` is a step count (>= 1) or a fraction of the steps (< 1). Unknown fields: TypeError."""
        names = {f.name for f in dataclasses.fields(cls)} - {"max_steps", "warmup_steps", "warmup"}
        unknown = set(fields) - names
        if unknown:
            raise TypeError(f"unknown training option(s) {sorted(unknown)}")
        probe = cls(max_steps=1, **fields)
        if max_steps is not None and epochs is not None:
            raise ValueError("give max_steps or epochs, not both")
        batch = probe.global_batch(world_size)
        if max_steps is None:
            max_steps = max(1, math.ceil((3 if epochs is None else epochs) * num_samples / batch))
        if not isinstance(max_steps, int) or max_steps <= 0:
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        if warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {warmup}")
        warmup_steps = int(warmup) if warmup >= 1 else int(warmup * max_steps)
        return dataclasses.replace(probe, max_steps=max_steps, warmup_steps=warmup_steps, warmup=warmup)


def check_before_data(
    info: DistInfo, *, max_steps: int | None = None, epochs: float | None = None, warmup: float = 0.0, **fields: Any
) -> None:
    """The output folder's and --resume's refusals (runs.py), made before a recipe reads or writes any data, so
    a refused run changes nothing: the settings are those `TrainArgs.for_data` will get."""
    args = TrainArgs.for_data(1, info.world_size, max_steps=max_steps, epochs=epochs, warmup=warmup, **fields)
    check_run(asdict(args), info.world_size, steps_known=max_steps is not None)


class SampleOrder:
    """Maps a stream position to a sample index: one seeded permutation per epoch."""

    def __init__(self, num_samples: int, seed: int, shuffle: bool) -> None:
        if num_samples <= 0:
            raise ValueError("the training data holds no samples")
        self.n, self.seed, self.shuffle = num_samples, seed, shuffle
        self._cache: dict[int, np.ndarray] = {}

    def __call__(self, position: int) -> int:
        epoch, at = divmod(position, self.n)
        if not self.shuffle:
            return at
        if epoch not in self._cache:
            self._cache = {epoch: np.random.default_rng([self.seed, epoch]).permutation(self.n)}
        return int(self._cache[epoch][at])


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def train(
    task: Task,
    build_model: Callable[[str | None], nn.Module],
    args: TrainArgs,
    info: DistInfo,
    log: Callable[[str], None] = lambda s: None,
) -> dict[str, Any]:
    """Run (or resume) training; return the final record (last loss, eval metrics, output paths).

    `build_model(checkpoint_dir)` returns the model: fresh / from the user's start point when given None,
    else loaded from that checkpoint directory. Only rank 0 writes files. The output folder's rules (fresh,
    --overwrite, --resume, --force) are in runs.py; Ctrl-C or SIGTERM stops after a checkpoint (interrupt.py).
    """
    with peer_failures(info):  # a hung or dead rank: one clear error instead of a hang or a gloo trace
        return _train(task, build_model, args, info, log)


def _train(
    task: Task, build_model: Callable[[str | None], nn.Module], args: TrainArgs, info: DistInfo, log: Callable
) -> dict[str, Any]:
    seed_everything(args.seed)
    ckpt, diffs = check_run(asdict(args), info.world_size)
    barrier(info)  # every rank has checked before rank 0 clears anything
    if info.is_main:
        os.makedirs(args.output_dir, exist_ok=True)
        if args.overwrite:
            clear_run(args.output_dir)
    state = load_state(ckpt) if ckpt is not None else None
    if args.resume and state is None:
        log(f"no checkpoint in {args.output_dir}; starting from scratch")
    step, samples_seen = (state["step"], state["samples_seen"]) if state is not None else (0, 0)
    if diffs:
        log("resuming with changed settings: " + "; ".join(diffs))
    model = build_model(ckpt).to(info.device)
    model.train()
    opt = make_optimizer(
        model,
        args.lr,
        weight_decay=args.weight_decay,
        betas=args.betas,
        eps=args.eps,
        implementation=args.optimizer,
    )
    metrics = MetricsLog(os.path.join(args.output_dir, METRICS_FILE), info.is_main)
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        apply_hyperparameters(opt, lr=args.lr, weight_decay=args.weight_decay, betas=args.betas, eps=args.eps)
        rngs = state["rng"]
        restore_rng(rngs[info.rank] if info.rank < len(rngs) else rngs[0])
        metrics.truncate_after(step)
        log(f"resumed from {ckpt} at step {step}")
    elif info.is_main and os.path.isfile(metrics.path):
        os.remove(metrics.path)
    # The schedule is a function of the step: recomputed for this run's max_steps, lr and warmup.
    sched = make_scheduler(opt, args.warmup_steps, args.max_steps, lr=args.lr, done_steps=step)
    wrapped: nn.Module = model
    if info.enabled:
        wrapped = nn.parallel.DistributedDataParallel(
            model, device_ids=[info.device.index] if info.device.type == "cuda" else None
        )

    order = SampleOrder(task.num_samples, args.seed, args.shuffle)
    G = args.global_batch(info.world_size)
    # a bar on a terminal; elsewhere (a log file, a pipe) and with progress=False, a log line every log_steps
    drawn = args.progress and info.is_main and on_terminal()
    bar = Progress(args.max_steps, initial=step, enabled=drawn, desc="train")
    autocast = torch.autocast(info.device.type, dtype=torch.bfloat16) if args.bf16 else contextlib.nullcontext()

    saved_at: list[int] = []

    def checkpoint(at: int) -> None:
        if saved_at and saved_at[-1] == at:
            return  # already written at this step
        saved_at.append(at)
        rngs = gather_objects(capture_rng(), info)
        if info.is_main:
            state = {
                "optimizer": opt.state_dict(),
                "step": at,
                "samples_seen": samples_seen,
                "rng": rngs,
                "world_size": info.world_size,
                "args": asdict(args),
            }
            path = save_checkpoint(args.output_dir, at, model, state, task.save_artifacts, args.keep_checkpoints)
            log(f"checkpoint {path}")
        barrier(info)

    def evaluate(at: int) -> dict[str, float]:
        result: dict[str, float] = {}
        if info.is_main:
            model.eval()
            with torch.no_grad():
                result = {f"eval_{k}": v for k, v in task.evaluate(model).items()}
            model.train()
            if result:
                metrics.write({"step": at, **result})
                log(f"step {at}: " + ", ".join(f"{k}={v:.4g}" for k, v in result.items()))
        barrier(info)
        return result

    last: dict[str, Any] = {}
    eval_result: dict[str, float] = {}
    t_start = time.perf_counter()
    with stop_requests(log) as stop:
        while step < args.max_steps:
            if args.stop_at_step is not None and step >= args.stop_at_step:
                break
            if stop.agreed(info):  # Ctrl-C or SIGTERM on any rank: every rank stops after the same step
                bar.close()
                checkpoint(step)
                raise TrainingInterrupted(stop.signum or signal.SIGTERM, step, latest_checkpoint(args.output_dir))
            t0 = time.perf_counter()
            positions = list(range(samples_seen + info.rank, samples_seen + G, info.world_size))
            micro = [positions[i : i + args.batch_size] for i in range(0, len(positions), args.batch_size)]
            batches = [task.make_batch([order(p) for p in ps], ps) for ps in micro]
            local_count = sum(task.count(b) for b in batches)
            total = all_reduce_sum(torch.tensor(float(local_count)), info).item()
            scale = info.world_size / max(total, 1.0)
            loss_sum = torch.zeros((), dtype=torch.float64)
            tokens = 0
            for i, batch in enumerate(batches):
                batch = {k: v.to(info.device) for k, v in batch.items()}
                tokens += int(batch["attention_mask"].sum()) if "attention_mask" in batch else 0
                sync = contextlib.nullcontext() if not info.enabled or i == len(batches) - 1 else wrapped.no_sync()
                with sync:
                    with autocast:
                        s = task.loss_sum(wrapped, batch)
                    (s.float() * scale).backward()
                loss_sum += s.detach().double().cpu()
            grad_norm = None
            if args.max_grad_norm:
                grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm))
            lr = opt.param_groups[0]["lr"]
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            samples_seen += G
            loss = (all_reduce_sum(loss_sum, info) / max(total, 1.0)).item()
            tokens = int(all_reduce_sum(torch.tensor(float(tokens)), info).item())
            dt = max(time.perf_counter() - t0, 1e-9)
            last = {
                "step": step,
                "loss": loss,
                "lr": lr,
                "grad_norm": grad_norm,
                "tokens_per_s": tokens / dt,
                "samples_per_s": G / dt,
                "epoch": samples_seen / task.num_samples,
                "elapsed_s": time.perf_counter() - t_start,
            }
            if not math.isfinite(loss):
                raise TrainingDiverged(loss, step)
            if step % max(1, args.log_steps) == 0 or step == args.max_steps:
                metrics.write(last)
                if not bar.enabled:
                    log(step_line(last, args.max_steps))
            bar.update(loss=loss, lr=lr, tok_s=f"{tokens / dt:.0f}")
            if args.eval_steps and step % args.eval_steps == 0 and step < args.max_steps:
                eval_result = evaluate(step)
            if args.save_steps and step % args.save_steps == 0 and step < args.max_steps:
                checkpoint(step)
    bar.close()
    checkpoint(step)  # every run ends with a resumable checkpoint, finished or stopped early
    if step < args.max_steps:
        return {**last, "stopped_at": step}
    eval_result = evaluate(step)
    if info.is_main:
        model.save_pretrained(args.output_dir)
        task.save_artifacts(args.output_dir)
        summary = {**last, **eval_result}
        atomic_write_text(os.path.join(args.output_dir, "train_results.json"), json.dumps(summary, indent=1))
        if os.path.isfile(metrics.path):
            png = plot_metrics(metrics.path, os.path.join(args.output_dir, PLOT_FILE))
            if png is None:
                log("matplotlib is not installed: no plot written")
    barrier(info)
    return {**last, **eval_result}
