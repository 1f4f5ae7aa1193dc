"""`roberta run --task TASK [--model DIR]`: run a pipeline over standard input, one input per line.

Input lines (UTF-8; a trailing "\\r" and a leading byte-order mark are ignored):

* most tasks: the line is the text;
* text-classification: the text, or a JSON object {"text": ..., "text_pair": ...} for a pair;
* question-answering: a JSON object {"question": ..., "context": ...}, or "question<TAB>context";
* zero-shot-classification: the text; the labels come from --candidate-labels.

Output: one line per good input, in input order: a JSON value (`--format json`, the default) or a
human-readable rendering (`--format text`, possibly several lines per input).

Bad lines (empty, undecodable UTF-8, no <mask> for fill-mask, malformed question-answering lines, inputs the
model rejects) are each reported on stderr as "line N: problem" and skipped; the good lines are still
processed and the exit status is 1 at the end. Standard input holding NUL bytes is treated as a binary file:
one error line, nothing processed, exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._io import decode_lines
from ..progress import Progress
from .errors import CommandError
from .options import add_model_arguments, build_pipeline, emit, parse_key_values, task_choices

PROGRESS_THRESHOLD = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, choices=task_choices(), help="the pipeline task")
    add_model_arguments(parser)
    parser.add_argument("--batch-size", type=int, default=8, dest="batch_size", help="inputs per batch")
    parser.add_argument(
        "--max-new-tokens", type=int, default=None, dest="max_new_tokens", help="text-generation: tokens to generate"
    )
    parser.add_argument("--greedy", action="store_true", help="text-generation: greedy decoding, no sampling")
    parser.add_argument("--seed", type=int, default=None, help="seed for sampling (text-generation)")
    parser.add_argument(
        "--candidate-labels",
        default=None,
        dest="candidate_labels",
        metavar="A,B,...",
        help="zero-shot-classification: the labels to score each line against, comma-separated (required; "
        "-o hypothesis_template='This text is about {}.' and -o multi_label=true set the other options)",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help=f"progress bar on stderr (auto: when stderr is a terminal and there are more than "
        f"{PROGRESS_THRESHOLD} inputs)",
    )


def read_lines(stream: Any) -> tuple[list[tuple[int, str]], list[str]]:
    """(numbered decoded lines, errors) from a binary stream; NUL bytes abort with CommandError."""
    data = stream.read()
    nul = data.find(b"\0")
    if nul >= 0:
        raise CommandError(
            f"standard input looks like a binary file (NUL byte at offset {nul}); expected UTF-8 "
            f"text with one input per line"
        )
    raw = data.split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    lines, errors = [], []
    for number, text, error in decode_lines(raw):
        if error is None:
            lines.append((number, text))
        else:
            errors.append(f"line {number}: {error}")
    return lines, errors


def main(args: argparse.Namespace) -> int:
    task = args.task
    options = parse_key_values(args.option, "--option")
    if args.top_k is not None:
        options["top_k"] = args.top_k
    if task == "text-generation":
        if args.max_new_tokens is not None:
            options["max_new_tokens"] = args.max_new_tokens
        if args.greedy:
            options["do_sample"] = False
    elif args.max_new_tokens is not None or args.greedy:
        raise CommandError("--max-new-tokens and --greedy apply only to --task text-generation")
    if args.candidate_labels is not None:
        if task != "zero-shot-classification":
            raise CommandError("--candidate-labels applies only to --task zero-shot-classification")
        options["candidate_labels"] = args.candidate_labels
    if task == "zero-shot-classification" and "candidate_labels" not in options:
        raise CommandError('--task zero-shot-classification needs --candidate-labels, e.g. --candidate-labels "a,b"')
    lines, errors = read_lines(sys.stdin.buffer)
    pipe = build_pipeline(task, args, **options)
    if args.seed is not None:
        import torch

        torch.manual_seed(args.seed)
    numbered: list[tuple[int, Any]] = []
    for number, text in lines:
        try:
            numbered.append((number, pipe.parse_line(text)))
        except ValueError as e:
            errors.append(f"line {number}: {e}")
    for message in sorted(errors, key=lambda m: int(m.split(":")[0].split()[1])):
        print(f"roberta run: error: {message}", file=sys.stderr)
    sys.stderr.flush()
    show = args.progress == "always" or (
        args.progress == "auto" and sys.stderr.isatty() and len(numbered) > PROGRESS_THRESHOLD
    )
    progress = Progress(len(numbered), enabled=show)
    chunk_size = max(args.batch_size * 4, 32)
    failed = bool(errors)
    for start in range(0, len(numbered), chunk_size):
        chunk = numbered[start : start + chunk_size]
        try:
            results = [(n, r, None) for (n, _), r in zip(chunk, pipe.run_batch([x for _, x in chunk]))]
        except (ValueError, TypeError, KeyError, IndexError, RuntimeError):
            results = []  # find out which lines fail, one at a time
            for number, item in chunk:
                try:
                    results.append((number, pipe.run_batch([item])[0], None))
                except (ValueError, TypeError, KeyError, IndexError, RuntimeError) as e:
                    results.append(
                        (number, None, str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)
                    )
        for number, result, error in results:
            if error is not None:
                failed = True
                if progress.enabled:
                    sys.stderr.write("\n")
                print(f"roberta run: error: line {number}: {error}", file=sys.stderr)
            else:
                emit(args.format, pipe, result, sys.stdout)
        progress.update(len(chunk))
    progress.close()
    return 1 if failed else 0
