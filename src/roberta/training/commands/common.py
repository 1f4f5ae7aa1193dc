"""Options shared by `pretrain` and `finetune`, and turning bad input into one-line CLI errors."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

from ..distributed import DistInfo, DistributedTimeout
from ..loop import TrainArgs


def add_train_arguments(
    p: argparse.ArgumentParser, *, lr: float, batch_size: int, max_steps: int | None, warmup: float
) -> None:
    """Optimisation, checkpointing and logging options."""
    g = p.add_argument_group("training")
    g.add_argument("--output-dir", "-o", required=True, help="where checkpoints, metrics and the model go")
    g.add_argument("--max-steps", type=int, default=max_steps, help="optimizer steps in all")
    g.add_argument("--epochs", type=float, default=None, help="train this many passes instead of --max-steps")
    g.add_argument("--batch-size", type=int, default=batch_size, help="sequences per process per micro-step")
    g.add_argument("--grad-accum", type=int, default=1, help="micro-steps per optimizer step")
    g.add_argument("--lr", type=float, default=lr, help="peak learning rate")
    g.add_argument(
        "--warmup", type=float, default=warmup, help="warmup: a step count (>= 1) or a fraction of the steps (< 1)"
    )
    g.add_argument("--weight-decay", type=float, default=0.01)
    g.add_argument("--adam-betas", type=float, nargs=2, default=(0.9, 0.98), metavar=("B1", "B2"))
    g.add_argument("--adam-eps", type=float, default=1e-6)
    g.add_argument("--max-grad-norm", type=float, default=1.0, help="0 disables clipping")
    g.add_argument(
        "--optimizer", choices=("auto", "fused", "foreach", "plain"), default="auto", help="AdamW implementation"
    )
    g.add_argument("--bf16", action="store_true", help="bfloat16 autocast")
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--no-shuffle", action="store_true")
    g.add_argument("--save-steps", type=int, default=0, help="checkpoint every N steps (0: at the end only)")
    g.add_argument("--keep-checkpoints", type=int, default=2)
    g.add_argument("--log-steps", type=int, default=1)
    g.add_argument("--eval-steps", type=int, default=0, help="evaluate every N steps (0: at the end only)")
    g.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --output-dir")
    g.add_argument("--overwrite", action="store_true", help="replace a run already in --output-dir")
    g.add_argument(
        "--force", action="store_true", help="with --resume: continue although settings differ from the saved run's"
    )
    g.add_argument(
        "--dist-timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="under torchrun: give up when another rank does not answer for this long (default 900)",
    )
    g.add_argument(
        "--stop-at-step", type=int, default=None, help="checkpoint and stop at this step (resume later with --resume)"
    )
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--device", default="auto", help="auto, cpu, cuda")
    g.add_argument(
        "--config-override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a model config field, e.g. hidden_dropout_prob=0 (repeatable)",
    )


def train_args(args: argparse.Namespace, num_samples: int, info: DistInfo) -> TrainArgs:
    """A `TrainArgs` from parsed options; `--epochs` becomes a step count for `num_samples` samples."""
    gb = args.batch_size * args.grad_accum * info.world_size
    if args.epochs is not None:
        steps = max(1, int(-(-args.epochs * num_samples // gb)))
    elif args.max_steps is not None:
        steps = args.max_steps
    else:
        steps = max(1, int(-(-3 * num_samples // gb)))
    if steps <= 0:
        raise ValueError("--max-steps must be positive")
    warmup = int(args.warmup) if args.warmup >= 1 else int(args.warmup * steps)
    return TrainArgs(
        output_dir=args.output_dir,
        max_steps=steps,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        lr=args.lr,
        warmup_steps=warmup,
        weight_decay=args.weight_decay,
        betas=tuple(args.adam_betas),
        eps=args.adam_eps,
        max_grad_norm=args.max_grad_norm or None,
        seed=args.seed,
        shuffle=not args.no_shuffle,
        save_steps=args.save_steps,
        keep_checkpoints=args.keep_checkpoints,
        log_steps=args.log_steps,
        eval_steps=args.eval_steps,
        resume=args.resume,
        overwrite=args.overwrite,
        force=args.force,
        extra=task_settings(args),
        stop_at_step=args.stop_at_step,
        progress=not args.no_progress,
        optimizer=args.optimizer,
        bf16=args.bf16,
    )


def task_settings(args: argparse.Namespace) -> dict:
    """The options that are not training options (data, model, task settings): compared on --resume."""
    probe = argparse.ArgumentParser()
    add_train_arguments(probe, lr=0.0, batch_size=1, max_steps=None, warmup=0.0)
    training_options = set(vars(probe.parse_args(["-o", "."])))  # every option the training group defines
    return {k: v for k, v in vars(args).items() if k not in training_options and k != "command"}


def logger(info: DistInfo):
    """A rank-0 stderr printer."""

    def log(msg: str) -> None:
        if info.is_main:
            print(msg, file=sys.stderr, flush=True)

    return log


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn bad-input errors (ValueError, FileNotFoundError) into `CommandError` for a one-line message."""
    from ...cli import CommandError

    try:
        yield
    except (ValueError, FileNotFoundError, NotADirectoryError, DistributedTimeout) as e:
        raise CommandError(str(e)) from e
