"""`roberta run --task TASK [--model DIR]`: run a pipeline over standard input, one input per line.

Input lines (UTF-8; a trailing "\\r" and a leading byte-order mark are ignored):

* most tasks: the line is the text;
* text-classification: the text, or a JSON object {"text": ..., "text_pair": ...} for a pair;
* question-answering: a JSON object {"question": ..., "context": ...}, or "question<TAB>context".

Output: one line per good input, in input order: a JSON value (`--format json`, the default) or a
human-readable rendering (`--format text`, possibly several lines per input).

Bad lines (empty, undecodable UTF-8, no <mask> for fill-mask, malformed question-answering lines, inputs the
model rejects) are each reported on stderr as "line N: problem" and skipped; the good lines are still
processed and the exit status is 1 at the end. Standard input holding NUL bytes is treated as a binary file:
one error line, nothing processed, exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ...cli import CommandError
from .common import TASK_CHOICES, Progress, add_model_arguments, build_pipeline, emit, parse_options

PROGRESS_THRESHOLD = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, choices=TASK_CHOICES, help="the pipeline task")
    add_model_arguments(parser)
    parser.add_argument("--batch-size", type=int, default=8, dest="batch_size", help="inputs per batch (8)")
    parser.add_argument(
        "--max-new-tokens", type=int, default=None, dest="max_new_tokens", help="text-generation: tokens to generate"
    )
    parser.add_argument("--greedy", action="store_true", help="text-generation: greedy decoding, no sampling")
    parser.add_argument("--seed", type=int, default=None, help="seed for sampling (text-generation)")
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
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw = data.split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    lines, errors = [], []
    for number, chunk in enumerate(raw, 1):
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
        try:
            lines.append((number, chunk.decode("utf-8")))
        except UnicodeDecodeError as e:
            errors.append(f"line {number}: not valid UTF-8 (byte 0x{chunk[e.start]:02x} at column {e.start + 1})")
    return lines, errors


def parse_line(task: str, text: str, mask_token: str | None) -> Any:
    """The pipeline input for one line; ValueError with a short reason for a bad line."""
    if not text.strip():
        raise ValueError("empty line")
    if task == "question-answering":
        if text.lstrip().startswith("{"):
            try:
                item = json.loads(text)
            except json.JSONDecodeError as e:
                raise ValueError(f"invalid JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(item, dict) or not {"question", "context"} <= set(item):
                raise ValueError('expected a JSON object with "question" and "context"')
        elif "\t" in text:
            question, context = text.split("\t", 1)
            item = {"question": question, "context": context}
        else:
            raise ValueError('expected a JSON object {"question": ..., "context": ...} or question<TAB>context')
        for key in ("question", "context"):
            if not isinstance(item[key], str) or not item[key].strip():
                raise ValueError(f"empty or non-string {key}")
        return {"question": item["question"], "context": item["context"]}
    if task in ("text-classification", "sentiment-analysis") and text.lstrip().startswith("{"):
        try:
            item = json.loads(text)
        except json.JSONDecodeError:
            return text
        if isinstance(item, dict) and "text" in item:
            if set(item) - {"text", "text_pair"} or not all(isinstance(v, str) for v in item.values()):
                raise ValueError('a text pair must be {"text": str, "text_pair": str}')
            return item
        return text
    if task == "fill-mask" and mask_token and mask_token not in text:
        raise ValueError(f"no {mask_token} token in the input")
    return text


def main(args: argparse.Namespace) -> int:
    task = args.task
    options = parse_options(args.option)
    if args.top_k is not None:
        options["top_k"] = args.top_k
    if task == "text-generation":
        if args.max_new_tokens is not None:
            options["max_new_tokens"] = args.max_new_tokens
        if args.greedy:
            options["do_sample"] = False
    elif args.max_new_tokens is not None or args.greedy:
        raise CommandError("--max-new-tokens and --greedy apply only to --task text-generation")
    if args.model is not None:
        from pathlib import Path

        if not Path(args.model).is_dir():
            raise CommandError(f"model directory {args.model!r} does not exist")
    lines, errors = read_lines(sys.stdin.buffer)
    pipe = build_pipeline(task, args, **options)
    if args.seed is not None:
        import torch

        torch.manual_seed(args.seed)
    mask = pipe.tokenizer.mask_token if task == "fill-mask" else None
    numbered: list[tuple[int, Any]] = []
    for number, text in lines:
        try:
            numbered.append((number, parse_line(task, text, mask)))
        except ValueError as e:
            errors.append(f"line {number}: {e}")
    for message in sorted(errors, key=lambda m: int(m.split(":")[0].split()[1])):
        print(f"roberta run: error: {message}", file=sys.stderr)
    sys.stderr.flush()
    show = args.progress == "always" or (
        args.progress == "auto" and sys.stderr.isatty() and len(numbered) > PROGRESS_THRESHOLD
    )
    progress = Progress(len(numbered), show)
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
                emit(task, args.format, result, sys.stdout)
        progress.update(len(chunk))
    progress.close()
    return 1 if failed else 0
