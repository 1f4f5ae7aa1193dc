"""`roberta predict --task TASK --model DIR --input PATH --output PATH`: a pipeline over every row of a dataset.

Input: JSON Lines, CSV or Parquet (--text-column, --pair-column; the id column and the other columns are
copied to the output). Output: Parquet or JSON Lines, one row per good input row, in input order. Bad rows go
to the errors file. The local engine is resumable: run a killed job again with the same arguments and it
continues where it stopped. `--engine ray` runs the same job on Ray Data. See docs/predict.md.

Exit status: 0 done (bad rows, if any, are in the errors file), 1 more bad rows than --max-errors, 2 bad
arguments or input.
"""

from __future__ import annotations

import argparse
import sys

from ..progress import on_terminal
from .errors import user_errors
from .options import add_option_argument, arg_values, parse_key_values
from .window_options import add_window_arguments, add_window_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..predict.tasks import task_choices, task_names
    from ..registry import describe_tasks

    parser.add_argument(
        "--task",
        required=True,
        choices=task_choices(),
        metavar="TASK",
        help=f"the pipeline task: {describe_tasks(task_names())}",
    )
    parser.add_argument("--model", required=True, metavar="DIR", help="checkpoint folder or cached hub id")
    parser.add_argument("--input", required=True, metavar="PATH", help="a .jsonl, .csv or .parquet file")
    parser.add_argument(
        "--output", required=True, metavar="PATH", help="a .parquet or .jsonl file (--engine ray: a folder)"
    )
    parser.add_argument("--input-format", choices=("jsonl", "csv", "parquet"), default=None, dest="input_format")
    parser.add_argument("--output-format", choices=("jsonl", "parquet"), default=None, dest="output_format")
    parser.add_argument(
        "--text-column",
        default=None,
        dest="text_column",
        help="default: text (question-answering: question; rerank: query)",
    )
    parser.add_argument(
        "--pair-column",
        default=None,
        dest="pair_column",
        help="text-classification: the second text of a pair; question-answering: the context (default: "
        "context); rerank: the document (default: document)",
    )
    parser.add_argument("--id-column", default="id", dest="id_column", help="kept; without it, the row numbers")
    parser.add_argument(
        "--keep-columns",
        default=None,
        dest="keep_columns",
        metavar="A,B,...",
        help="input columns copied to the output (default: all but the text and pair columns; '' for none)",
    )
    parser.add_argument("--errors", default=None, metavar="PATH", help="the errors file (default: OUTPUT.errors.jsonl)")
    parser.add_argument("--max-errors", type=int, default=None, dest="max_errors", help="stop after more bad rows")
    parser.add_argument("--batch-tokens", type=int, default=8192, dest="batch_tokens", help="tokens per model batch")
    parser.add_argument(
        "--part-rows", type=int, default=1024, dest="part_rows", help="rows read and committed together"
    )
    parser.add_argument("--top-k", type=int, default=None, dest="top_k", help="number of predictions per row")
    add_option_argument(parser, "-o precision=binary")
    add_window_arguments(parser)
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: cpu)")
    parser.add_argument("--dtype", default=None, help="float32, float16, bfloat16 or auto (default: as saved)")
    parser.add_argument("--overwrite", action="store_true", help="replace the output / an interrupted job's work")
    parser.add_argument("--progress", choices=("auto", "always", "never"), default="auto", help="auto: on a terminal")
    parser.add_argument("--engine", choices=("local", "ray"), default="local", help="ray: on Ray Data")
    parser.add_argument("--num-actors", type=int, default=2, dest="num_actors", help="ray: model replicas")
    parser.add_argument("--cpus-per-actor", type=float, default=1, dest="cpus_per_actor", help="ray: CPUs each")
    parser.add_argument("--gpus-per-actor", type=float, default=0, dest="gpus_per_actor", help="ray: GPUs each")
    parser.add_argument(
        "--ray-address", default=None, dest="ray_address", help="ray: a cluster to join (default: a local Ray)"
    )


# The options that go to `predict` unchanged, under their own names.
_PASSED_ON = (
    "engine",
    "text_column",
    "pair_column",
    "id_column",
    "input_format",
    "output_format",
    "errors",
    "max_errors",
    "batch_tokens",
    "part_rows",
    "device",
    "dtype",
    "overwrite",
    "num_actors",
    "cpus_per_actor",
    "gpus_per_actor",
    "ray_address",
)


def main(args: argparse.Namespace) -> int:
    from ..predict import predict
    from ..predict.local import TooManyErrors, duration

    options = parse_key_values(args.option, "--option")
    if args.top_k is not None:
        options["top_k"] = args.top_k
    add_window_option(args, options)
    keep = None
    if args.keep_columns is not None:
        keep = [c.strip() for c in args.keep_columns.split(",") if c.strip()]
    progress = args.progress == "always" or (args.progress == "auto" and on_terminal())
    try:
        with user_errors():
            summary = predict(
                args.task,
                args.model,
                args.input,
                args.output,
                keep_columns=keep,
                options=options,
                progress=progress,
                **arg_values(args, *_PASSED_ON),
            )
    except TooManyErrors as e:
        print(f"roberta predict: error: {e}", file=sys.stderr)
        return 1
    print(
        f"roberta predict: {summary.written} rows to {summary.output}, {summary.errors} bad rows to "
        f"{summary.errors_file}; {summary.rows_this_run} rows in {duration(summary.seconds)} "
        f"({summary.rows_per_second:.1f} rows/s)",
        file=sys.stderr,
    )
    return 0
