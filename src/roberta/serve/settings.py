"""Everything `roberta serve` is configured with: one frozen object, checked once, read by the other modules."""

from __future__ import annotations

import os
import re
import resource
from dataclasses import dataclass
from pathlib import Path

API_KEY_ENV = "ROBERTA_API_KEY"
# Real tokens per batch when --max-batch-tokens is not given: on a CPU a batch of ~1k tokens already runs the
# products near their best rate, and a larger one only makes every input in it wait longer; a GPU wants more.
BATCH_TOKENS = {"cpu": 1024, "gpu": 16384}
POOLINGS = ("mean", "cls")
# Host headers every server answers (a browser resolves these names to this machine itself, so DNS rebinding
# cannot point them elsewhere); addresses that listen on every interface, where any Host is answered by default.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
EVERY_INTERFACE = ("0.0.0.0", "::", "")
# File descriptors kept for the process's own files when --max-connections is derived from the open-file limit.
RESERVED_FDS = 64
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9_.:-]+$")  # a name, an IPv4 or IPv6 address, or *.NAME


@dataclass(frozen=True)
class ModelSpec:
    """One served model: the name requests choose it by, its checkpoint directory, its pipeline task (None:
    from the checkpoint's architecture)."""

    name: str
    path: Path
    task: str | None = None


@dataclass(frozen=True, kw_only=True)
class ServeSettings:
    """The server's flags (see `roberta serve --help` and docs/serving.md). The first model is the default."""

    models: tuple[ModelSpec, ...]
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None
    max_batch_tokens: int | None = None  # None: BATCH_TOKENS for the device
    max_queue_tokens: int | None = None  # None: 16 batches
    max_client_batch: int = 1024
    max_input_tokens: int | None = None  # None: what each model's position table allows
    auto_truncate: bool = False
    request_timeout: float = 60.0
    dtype: str | None = None
    int8: bool = False
    device: str | None = None
    pooling: str = "mean"
    payload_limit: int = 2_000_000
    max_concurrent_requests: int = 512
    drain_timeout: float = 30.0
    allowed_hosts: tuple[str, ...] | None = None  # None: `hosts`' default
    header_timeout: float = 10.0
    max_connections: int | None = None  # None: the open-file limit less RESERVED_FDS

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("serve at least one model")
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must differ, got {names}; name them with --model NAME=DIR")
        for flag, value in (
            ("--max-batch-tokens", self.batch_tokens),
            ("--max-client-batch", self.max_client_batch),
            ("--payload-limit", self.payload_limit),
            ("--max-concurrent-requests", self.max_concurrent_requests),
            ("--max-connections", self.connection_limit),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{flag} must be an int >= 1, got {value!r}")
        if self.max_input_tokens is not None and self.max_input_tokens < 1:
            raise ValueError(f"--max-input-tokens must be >= 1, got {self.max_input_tokens}")
        if self.max_input_tokens is not None and self.max_input_tokens > self.batch_tokens:
            raise ValueError(
                f"--max-input-tokens ({self.max_input_tokens}) is larger than --max-batch-tokens "
                f"({self.batch_tokens}): one input must fit one batch"
            )
        if self.max_queue_tokens is not None and self.max_queue_tokens < self.batch_tokens:
            raise ValueError(
                f"--max-queue-tokens ({self.max_queue_tokens}) must be at least --max-batch-tokens "
                f"({self.batch_tokens})"
            )
        for flag, seconds in (
            ("--request-timeout", self.request_timeout),
            ("--drain-timeout", self.drain_timeout),
            ("--header-timeout", self.header_timeout),
        ):
            if not seconds > 0:
                raise ValueError(f"{flag} must be > 0 seconds, got {seconds}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"--pooling must be one of {POOLINGS}, got {self.pooling!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"--port must be in 0..65535, got {self.port}")
        for name in self.allowed_hosts or ():
            if name != "*" and not _HOST.match(name):
                raise ValueError(f"--allowed-hosts takes host names or addresses (or *), got {name!r}")

    @property
    def batch_tokens(self) -> int:
        if self.max_batch_tokens is not None:
            return self.max_batch_tokens
        return BATCH_TOKENS["gpu" if (self.device or "cpu").startswith("cuda") else "cpu"]

    @property
    def queue_tokens(self) -> int:
        return self.max_queue_tokens if self.max_queue_tokens is not None else 16 * self.batch_tokens

    @property
    def default_model(self) -> str:
        return self.models[0].name

    @property
    def hosts(self) -> tuple[str, ...]:
        """The Host header names answered (lower case; "*": any, "*.NAME": NAME's subdomains): --allowed-hosts,
        else the bound address and the localhost names, or any host when bound to every interface."""
        if self.allowed_hosts is not None:
            return tuple(name.lower().rstrip(".") for name in self.allowed_hosts)
        if self.host in EVERY_INTERFACE:
            return ("*",)
        return tuple(dict.fromkeys((self.host.lower(), *LOCAL_HOSTS)))

    @property
    def connection_limit(self) -> int:
        """Open connections at most: --max-connections, else what the open-file limit leaves after
        RESERVED_FDS (so accepting a connection never fails for want of a descriptor)."""
        if self.max_connections is not None:
            return self.max_connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            soft = 1 << 16
        return max(1, min(soft, 1 << 16) - RESERVED_FDS)


def parse_models(model_args: list[str], task_args: list[str], default_dir: Path) -> tuple[ModelSpec, ...]:
    """`--model [NAME=]DIR` and `--task [NAME=]TASK` flags -> model specs. A bare DIR is named after its
    directory; a bare TASK applies to every model not given one by name."""
    specs = [_split(arg, "--model", "DIR") for arg in (model_args or [str(default_dir)])]
    models = {}
    for name, value in specs:
        path = Path(value)
        name = name or path.resolve().name
        if name in models:
            raise ValueError(f"two models are named {name!r}; name them with --model NAME=DIR")
        models[name] = path
    tasks: dict[str | None, str] = {}
    for name, task in (_split(arg, "--task", "TASK") for arg in task_args):
        if name is not None and name not in models:
            raise ValueError(f"--task {name}={task} names no model; the models are {sorted(models)}")
        tasks[name] = task
    return tuple(ModelSpec(name, path, tasks.get(name, tasks.get(None))) for name, path in models.items())


def _split(arg: str, flag: str, what: str) -> tuple[str | None, str]:
    name, sep, value = arg.partition("=")
    if not sep or os.path.isdir(arg):  # a directory whose name holds "=" is a bare DIR
        return None, arg
    if not _NAME.match(name) or not value:
        raise ValueError(f"{flag} expects {what} or NAME={what} (NAME: letters, digits, . _ -), got {arg!r}")
    return name, value


def split_hosts(flag: str | None) -> tuple[str, ...] | None:
    """`--allowed-hosts a.example,b.example` -> the names (None: the flag was not given)."""
    if flag is None:
        return None
    names = tuple(name.strip() for name in flag.split(",") if name.strip())
    if not names:
        raise ValueError("--allowed-hosts is empty; give host names separated by commas, or *")
    return names


def api_key_from(flag: str | None) -> str | None:
    """The --api-key flag, else the ROBERTA_API_KEY environment variable; an empty key is an error."""
    key = flag if flag is not None else os.environ.get(API_KEY_ENV)
    if key is not None and not key.strip():
        raise ValueError(f"the API key (--api-key or {API_KEY_ENV}) is empty")
    return key
