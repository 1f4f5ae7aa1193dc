"""`roberta run --task TASK [--model DIR]`: run a pipeline over standard input, one input per line.

Input lines (UTF-8; a trailing "\\r" and a leading byte-order mark are ignored):

* most tasks: the line is the text;
* text-classification: the text, or a JSON object {"text": ..., "text_pair": ...} for a pair;
* question-answering: a JSON object {"question": ..., "context": ...}, or "question<TAB>context";
* zero-shot-classification: the text; the labels come from --candidate-labels.

Output: one line per good input, in input order: a JSON value (`--format json`, the default) or a
human-readable rendering (`--format text`, possibly several lines per input). Inputs are answered as they
arrive: the answer to a line is written (and flushed) before the next line is waited for, so a program that
writes one line and reads its answer works; lines that arrive together are run as batches.

Bad lines (empty, undecodable UTF-8, no <mask> for fill-mask, malformed question-answering lines, inputs the
model rejects) are each reported on stderr as "line N: problem" and skipped; the good lines are still
processed and the exit status is 1 at the end. A NUL byte means standard input is a binary file: one error
line, no further input is read, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from .._io import decode_lines
from ..progress import Progress, on_terminal
from .errors import CommandError
from .options import add_model_arguments, build_pipeline, emit, parse_key_values, task_choices, task_help
from .window_options import add_window_arguments, add_window_option

PROGRESS_THRESHOLD = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--task", required=True, choices=task_choices(), metavar="TASK", help=f"the pipeline task: {task_help()}"
    )
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
    add_window_arguments(parser)
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help=f"a count of the inputs answered, on stderr (auto: when stderr is a terminal, from the "
        f"{PROGRESS_THRESHOLD + 1}st input on, unless the inputs are typed on a terminal)",
    )


def arriving_lines(stream: Any) -> Iterator[list[tuple[int, str, str | None]]]:
    """The lines of a binary stream as they arrive, a list of `(number, text, error)` per read: each read returns
    what is there already and waits only when nothing is (`read1`), so a terminal or a pipe yields a line as soon
    as it is written and a file large lists (batches). A NUL byte raises CommandError."""
    read = getattr(stream, "read1", stream.read)
    pending: list[bytes] = []  # the pieces of a line not yet ended (a long line may take many reads)
    offset, number = 0, 1
    while True:
        data = read(1 << 16)
        if not data:
            break
        nul = data.find(b"\0")
        if nul >= 0:
            raise CommandError(
                f"standard input looks like a binary file (NUL byte at offset {offset + nul}); expected UTF-8 "
                f"text with one input per line"
            )
        offset += len(data)
        if b"\n" not in data:
            pending.append(data)
            continue
        first, *complete = data.split(b"\n")
        complete.insert(0, b"".join([*pending, first]))
        pending = [complete.pop()]
        yield list(decode_lines(complete, start=number))
        number += len(complete)
    if any(pending):
        yield list(decode_lines([b"".join(pending)], start=number))


def answer(pipe: Any, items: list[tuple[int, Any]]) -> list[tuple[int, Any, str | None]]:
    """`(number, result, error)` per item, run as one batch; when the batch fails, one at a time to find the
    lines that fail."""
    errors = (ValueError, TypeError, KeyError, IndexError, RuntimeError)
    try:
        return [(n, r, None) for (n, _), r in zip(items, pipe.run_batch([x for _, x in items]))]
    except errors:
        results = []
        for number, item in items:
            try:
                results.append((number, pipe.run_batch([item])[0], None))
            except errors as e:
                text = str(e).strip()
                results.append((number, None, text.splitlines()[0] if text else type(e).__name__))
        return results


def main(args: argparse.Namespace) -> int:
    from ..pipelines import resolve_task

    task = resolve_task(args.task)  # an alias (ner, causal-lm, ...) is its task's one name below
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
    add_window_option(args, options)
    pipe = build_pipeline(task, args, **options)
    if args.seed is not None:
        import torch

        torch.manual_seed(args.seed)
    interactive = on_terminal(sys.stdin)
    if interactive:
        print("roberta run: reading inputs from the terminal, one per line; Ctrl-D ends", file=sys.stderr)
    # auto: a counter on a terminal once the stream is long, never for someone typing
    auto = args.progress == "auto" and on_terminal() and not interactive
    progress = Progress(None, enabled=args.progress == "always", desc="inputs")
    failed = False

    def report(results: list[tuple[int, Any, str | None]]) -> None:
        nonlocal failed
        for number, result, problem in results:
            if problem is None:
                emit(args.format, pipe, result, sys.stdout)
                continue
            failed = True
            if progress.enabled:
                sys.stderr.write("\n")
            print(f"roberta run: error: line {number}: {problem}", file=sys.stderr, flush=True)

    chunk_size = max(args.batch_size * 4, 32)
    for lines in arriving_lines(sys.stdin.buffer):
        items: list[tuple[int, Any]] = []
        for number, text, problem in lines:
            try:
                if problem is not None:
                    raise ValueError(problem)
                items.append((number, pipe.parse_line(text)))
            except ValueError as e:
                report([(number, None, str(e))])
        for start in range(0, len(items), chunk_size):
            chunk = items[start : start + chunk_size]
            report(answer(pipe, chunk))
            if auto and not progress.enabled and progress.n + len(chunk) > PROGRESS_THRESHOLD:
                progress = Progress(None, initial=progress.n, desc="inputs")
            progress.update(len(chunk))
    progress.close()
    return 1 if failed else 0
