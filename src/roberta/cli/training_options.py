"""Options shared by `pretrain` and `finetune`, and running a training command around the library recipe."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any

from .errors import user_errors
from .options import arg_values, parse_key_values


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
    g.add_argument(
        "--log-steps", type=int, default=1, help="a metrics record (and a log line, without a bar) every N steps"
    )
    g.add_argument("--eval-steps", type=int, default=0, help="evaluate every N steps (0: at the end only)")
    g.add_argument(
        "--resume",
        action="store_true",
        help="continue from the latest checkpoint in --output-dir, with the saved run's data, tokenizer and "
        "settings for every option not given again",
    )
    g.add_argument("--overwrite", action="store_true", help="replace a run already in --output-dir")
    g.add_argument(
        "--force", action="store_true", help="with --resume: continue although settings differ from the saved run's"
    )
    g.add_argument(
        "--dist-timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="under torchrun: give up when another rank does not answer for this long",
    )
    g.add_argument(
        "--stop-at-step", type=int, default=None, help="checkpoint and stop at this step (resume later with --resume)"
    )
    g.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar on a terminal: log lines every --log-steps instead, as in a log file",
    )
    g.add_argument("--device", default="auto", help="auto, cpu, cuda")
    g.add_argument(
        "--config-override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a model config field, e.g. hidden_dropout_prob=0 (repeatable; VALUE as JSON when it parses)",
    )


# The training options that go to `TrainArgs.for_data` unchanged, under their own names.
_PASSED_ON = (
    "max_steps",
    "epochs",
    "warmup",
    "lr",
    "batch_size",
    "grad_accum",
    "weight_decay",
    "seed",
    "save_steps",
    "keep_checkpoints",
    "log_steps",
    "eval_steps",
    "resume",
    "overwrite",
    "force",
    "stop_at_step",
    "optimizer",
    "bf16",
)


def training_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The library's training keywords (`TrainArgs.for_data`) from the parsed options."""
    return dict(
        betas=tuple(args.adam_betas),
        eps=args.adam_eps,
        max_grad_norm=args.max_grad_norm or None,
        shuffle=not args.no_shuffle,
        progress=not args.no_progress,
        config_overrides=parse_key_values(args.config_override, "--config-override"),
        **arg_values(args, *_PASSED_ON),
    )


# options whose library keyword has another name
_KEYWORDS = {
    "adam_betas": "betas",
    "adam_eps": "eps",
    "no_shuffle": "shuffle",
    "no_progress": "progress",
    "config_override": "config_overrides",
    "validation_file": "validation_files",  # pretrain's; finetune's keeps its name (below)
}


def recipe_keywords(args: argparse.Namespace, **command: Any) -> dict[str, Any]:
    """The recipe's keywords: the command's own (`command`) and the training options. With --resume, each one not
    spelt out on the command line is the saved run's (`runs.saved_settings`: the folder holds the data files,
    settings and tokenizer), so `--resume -o RUN` alone continues a run as it was started."""
    from ..training.runs import saved_settings

    call = {**command, **training_kwargs(args)}
    if not args.resume:
        return call
    given = set(args.given())
    keywords = {_KEYWORDS.get(dest, dest) for dest in given} | given
    with user_errors():
        saved = saved_settings(args.output_dir)
    for key, value in saved.items():
        if key in call and key not in keywords and not (key == "max_steps" and "epochs" in keywords):
            call[key] = value
    return call


def run_training(args: argparse.Namespace, recipe: Callable[..., dict[str, Any]], call: dict[str, Any]) -> int:
    """Set up torch.distributed, run `recipe(**call, info=, log=)` with one-line errors, print the final record.
    A run that fails before its first checkpoint leaves no output folder behind."""
    from ..training.distributed import cleanup, setup
    from ..training.errors import TrainingInterrupted
    from ..training.runs import holds_run

    info = setup(args.device, timeout=args.dist_timeout)

    def log(msg: str) -> None:
        if info.is_main:
            print(msg, file=sys.stderr, flush=True)

    created = not os.path.exists(args.output_dir)
    try:
        with user_errors():
            result = recipe(**call, info=info, log=log)
        log(json.dumps(result))
        return 0
    except BaseException as e:  # Ctrl-C before the first checkpoint too
        if created and info.is_main and os.path.isdir(args.output_dir) and not holds_run(args.output_dir):
            shutil.rmtree(args.output_dir, ignore_errors=True)
        if isinstance(e, KeyboardInterrupt) and not isinstance(e, TrainingInterrupted):
            raise KeyboardInterrupt(interrupted(str(e), args.output_dir)) from None
        raise
    finally:
        cleanup(info)


def interrupted(what: str, output_dir: str) -> str:
    """The line for a Ctrl-C that stopped a run outside a step (or a second one): what was saved, if anything."""
    from ..training.checkpoint import latest_checkpoint

    ckpt = latest_checkpoint(output_dir) if os.path.isdir(output_dir) else None
    if ckpt is None:
        return f"{what or 'interrupted'} before the first checkpoint; nothing was saved"
    return f"{what or 'interrupted'}; --resume continues from the newest checkpoint, {ckpt}"
