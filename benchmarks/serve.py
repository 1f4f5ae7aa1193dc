"""Serving benchmark: `roberta serve` against the server a user would write, side by side in one run.

    python benchmarks/serve.py                 # writes the "## Serving" section of benchmarks/RESULTS.md
    python benchmarks/serve.py --seconds 4     # shorter cells (the file is still written)

The baseline is the reference's `transformers.pipeline()` behind the same HTTP stack (uvicorn + starlette +
orjson), one request at a time, as a hand-written wrapper runs it. Both servers answer `POST /` with
`{"inputs": text}` from the same random-weight roberta-base-size text classifier (12 x 768, fp32) and run as
subprocesses on free ports; only one is under load at a time, and cells alternate between them.

The load generator is a closed loop: C virtual clients, one keep-alive connection each, each sending its next
request when the previous answer arrives, for C = 1, 4, 16, 64 and two input mixes (short: 8-16 tokens; mixed:
8-256 tokens, log-uniform). Each client's first request is a warm-up; the figures count the answers that
arrive once every client has had its warm-up answer. Reported per cell: p50/p90/p99 latency, requests/s,
real tokens/s, 429 rate, and (for roberta serve) the batch-size histogram read from its /metrics. The C = 1
latency is also set against calling our pipeline in-process on the same inputs, timed right before.

Torch runs one thread per process by default here (--threads): on a shared machine whose cores are
oversubscribed, two threads per process stall on each other and the figures stop meaning anything.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "roberta-base"
CONCURRENCY = (1, 4, 16, 64)
MIXES = {"short": (8, 16), "mixed": (8, 256)}


# ---------------------------------------------------------------------- the baseline server
def baseline_server(model_dir: str, port: int) -> None:
    """The reference's pipeline behind uvicorn + starlette + orjson, one request at a time."""
    from concurrent.futures import ThreadPoolExecutor

    import orjson
    import transformers
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    transformers.logging.set_verbosity_error()
    pipe = transformers.pipeline("text-classification", model=model_dir, device=-1)
    worker = ThreadPoolExecutor(1)  # the model runs one request at a time; the event loop stays free

    async def infer(request: Request) -> Response:
        body = orjson.loads(await request.body())
        call = lambda: pipe(body["inputs"], **body.get("parameters", {}))  # noqa: E731
        result = await asyncio.get_running_loop().run_in_executor(worker, call)
        return Response(orjson.dumps(result), media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    app = Starlette(routes=[Route("/", infer, methods=["POST"]), Route("/health/ready", health)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---------------------------------------------------------------------- load generator
async def _request(reader, writer, body: bytes) -> int:
    writer.write(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(body), body)
    )
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    await reader.readexactly(length)
    return status


def load(port: int, bodies: list, concurrency: int, seconds: float, cap: float = 120.0) -> dict:
    """One closed-loop cell. Each client's first request warms up; the window opens when every client has
    had that answer, and closes after `seconds` once every client has had another answer inside it (at the
    latest after `cap` seconds). Throughput and latencies count the answers that arrive inside the window."""
    warm: list[float | None] = [None] * concurrency
    records: list[tuple[int, float, float, int, int]] = []  # client, sent, answered, status, tokens

    async def client(c: int, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = c
        while not stop.is_set():
            body, tokens = bodies[i % len(bodies)]
            i += concurrency
            sent = time.perf_counter()
            status = await _request(reader, writer, body)
            answered = time.perf_counter()
            if warm[c] is None:
                warm[c] = answered
            else:
                records.append((c, sent, answered, status, tokens))
        writer.close()

    async def run() -> tuple[float, float]:
        stop = asyncio.Event()
        tasks = [asyncio.ensure_future(client(c, stop)) for c in range(concurrency)]
        begin, opened = time.perf_counter(), math.inf
        while True:
            await asyncio.sleep(0.05)
            now = time.perf_counter()
            if opened == math.inf and all(w is not None for w in warm):
                opened = max(warm)
            inside = {r[0] for r in records if r[2] > opened}
            if (now - opened >= seconds and len(inside) == concurrency) or now - begin > cap:
                break
        stop.set()
        await asyncio.gather(*tasks)
        return opened, now

    opened, closed = asyncio.run(run())
    window = [r for r in records if opened < r[2] <= closed]
    ok = [(r[2] - r[1], r[4]) for r in window if r[3] == 200]
    lat = sorted(x for x, _ in ok) or [math.nan]
    pct = {q: lat[min(len(lat) - 1, int(q / 100 * len(lat)))] * 1000 for q in (50, 90, 99)}
    span = max(closed - opened, 1e-9)
    return {
        "n": len(window),
        "rps": len(ok) / span,
        "tps": sum(t for _, t in ok) / span,
        "p50": pct[50],
        "p90": pct[90],
        "p99": pct[99],
        "r429": sum(r[3] == 429 for r in window) / max(1, len(window)),
        "errors": sum(r[3] not in (200, 429) for r in window),
    }


# ---------------------------------------------------------------------- setup
def inputs(tokenizer, mix: str, n: int = 256) -> list[tuple[str, int]]:
    """`n` texts from the standard library's prose (benchmarks/run.py's corpus), lengths drawn log-uniformly
    from the mix's token range, each with its real token count."""
    from run import corpus

    low, high = MIXES[mix]
    rng = random.Random(0)
    words = " ".join(corpus(400_000)).split()
    out = []
    while len(out) < n:
        target = int(math.exp(rng.uniform(math.log(low), math.log(high))))
        start = rng.randrange(len(words) - 400)
        text = " ".join(words[start : start + target])
        ids = tokenizer(text, truncation=True, max_length=target)["input_ids"]
        text = tokenizer.decode(ids, skip_special_tokens=True)
        out.append((text, len(tokenizer(text)["input_ids"])))
    return out


class Server:
    def __init__(self, name: str, command: list[str], port: int, log: Path, threads: int) -> None:
        self.name, self.port = name, port
        self.log = open(log, "wb")  # closed in stop()
        env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "OMP_NUM_THREADS": str(threads)}
        self.proc = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        end = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"{name} did not start; see {log}")
            time.sleep(0.2)

    def batch_sizes(self) -> dict[str, float]:
        """Cumulative roberta_batch_size buckets (empty for the baseline)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return {}
        found = re.findall(r'roberta_batch_size_bucket\{le="([^"]+)"\} ([0-9.e+]+)', text)
        return {le: float(v) for le, v in found}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def histogram(before: dict, after: dict) -> str:
    """Batches per size bucket in a cell: "<=1:3 <=8:40 ..." and the mean."""
    if not after:
        return "-"
    counts, prev, parts = {}, 0.0, []
    for le in after:
        total = after[le] - before.get(le, 0.0)
        counts[le], prev = total - prev, total
    n = sum(counts.values())
    for le, c in counts.items():
        if c:
            parts.append(f"≤{le.replace('.0', '').replace('+Inf', '∞')}:{c:.0f}")
    return " ".join(parts) + (f" ({n:.0f} batches)" if n else "")


def in_process_latency(pipe, texts: list[tuple[str, int]], repeats: int = 40) -> float:
    """Median ms of our pipeline called in-process, one input at a time."""
    times = []
    for text, _ in texts[: repeats + 10]:
        start = time.perf_counter()
        pipe(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times[10:]) * 1000


def compute_ceiling(pipe, model_dir: Path, texts: list[tuple[str, int]]) -> dict[str, float]:
    """Real tokens/s of the model alone, in-process, no HTTP: ours batched 16 inputs per call, the reference's
    pipeline one input per call (what the baseline server runs). No server can beat its model: the ratio of
    the two bounds the throughput ratio of the servers."""
    import transformers

    transformers.logging.set_verbosity_error()
    ref = transformers.pipeline("text-classification", model=str(model_dir), device=-1)
    batch = [t for t, _ in texts]
    total = sum(n for _, n in texts)
    pipe(batch[:16], batch_size=16)  # warm-up
    ref(batch[0])
    start = time.perf_counter()
    pipe(batch, batch_size=16)
    ours = total / (time.perf_counter() - start)
    start = time.perf_counter()
    for text in batch:
        ref(text)
    reference = total / (time.perf_counter() - start)
    return {"ours": ours, "reference": reference}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_section(path: Path, section: str) -> None:
    """Put `section` (starting "## Serving") in place of the file's old one, or at its end."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    start = old.find("\n## Serving")
    if start >= 0:
        end = old.find("\n## ", start + 1)
        old = old[:start] + (old[end:] if end >= 0 else "\n")
    path.write_text(old.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per cell (10)")
    parser.add_argument("--concurrency", default=",".join(map(str, CONCURRENCY)), help="client counts to run")
    parser.add_argument("--mixes", default=",".join(MIXES), help="input mixes to run")
    parser.add_argument("--servers", default="ours,baseline", help="which servers to run")
    parser.add_argument("--serve-args", default="", help="extra flags for roberta serve, e.g. '--int8'")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads of both servers and the in-process pipeline (1)"
    )
    parser.add_argument("--baseline-server", nargs=2, metavar=("DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        baseline_server(args.baseline_server[0], int(args.baseline_server[1]))
        return

    import torch
    from run import machine

    import roberta

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    model_dir = work / "clf"
    torch.manual_seed(0)
    config = roberta.RobertaConfig.from_pretrained(SHARED, num_labels=2)  # roberta-base's sizes
    roberta.RobertaForSequenceClassification(config).save_pretrained(model_dir)
    for name in ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(SHARED / name, model_dir / name)
    tokenizer = roberta.AutoTokenizer.from_pretrained(model_dir)
    mixes, levels = args.mixes.split(","), [int(c) for c in args.concurrency.split(",")]
    data = {mix: inputs(tokenizer, mix) for mix in mixes}
    bodies = {mix: [(b'{"inputs": %s}' % _json(t), n) for t, n in texts] for mix, texts in data.items()}
    pipe = roberta.pipeline("text-classification", model=str(model_dir))
    in_process: dict[str, float] = {}
    ceiling = compute_ceiling(pipe, model_dir, data["mixed"]) if "mixed" in data else None
    if ceiling:
        print(
            f"mixed  in-process model tok/s: ours batched {ceiling['ours']:.0f}, reference pipeline one at a time "
            f"{ceiling['reference']:.0f} ({ceiling['ours'] / ceiling['reference']:.2f}x)",
            flush=True,
        )

    ours_port, base_port = free_port(), free_port()
    commands = {
        "ours": [sys.executable, "-m", "roberta", "serve", "--model", f"clf={model_dir}", "--port", str(ours_port)]
        + ["--log-level", "warning", *args.serve_args.split()],
        "baseline": [sys.executable, __file__, "--baseline-server", str(model_dir), str(base_port)],
    }
    names = {"ours": "roberta serve", "baseline": "baseline"}
    ports = {"ours": ours_port, "baseline": base_port}
    wanted = args.servers.split(",")
    servers = [Server(names[k], commands[k], ports[k], work / f"{k}.log", args.threads) for k in wanted]
    rows = []
    try:
        for mix in mixes:
            for concurrency in levels:
                if concurrency == 1:  # right before the C=1 cells, so the machine's load is the same
                    in_process[mix] = in_process_latency(pipe, data[mix])
                    print(f"{mix:6} in-process pipeline p50 {in_process[mix]:.1f} ms", flush=True)
                for server in servers:
                    before = server.batch_sizes()
                    cell = load(server.port, bodies[mix], concurrency, args.seconds)
                    cell.update(mix=mix, c=concurrency, server=server.name)
                    cell["hist"] = histogram(before, server.batch_sizes())
                    rows.append(cell)
                    print(
                        f"{mix:6} c={concurrency:<3} {server.name:14} {cell['rps']:7.1f} req/s {cell['tps']:8.0f} tok/s"
                        f"  p50 {cell['p50']:8.1f}  p90 {cell['p90']:8.1f}  p99 {cell['p99']:8.1f} ms"
                        f"  429 {cell['r429']:.1%}  errors {cell['errors']}  {cell['hist']}",
                        flush=True,
                    )
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    if len(rows) == len(MIXES) * len(CONCURRENCY) * 2:
        write_section(HERE / "RESULTS.md", report(rows, in_process, ceiling, machine(), args))
        print(f"wrote the Serving section of {HERE / 'RESULTS.md'}")


def _json(text: str) -> bytes:
    import orjson

    return orjson.dumps(text)


def report(rows: list[dict], in_process: dict, ceiling: dict, machine: str, args: argparse.Namespace) -> str:
    cell = {(r["mix"], r["c"], r["server"]): r for r in rows}
    ours, base = "roberta serve", "baseline"
    lines = [
        "## Serving",
        "",
        f"Machine: {machine.split(';')[0]}; torch threads {args.threads} in each server (OMP_NUM_THREADS) and "
        "in-process; the load generator runs on the same two cores as the server under load. On a machine shared "
        "with other jobs, run with --threads 1 (two threads per process on oversubscribed cores stall on each "
        "other) and read the ratios, not the absolute figures.",
        "",
        f"Command: `python benchmarks/serve.py --seconds {args.seconds:g} --threads {args.threads}"
        + (f" --serve-args '{args.serve_args}'" if args.serve_args else "")
        + "`. A roberta-base-size text classifier "
        "(12 x 768, fp32, random weights); `POST /` with one text per request; closed loop, C clients with one "
        "keep-alive connection each. Baseline: `transformers.pipeline()` behind the same uvicorn + starlette + "
        "orjson stack, one request at a time. `roberta serve` runs with its defaults"
        + (f" and {args.serve_args}." if args.serve_args else ".")
        + " For each mix and C the two servers are measured back to back: compare the two rows of a pair. The "
        "in-process pipeline is timed right before each mix's C=1 cells.",
        "",
        "| mix | C | server | req/s | tokens/s | p50 ms | p90 ms | p99 ms | 429 | batches (inputs per batch) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mix']} | {r['c']} | {r['server']} | {r['rps']:.1f} | {r['tps']:.0f} | {r['p50']:.0f} | "
            f"{r['p90']:.0f} | {r['p99']:.0f} | {r['r429']:.0%} | {r['hist']} |"
        )
    mixed16 = cell["mixed", 16, ours]["rps"] / cell["mixed", 16, base]["rps"]
    p99 = {mix: cell[mix, 64, ours]["p99"] / cell[mix, 64, base]["p99"] for mix in MIXES}
    c1 = {mix: cell[mix, 1, ours]["p50"] / in_process[mix] for mix in MIXES}
    lines += [
        "",
        "| target | measured |",
        "|---|---|",
        f"| throughput at C=16, mixed lengths >= 3x the baseline | {mixed16:.2f}x (compute ceiling "
        f"{ceiling['ours'] / ceiling['reference']:.2f}x: {ceiling['ours']:.0f} vs {ceiling['reference']:.0f} tok/s "
        "in-process, no HTTP, ours batched 16 per call, the reference's pipeline one input per call) |",
        f"| p99 at C=64 <= 0.5x the baseline's | short {p99['short']:.2f}x, mixed {p99['mixed']:.2f}x |",
        "| C=1 latency within 1.2x of our pipeline called in-process | "
        + ", ".join(
            f"{mix} {c1[mix]:.2f}x ({cell[mix, 1, ours]['p50']:.1f} vs {in_process[mix]:.1f} ms)" for mix in MIXES
        )
        + " |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
