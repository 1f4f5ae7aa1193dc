"""The queue between requests and the model: admission by queued tokens, batches filled to a token budget,
deadlines and disconnects, one failing input isolated, draining.

Nothing here knows HTTP or torch: a batch is run by two callables given at construction,
`prepare(key, payloads) -> prepared` and `run(key, prepared) -> one result per payload`. Every input of a
request is one *job*; jobs of one *key* (a model and the kind of forward pass it needs) share batches.

Two threads do the work. The *former* takes the oldest job, then adds younger jobs of the same key (oldest
first) while their real tokens fit `max_batch_tokens`, drops jobs whose deadline passed or whose client left
(before any compute), and prepares the batch. The *model* thread runs prepared batches one at a time. While a
batch runs, the next one is formed and prepared only if the queue already holds a full budget of tokens;
otherwise it is formed the moment the model is free, so it takes in everything that arrived meanwhile. An
idle model never waits: a job submitted to an empty queue is formed at once.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)

RATE_SMOOTHING = 0.3  # weight of the newest batch in the tokens/s estimate behind Retry-After


class Overloaded(Exception):
    """Admission refused: the queue would hold more than `max_queue_tokens`."""

    def __init__(self, retry_after: int, queued_tokens: int) -> None:
        super().__init__(f"the queue holds {queued_tokens} tokens; retry in {retry_after} s")
        self.retry_after = retry_after


class Draining(Exception):
    """The batcher no longer admits work (the server is shutting down)."""


class DeadlineExceeded(Exception):
    """The request's deadline passed before all its jobs were computed."""


class Dropped(Exception):
    """The job was removed from the queue before any compute ("deadline", "disconnected" or "shutdown")."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"dropped from the queue: {reason}")
        self.reason = reason


class JobFailed(Exception):
    """The model raised on this job, also when the job ran alone."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


class Observer(Protocol):
    """What the batcher reports (the server's metrics implement it)."""

    def on_batch(self, jobs: int, tokens: int, seconds: float) -> None: ...

    def on_drop(self, reason: str, jobs: int) -> None: ...


class Ticket:
    """One request's place in the queue: its deadline (a `time.monotonic()` value), whether its client left,
    and when its jobs were admitted, first started and last finished (for the timing headers)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.cancelled = False
        self.admitted_at: float | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None

    def cancel(self) -> None:
        """The client is gone: its queued jobs are dropped before compute."""
        self.cancelled = True

    def drop_reason(self, now: float) -> str | None:
        if now >= self.deadline:
            return "deadline"
        return "disconnected" if self.cancelled else None


@dataclass(eq=False)
class Job:
    key: Hashable
    tokens: int
    payload: Any
    ticket: Ticket
    future: Future


@dataclass(eq=False)
class _Prepared:
    key: Hashable
    jobs: list[Job]
    prepared: Any  # None when prepare raised: the model thread prepares again while isolating the failure


class Batcher:
    """Token-budget dynamic batching over one model thread (see the module docstring)."""

    def __init__(
        self,
        *,
        prepare: Callable[[Hashable, list[Any]], Any],
        run: Callable[[Hashable, Any], Sequence[Any]],
        max_batch_tokens: int,
        max_queue_tokens: int,
        observer: Observer | None = None,
        scan_limit: int = 4096,
    ) -> None:
        if max_batch_tokens < 1 or max_queue_tokens < max_batch_tokens:
            raise ValueError(
                f"need 1 <= max_batch_tokens <= max_queue_tokens, got {max_batch_tokens} and {max_queue_tokens}"
            )
        self._prepare, self._run, self._observer = prepare, run, observer
        self.max_batch_tokens, self.max_queue_tokens, self._scan_limit = max_batch_tokens, max_queue_tokens, scan_limit
        self._cond = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._queued_tokens = 0
        self._slot: _Prepared | None = None
        self._busy = False
        self._stopped = False
        self._rate: float | None = None  # tokens per second, smoothed over batches
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ state
    @property
    def queued_tokens(self) -> int:
        return self._queued_tokens

    @property
    def queued_jobs(self) -> int:
        return len(self._queue)

    @property
    def idle(self) -> bool:
        """Nothing queued, prepared or running."""
        with self._cond:
            return not self._queue and self._slot is None and not self._busy

    @property
    def alive(self) -> bool:
        """Whether a thread of the batcher still runs (after `stop`: a batch longer than its timeout)."""
        return any(t.is_alive() for t in self._threads)

    @property
    def tokens_per_second(self) -> float | None:
        return self._rate

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._threads:
            return
        self._threads = [
            threading.Thread(target=self._form_loop, name="roberta-serve-former", daemon=True),
            threading.Thread(target=self._model_loop, name="roberta-serve-model", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop both threads after the batch in progress; jobs still queued are dropped ("shutdown")."""
        with self._cond:
            self._stopped = True
            left = list(self._queue) + (self._slot.jobs if self._slot is not None else [])
            self._queue.clear()
            self._slot, self._queued_tokens = None, 0
            self._cond.notify_all()
        self._drop([(job, "shutdown") for job in left])
        for t in self._threads:
            t.join(timeout)

    # ------------------------------------------------------------------ requests
    def submit(self, ticket: Ticket, items: Sequence[tuple[Hashable, int, Any]]) -> list[Future]:
        """Queue one request's jobs, `(key, real tokens, payload)` each, all or none. Raises `Overloaded` (with
        a Retry-After estimate) when the queue would exceed `max_queue_tokens`, `Draining` once stopped."""
        total = sum(tokens for _, tokens, _ in items)
        if total > self.max_queue_tokens:
            raise ValueError(f"a request of {total} tokens can never fit max_queue_tokens={self.max_queue_tokens}")
        dropped: list[tuple[Job, str]] = []
        with self._cond:
            if self._stopped:
                raise Draining("the server is draining and admits no new work")
            now = time.monotonic()
            if self._queued_tokens + total > self.max_queue_tokens:
                dropped = self._purge(now)
            if self._queued_tokens + total > self.max_queue_tokens:
                excess = self._queued_tokens + total - self.max_queue_tokens
                retry = 1 if not self._rate else max(1, math.ceil(excess / self._rate))
                overloaded = Overloaded(retry, self._queued_tokens)
            else:
                overloaded = None
                jobs = [Job(key, tokens, payload, ticket, Future()) for key, tokens, payload in items]
                self._queue.extend(jobs)
                self._queued_tokens += total
                ticket.admitted_at = now
                self._cond.notify_all()
        self._drop(dropped)
        if overloaded is not None:
            raise overloaded
        return [job.future for job in jobs]

    def wait(self, ticket: Ticket, futures: Sequence[Future]) -> list[Any]:
        """The results of one request's jobs, in order. Raises `DeadlineExceeded` when the ticket's deadline
        passes first (its queued jobs are then dropped), else the first job's `Dropped` / `JobFailed`."""
        _, pending = wait_futures(futures, timeout=max(0.0, ticket.deadline - time.monotonic()))
        if pending:
            ticket.cancel()
            raise DeadlineExceeded("the request's deadline passed before it was computed")
        return [f.result() for f in futures]

    # ------------------------------------------------------------------ threads
    def _form_loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not self._should_form():
                    self._cond.wait()
                if self._stopped:
                    return
                key, jobs, dropped = self._take_batch(time.monotonic())
            self._drop(dropped)
            if not jobs:
                continue
            try:
                prepared = self._prepare(key, [job.payload for job in jobs])
            except Exception:  # the model thread prepares again while it isolates the failing input
                prepared = None
            with self._cond:
                if self._stopped:
                    self._drop([(job, "shutdown") for job in jobs])
                    return
                self._slot = _Prepared(key, jobs, prepared)
                self._cond.notify_all()

    def _should_form(self) -> bool:
        if self._slot is not None or not self._queue:
            return False
        return not self._busy or self._queued_tokens >= self.max_batch_tokens

    def _model_loop(self) -> None:
        while True:
            with self._cond:
                while self._slot is None and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                batch, self._slot = self._slot, None
                self._busy = True
                self._cond.notify_all()
            now = time.monotonic()
            live = [job for job in batch.jobs if job.ticket.drop_reason(now) is None]
            if len(live) < len(batch.jobs):  # left or expired while prepared: still no compute for them
                self._drop([(job, job.ticket.drop_reason(now)) for job in batch.jobs if job not in live])
                batch = _Prepared(batch.key, live, None)
            if live:
                self._execute(batch.key, batch.jobs, batch.prepared)
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _take_batch(self, now: float) -> tuple[Hashable, list[Job], list[tuple[Job, str]]]:
        """Under the lock: the oldest live job's key and the jobs of that key that fit the budget."""
        key, taken, tokens, skipped, dropped = None, [], 0, [], []
        scanned = 0
        while self._queue and scanned < self._scan_limit and tokens < self.max_batch_tokens:
            job = self._queue.popleft()
            scanned += 1
            reason = job.ticket.drop_reason(now)
            if reason is not None:
                self._queued_tokens -= job.tokens
                dropped.append((job, reason))
                continue
            if key is None:
                key = job.key
            if job.key == key and (not taken or tokens + job.tokens <= self.max_batch_tokens):
                taken.append(job)
                tokens += job.tokens
                self._queued_tokens -= job.tokens
            else:
                skipped.append(job)
        self._queue.extendleft(reversed(skipped))
        return key, taken, dropped

    def _purge(self, now: float) -> list[tuple[Job, str]]:
        """Under the lock: remove every job whose deadline passed or whose client left."""
        keep, dropped = collections.deque(), []
        for job in self._queue:
            reason = job.ticket.drop_reason(now)
            if reason is None:
                keep.append(job)
            else:
                self._queued_tokens -= job.tokens
                dropped.append((job, reason))
        self._queue = keep
        return dropped

    def _drop(self, dropped: list[tuple[Job, str]]) -> None:
        counts = collections.Counter(reason for _, reason in dropped)
        for job, reason in dropped:
            job.future.set_exception(Dropped(reason))
        if self._observer is not None:
            for reason, n in counts.items():
                self._observer.on_drop(reason, n)

    def _execute(self, key: Hashable, jobs: list[Job], prepared: Any) -> None:
        """Run one batch; if it raises, split it in halves until the failing jobs fail alone."""
        start = time.monotonic()
        for job in jobs:
            if job.ticket.started_at is None:
                job.ticket.started_at = start
        try:
            if prepared is None:
                prepared = self._prepare(key, [job.payload for job in jobs])
            results = self._run(key, prepared)
            if len(results) != len(jobs):
                raise RuntimeError(f"run returned {len(results)} results for {len(jobs)} inputs")
        except Exception as e:
            if len(jobs) == 1:
                logger.warning("an input failed on its own: %s: %s", type(e).__name__, e)
                jobs[0].ticket.finished_at = time.monotonic()
                jobs[0].future.set_exception(JobFailed(e))
                return
            logger.warning("a batch of %d inputs failed (%s); splitting it to isolate the input", len(jobs), e)
            half = len(jobs) // 2
            self._execute(key, jobs[:half], None)
            self._execute(key, jobs[half:], None)
            return
        end = time.monotonic()
        tokens = sum(job.tokens for job in jobs)
        if end > start:
            rate = tokens / (end - start)
            self._rate = rate if self._rate is None else (1 - RATE_SMOOTHING) * self._rate + RATE_SMOOTHING * rate
        for job, result in zip(jobs, results):
            job.ticket.finished_at = end
            job.future.set_result(result)
        if self._observer is not None:
            self._observer.on_batch(len(jobs), tokens, end - start)
