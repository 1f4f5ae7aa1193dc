"""The server's Prometheus series (`GET /metrics`), in a registry of their own (nothing global)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the Prometheus text format
STAGES = ("tokenization", "queue", "inference", "total")
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_TOKEN_BUCKETS = (16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768)


class Metrics:
    """Queue depth, batch sizes, tokens, latencies by stage, requests by route and status, errors by kind,
    and requests dropped before compute. Also the batcher's `Observer`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("roberta_requests", "HTTP requests answered", ["route", "status"], registry=r)
        self.errors = Counter("roberta_errors", "error answers by error_type", ["error_type"], registry=r)
        self.dropped = Counter(
            "roberta_dropped_jobs", "inputs dropped from the queue before any compute", ["reason"], registry=r
        )
        self.latency = Histogram(
            "roberta_request_duration_seconds",
            "request latency by stage",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram("roberta_batch_size", "inputs per batch", buckets=_SIZE_BUCKETS, registry=r)
        self.batch_tokens = Histogram(
            "roberta_batch_tokens", "real tokens per batch", buckets=_TOKEN_BUCKETS, registry=r
        )
        self.batch_seconds = Histogram(
            "roberta_batch_duration_seconds", "model time per batch", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.tokens = Counter("roberta_tokens", "real tokens computed", registry=r)
        self.queue_tokens = Gauge("roberta_queue_tokens", "tokens waiting in the queue", registry=r)
        self.queue_jobs = Gauge("roberta_queue_size", "inputs waiting in the queue", registry=r)
        self.in_flight = Gauge("roberta_requests_in_flight", "requests being answered", registry=r)
        self.ready = Gauge("roberta_ready", "1 when loaded, warmed and not draining", registry=r)

    def watch_queue(self, tokens: Callable[[], float], jobs: Callable[[], float]) -> None:
        """Read the queue depth at scrape time."""
        self.queue_tokens.set_function(tokens)
        self.queue_jobs.set_function(jobs)

    def observe_stages(self, seconds: dict[str, float]) -> None:
        """One request's seconds per stage but the total (which the gate observes)."""
        for stage in STAGES[:-1]:
            self.latency.labels(stage=stage).observe(seconds[stage])

    # batcher Observer
    def on_batch(self, jobs: int, tokens: int, seconds: float) -> None:
        self.batch_size.observe(jobs)
        self.batch_tokens.observe(tokens)
        self.batch_seconds.observe(seconds)
        self.tokens.inc(tokens)

    def on_drop(self, reason: str, jobs: int) -> None:
        self.dropped.labels(reason=reason).inc(jobs)

    def render(self) -> bytes:
        return generate_latest(self.registry)
