"""One request's dealings with the batcher, on a request-pool thread: its inputs queued (one job each) and
waited for, its token counts within the limits, its deadline and disconnect checked between steps, and its
stage timings (the timing headers and the latency metrics)."""

from __future__ import annotations

import time
from typing import Any

from .backend import ModelBackend
from .batcher import Batcher, DeadlineExceeded, Draining, Dropped, JobFailed, Overloaded, Ticket
from .errors import ServeError

_DROP_ERRORS = {"deadline": "timeout", "disconnected": "client_closed", "shutdown": "unhealthy"}


class Work:
    """One request's dealings with the batcher: its ticket, its real tokens and its stage timings."""

    def __init__(self, batcher: Batcher, ticket: Ticket, *, auto_truncate: bool) -> None:
        self.batcher, self.ticket, self.auto_truncate = batcher, ticket, auto_truncate
        self.started = time.monotonic()
        self.tokenized_at: float | None = None
        self.tokens = 0  # real tokens computed (x-compute-tokens)
        self.counted = 0  # tokens the request holds, computed or not (bounded by the queue's size)

    def truncate(self, asked: bool | None) -> bool:
        return self.auto_truncate if asked is None else asked

    def run(self, backend: ModelBackend, kind: str, features: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue `features` (one job each) for `backend`'s forward `kind` and wait for their outputs, in order."""
        if self.tokenized_at is None:
            self.tokenized_at = time.monotonic()
        lengths = [len(f["input_ids"]) for f in features]
        self.count(backend, lengths)
        self.tokens += sum(lengths)
        key = backend.key(kind)
        try:
            futures = self.batcher.submit(self.ticket, [(key, n, f) for n, f in zip(lengths, features)])
            return self.batcher.wait(self.ticket, futures)
        except Overloaded as e:
            raise ServeError("overloaded", str(e), headers={"Retry-After": str(e.retry_after)}) from None
        except Draining as e:
            raise ServeError("unhealthy", str(e)) from None
        except DeadlineExceeded as e:
            raise ServeError("timeout", str(e)) from None
        except Dropped as e:
            raise ServeError(_DROP_ERRORS[e.reason], str(e)) from None
        except JobFailed as e:
            raise ServeError("backend", f"the model failed on an input of this request: {e}") from None

    def count(self, backend: ModelBackend, lengths: list[int]) -> None:
        """Add inputs of these token counts to the request's: each within the model's input limit, all of them
        within what the queue takes (413 "validation" otherwise, as every route answers)."""
        for n in lengths:
            backend.check_length(n)
        self.counted += sum(lengths)
        if self.counted > self.batcher.max_queue_tokens:
            raise ServeError(
                "validation",
                f"the request holds {self.counted} tokens, more than the queue takes (--max-queue-tokens "
                f"{self.batcher.max_queue_tokens}); send it in smaller parts",
            )

    def check(self) -> None:
        """Stop here if the request's deadline passed (504) or its client left (499): called between the
        steps of post-processing, so an answer nobody waits for costs no more CPU."""
        reason = self.ticket.drop_reason(time.monotonic())
        if reason == "deadline":
            raise ServeError("timeout", "the request's deadline passed before its answer was ready")
        if reason is not None:
            raise ServeError("client_closed", "the client closed the connection before its answer")

    def stages(self) -> dict[str, float]:
        """Seconds spent tokenizing, queued (until the first input's batch began) and in inference (until the
        last input's batch ended)."""
        t = self.ticket
        return {
            "tokenization": max(0.0, (self.tokenized_at or time.monotonic()) - self.started),
            "queue": (t.started_at - t.admitted_at) if t.started_at and t.admitted_at else 0.0,
            "inference": (t.finished_at - t.started_at) if t.finished_at and t.started_at else 0.0,
        }

    def headers(self) -> dict[str, str]:
        """TEI's timing headers, in milliseconds, and the request's real tokens."""
        headers = {f"x-{stage}-time": f"{max(seconds, 0.0) * 1000:.3f}" for stage, seconds in self.stages().items()}
        headers["x-compute-tokens"] = str(self.tokens)
        return headers
