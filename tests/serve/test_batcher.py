"""The batcher on its own: no HTTP, no model (a recording prepare/run pair stands in for the model)."""

from __future__ import annotations

import collections
import math
import threading
import time

import pytest

from roberta.serve.batcher import Batcher, DeadlineExceeded, Draining, Dropped, JobFailed, Overloaded, Ticket

FAR = 1e9  # a deadline that never passes


class Model:
    """Records what is prepared and run; `run` waits for `gate` (to hold the model busy) and raises on any
    payload "poison"; each result names its key and payload."""

    def __init__(self, *, held: bool = False, seconds: float = 0.0) -> None:
        self.prepared: list[list[str]] = []
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.running = threading.Event()
        self.seconds = seconds
        if not held:
            self.gate.set()

    def prepare(self, key, payloads):
        self.prepared.append(list(payloads))
        return list(payloads)

    def run(self, key, payloads):
        self.running.set()
        assert self.gate.wait(10)
        time.sleep(self.seconds)
        if "poison" in payloads:
            raise RuntimeError("poisoned input")
        self.batches.append(list(payloads))
        return [f"{key}:{p}" for p in payloads]


class Drops:
    def __init__(self) -> None:
        self.counts: collections.Counter = collections.Counter()
        self.batches: list[tuple[int, int]] = []

    def on_batch(self, jobs, tokens, seconds):
        self.batches.append((jobs, tokens))

    def on_drop(self, reason, jobs):
        self.counts[reason] += jobs


@pytest.fixture
def make():
    started = []

    def build(model: Model, *, batch: int = 10, queue: int = 100, observer=None) -> Batcher:
        b = Batcher(
            prepare=model.prepare, run=model.run, max_batch_tokens=batch, max_queue_tokens=queue, observer=observer
        )
        b.start()
        started.append((b, model))
        return b

    yield build
    for b, model in started:
        model.gate.set()
        b.stop(timeout=5)


def submit(b: Batcher, *jobs: tuple[str, int, str], deadline: float = FAR) -> tuple[Ticket, list]:
    ticket = Ticket(time.monotonic() + deadline if deadline != FAR else FAR)
    return ticket, b.submit(ticket, list(jobs))


def results(futures) -> list:
    return [f.result(timeout=10) for f in futures]


def wait_until(condition, what: str) -> None:
    end = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.005)


def test_oldest_first_one_key_per_batch_within_the_token_budget(make):
    model = Model(held=True)
    b = make(model, batch=10)
    _, first = submit(b, ("A", 1, "a0"))
    assert model.running.wait(5)  # an idle model takes a job at once
    _, r1 = submit(b, ("B", 4, "b1"))
    _, r4 = submit(b, ("B", 6, "b5"))
    # 10 tokens of key B queued = one budget: the next batch (the oldest job's key, B) is prepared while a0 runs,
    # whatever arrives after it
    wait_until(lambda: len(model.prepared) == 2, "the next batch was not prepared while the model was busy")
    _, r2 = submit(b, ("A", 4, "a2"), ("A", 4, "a3"))
    _, r3 = submit(b, ("A", 4, "a4"))
    assert model.prepared[1] == ["b1", "b5"]
    model.gate.set()
    assert results(first) == ["A:a0"]
    assert results(r1) == ["B:b1"] and results(r4) == ["B:b5"]
    assert results(r2) == ["A:a2", "A:a3"] and results(r3) == ["A:a4"]
    assert model.batches == [["a0"], ["b1", "b5"], ["a2", "a3"], ["a4"]]


def test_below_the_budget_a_batch_waits_for_the_model_and_takes_in_late_arrivals(make):
    model = Model(held=True)
    b = make(model, batch=10)
    _, first = submit(b, ("A", 1, "a0"))
    assert model.running.wait(5)
    _, r1 = submit(b, ("A", 2, "a1"))
    _, r2 = submit(b, ("A", 2, "a2"))
    model.gate.set()
    assert results(r1) == ["A:a1"] and results(r2) == ["A:a2"]
    assert model.batches == [["a0"], ["a1", "a2"]]  # formed when the model was free: both in one batch


def test_a_client_batch_larger_than_the_budget_is_split_and_reassembled_in_order(make):
    model = Model()
    observer = Drops()
    b = make(model, batch=10, observer=observer)
    payloads = [f"x{i}" for i in range(7)]
    _, futures = submit(b, *[("A", 3, p) for p in payloads])
    assert results(futures) == [f"A:{p}" for p in payloads]
    assert sorted(p for batch in model.batches for p in batch) == sorted(payloads)
    assert all(len(batch) <= 3 for batch in model.batches) and len(model.batches) >= 3
    assert all(tokens <= 10 for _, tokens in observer.batches)


def test_a_poisoned_input_fails_alone_and_its_batch_mates_are_answered(make):
    model = Model(held=True)
    b = make(model, batch=10)
    _, blocker = submit(b, ("A", 1, "block"))
    assert model.running.wait(5)
    _, ok1 = submit(b, ("A", 1, "a"))
    _, bad = submit(b, ("A", 1, "poison"))
    _, ok2 = submit(b, ("A", 1, "b"), ("A", 1, "c"))
    model.gate.set()
    assert results(ok1) == ["A:a"] and results(ok2) == ["A:b", "A:c"]
    with pytest.raises(JobFailed, match="poisoned input"):
        bad[0].result(timeout=10)
    assert ["a", "poison", "b", "c"] in model.prepared  # they were one batch, split after it raised
    assert model.batches[1:] == [["a"], ["b", "c"]]


def test_expired_and_disconnected_requests_are_dropped_before_any_compute(make):
    model = Model(held=True)
    observer = Drops()
    b = make(model, batch=10, observer=observer)
    _, blocker = submit(b, ("A", 1, "block"))
    assert model.running.wait(5)
    expired, f_expired = submit(b, ("A", 1, "late"), deadline=0.05)
    gone, f_gone = submit(b, ("A", 1, "gone"))
    gone.cancel()  # the client disconnected
    _, f_ok = submit(b, ("A", 1, "ok"))
    waiting, f_waiting = submit(b, ("A", 1, "waited"), deadline=0.1)
    with pytest.raises(DeadlineExceeded):
        b.wait(waiting, f_waiting)  # the deadline passes while the job is still queued
    assert waiting.cancelled
    model.gate.set()
    assert results(f_ok) == ["A:ok"]
    for futures, reason in ((f_expired, "deadline"), (f_gone, "disconnected"), (f_waiting, "deadline")):
        with pytest.raises(Dropped) as info:
            futures[0].result(timeout=10)
        assert info.value.reason == reason
    computed = {p for batch in model.prepared for p in batch}
    assert computed == {"block", "ok"}
    assert observer.counts == {"deadline": 2, "disconnected": 1}


def test_admission_by_queued_tokens_with_retry_after_from_the_measured_throughput(make):
    model = Model(seconds=0.02)
    b = make(model, batch=10, queue=20)
    _, warm = submit(b, ("A", 10, "warm"))
    results(warm)
    rate = b.tokens_per_second
    assert rate and rate > 0
    model.gate.clear()
    _, blocker = submit(b, ("A", 1, "block"))
    assert model.running.wait(5)
    wait_until(lambda: b.queued_tokens == 0, "the blocker was not taken")
    _, admitted = submit(b, ("A", 10, "q1"), ("A", 10, "q2"))
    with pytest.raises(Overloaded) as info:
        submit(b, ("A", 5, "over"))
    assert info.value.retry_after == max(1, math.ceil(15 / rate))  # 15 tokens over the limit at `rate` tok/s
    assert b.queued_tokens == 20  # nothing of the refused request was queued
    model.gate.set()
    assert results(admitted) == ["A:q1", "A:q2"]  # admitted work still completes
    with pytest.raises(ValueError, match="can never fit"):
        submit(b, ("A", 21, "huge"))


def test_stop_drops_what_is_queued_and_refuses_new_work(make):
    model = Model(held=True)
    b = make(model, batch=10)
    _, blocker = submit(b, ("A", 1, "block"))
    assert model.running.wait(5)
    _, queued = submit(b, ("A", 1, "queued"))
    threading.Timer(0.05, model.gate.set).start()
    b.stop(timeout=10)
    assert results(blocker) == ["A:block"]  # the batch in progress finishes
    with pytest.raises(Dropped, match="shutdown"):
        queued[0].result(timeout=10)
    with pytest.raises(Draining):
        submit(b, ("A", 1, "after"))
    assert b.idle
