"""`roberta serve`: serve models over HTTP with dynamic, unpadded batching (see docs/serving.md).

    roberta serve                                   # the bundled model on 127.0.0.1:8080
    roberta serve --model clf=runs/clf --model base=runs/base --api-key "$KEY" --host 0.0.0.0

The address is bound first and models load before the port opens (a port in use, a bad flag or folder fails
at once, exit status 2); they are warmed up after, and readiness turns green when that is done. SIGTERM (or
Ctrl+C) drains: readiness goes red at once, new requests get 503, every request already admitted is answered,
then the process exits 0 (at the latest after --drain-timeout). A second signal stops at once (exit status
128 + the signal).
"""

from __future__ import annotations

import argparse
import dataclasses

from ..serve.settings import (
    API_KEY_ENV,
    BATCH_TOKENS,
    POOLINGS,
    RESERVED_FDS,
    ServeSettings,
    api_key_from,
    parse_models,
    split_hosts,
)
from .errors import user_errors
from .options import arg_values


def _served_tasks() -> str:
    """The pipeline tasks `POST /` can answer, with their aliases, for --help."""
    from ..pipelines import SUPPORTED_TASKS
    from ..registry import describe_tasks
    from ..serve.backend import UNSERVED_TASKS

    return describe_tasks(t for t in SUPPORTED_TASKS if t not in UNSERVED_TASKS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = {f.name: f.default for f in dataclasses.fields(ServeSettings)}
    add = parser.add_argument
    add(
        "--model",
        action="append",
        default=[],
        metavar="[NAME=]DIR",
        help="a checkpoint folder to serve, repeatable as NAME=DIR; a request picks one by name (field "
        '"model", or POST /models/NAME), else the first; none: the bundled model',
    )
    add(
        "--task",
        action="append",
        default=[],
        metavar="[NAME=]TASK",
        help=f"the pipeline task POST / answers: {_served_tasks()} (none: from the checkpoint's architecture); "
        "NAME=TASK: one model's",
    )
    add("--host", default=d["host"], help="address to listen on (0.0.0.0: every interface)")
    add("--port", type=int, default=d["port"], help="port (0 picks a free one)")
    add("--api-key", default=None, help=f"require 'Authorization: Bearer KEY' (or set {API_KEY_ENV})")
    add(
        "--max-batch-tokens",
        type=int,
        default=None,
        help=f"real tokens per batch (none: {BATCH_TOKENS['cpu']} on a CPU, {BATCH_TOKENS['gpu']} on a GPU)",
    )
    add("--max-queue-tokens", type=int, default=None, help="queued tokens before 429 (none: 16 batches)")
    add(
        "--max-client-batch",
        type=int,
        default=d["max_client_batch"],
        help="inputs per request; a request of more tokens than a batch is split over batches, not refused",
    )
    add("--max-input-tokens", type=int, default=None, help="tokens per input (none: what the model takes)")
    add("--auto-truncate", action="store_true", help='truncate long inputs unless a request says "truncate": false')
    add("--request-timeout", type=float, default=d["request_timeout"], help="seconds per request, queue included")
    add("--dtype", default=None, help="float32, float16, bfloat16, or auto (as saved); none: float32")
    add("--int8", action="store_true", help="dynamic int8 linears (CPU; the drift is in docs/performance.md)")
    add("--device", default=None, help="cpu, cuda or cuda:N (none: cpu)")
    add(
        "--threads",
        type=int,
        default=None,
        help="torch threads for the model (none: torch's, one per core; on a CPU, one fewer leaves a core to "
        "HTTP and tokenization)",
    )
    add("--pooling", choices=POOLINGS, default=d["pooling"], help="how /embed pools the token states")
    add("--payload-limit", type=int, default=d["payload_limit"], help="request body bytes; 413 above")
    add("--max-concurrent-requests", type=int, default=d["max_concurrent_requests"], help="open requests; 429 above")
    add(
        "--drain-timeout",
        type=float,
        default=d["drain_timeout"],
        help="seconds to answer admitted requests after SIGTERM",
    )
    add(
        "--allowed-hosts",
        default=None,
        metavar="HOST[,HOST...]",
        help="Host headers answered, comma-separated (*: any; *.NAME: NAME's subdomains); none: the --host "
        "address and localhost, 127.0.0.1, ::1, or any host when --host listens on every interface",
    )
    add(
        "--header-timeout",
        type=float,
        default=d["header_timeout"],
        help="seconds a connection may take to send a request's headers; closed after",
    )
    add(
        "--max-connections",
        type=int,
        default=None,
        help=f"open connections; past it a new one displaces the longest-idle (none: the open-file limit less "
        f"{RESERVED_FDS})",
    )
    add("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    add("--access-log", action="store_true", help="log every request (it costs time under load)")


# The options that go to ServeSettings unchanged, under their own names.
_PASSED_ON = (
    "host",
    "port",
    "max_batch_tokens",
    "max_queue_tokens",
    "max_client_batch",
    "max_input_tokens",
    "auto_truncate",
    "request_timeout",
    "dtype",
    "int8",
    "device",
    "pooling",
    "payload_limit",
    "max_concurrent_requests",
    "drain_timeout",
    "header_timeout",
    "max_connections",
)


def settings_from(args: argparse.Namespace) -> ServeSettings:
    from ..pipelines import default_model_dir

    return ServeSettings(
        models=parse_models(args.model, args.task, default_model_dir()),
        api_key=api_key_from(args.api_key),
        allowed_hosts=split_hosts(args.allowed_hosts),
        **arg_values(args, *_PASSED_ON),
    )


def main(args: argparse.Namespace) -> int:
    from ..extras import require

    require("uvicorn", "starlette", "orjson", feature="the HTTP server")
    from ..serve.server import bind, configure, load_models, serve

    with user_errors():
        settings = settings_from(args)
        configure(log_level=args.log_level, threads=args.threads)
        sock = bind(settings)  # a port in use fails now, not after the models load
    try:
        with user_errors():
            models = load_models(settings)
        serve(settings, models, sock, log_level=args.log_level, access_log=args.access_log)
    finally:
        sock.close()
    return 0
