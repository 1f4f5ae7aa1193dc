"""ONNX Runtime beside PyTorch: W1 and W2 of `run.py` for the ONNX export (`roberta export onnx`) of the same
roberta-base-size random model, run by onnxruntime on the CPU, beside our default PyTorch path and the
reference (`transformers`, sdpa), interleaved in one process. Information for choosing a runtime: no target.

    python benchmarks/onnx_bench.py              # prints the table and writes the "ONNX" section of RESULTS.md
    python benchmarks/onnx_bench.py --repeats 2  # shorter

(Not named onnx.py: a script's folder comes first on sys.path, and onnxruntime's quantizer imports `onnx`.)

The export runs its own check (onnxruntime vs PyTorch) before it is timed; ratios > 1 mean onnxruntime is faster.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402
from run import HERE, THREADS, Bench, interleave, machine  # noqa: E402

SECTION = "## ONNX"


class OnnxBench:
    def __init__(self, workdir: Path, repeats: int) -> None:
        from roberta.onnx import export_onnx
        from roberta.onnx.runner import open_session

        self.bench, self.repeats = Bench(workdir), repeats
        self.sessions, self.checks = {}, {}
        for variant in ("float32", "int8"):
            out = workdir / f"onnx-{variant}"
            result = export_onnx(self.bench.dir, out, task="feature-extraction", int8=variant == "int8")
            self.checks[variant] = result.checks[-1]
            # runs alternate with PyTorch's in this process: ORT's threads must not spin on the cores meanwhile
            self.sessions[variant] = open_session(str(out / "model.onnx"), threads=THREADS, spinning=False)
        self.ours, self.ref = self.bench.models()
        self.rows: list[tuple[str, ...]] = []

    def run_all(self, ids: torch.Tensor, mask: torch.Tensor) -> dict:
        feeds = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
        cases = {
            "ours": lambda: self.ours(input_ids=ids, attention_mask=mask),
            "ref": lambda: self.ref(input_ids=ids, attention_mask=mask),
        }
        for variant, session in self.sessions.items():
            cases[f"onnx {variant}"] = lambda s=session: s.run(["last_hidden_state"], feeds)
        return cases

    def add(self, workload: str, figure: str, t: dict, amount: float, per_second: bool) -> None:
        def value(name):
            return amount / t[name] if per_second else t[name] * 1e3

        for variant in self.sessions:
            name = f"onnx {variant}"
            vs_ours = t["ours"] / t[name]
            vs_ref = t["ref"] / t[name]
            fmt = "{:.0f}" if per_second else "{:.1f}"
            row = (
                workload,
                f"{figure}, onnxruntime {variant}",
                fmt.format(value(name)),
                fmt.format(value("ours")),
                fmt.format(value("ref")),
                f"{vs_ours:.2f}x",
                f"{vs_ref:.2f}x",
            )
            self.rows.append(row)
            print("  ".join(row), flush=True)

    def w1(self) -> None:
        ids, mask, real = self.bench.mixed_batch()
        with torch.inference_mode():
            ours = self.ours(input_ids=ids, attention_mask=mask).last_hidden_state.numpy()
            onnx = self.sessions["float32"].run(
                ["last_hidden_state"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
            )[0]
            diff = float(np.abs(onnx - ours)[mask.bool().numpy()].max())
            t = interleave(self.run_all(ids, mask), self.repeats)
        print(f"W1 max |onnxruntime float32 - ours| over real tokens: {diff:.1e}")
        self.add("W1", f"real tok/s (fp32 max abs diff {diff:.1e})", t, real, per_second=True)

    def w2(self) -> None:
        ids = torch.randint(3, 50000, (1, 16))
        with torch.inference_mode():
            t = interleave(self.run_all(ids, torch.ones_like(ids)), self.repeats * 4, 3)
        self.add("W2", "latency ms, 16 tokens", t, 1, per_second=False)


def write_section(rows: list[tuple[str, ...]], checks: dict, path: Path) -> None:
    lines = [
        f"Machine: {machine()}; onnxruntime threads {THREADS}.",
        "Command: `python benchmarks/onnx_bench.py` (one process, interleaved runs, medians). The export of the",
        "roberta-base-size model (`roberta export onnx --task feature-extraction`, and `--int8`) runs beside our",
        "default PyTorch path and the reference (sdpa). The onnxruntime sessions run with thread spinning off: left",
        "on, their threads busy-wait after each run and slow the PyTorch runs interleaved with them by up to 2x.",
        "Ratios > 1: onnxruntime is faster. Information for choosing a runtime, not a target. W1's batch (64 rows of",
        "8-128 tokens) is padded to its longest row: the graph computes every position, our default path only the",
        "real tokens.",
        "Export checks (onnxruntime vs PyTorch, check inputs): "
        + "; ".join(f"{v} max abs diff {c.max_abs_diff:.1e}" for v, c in checks.items())
        + ".",
        "",
        "| workload | figure | onnxruntime | roberta (PyTorch) | transformers 4.56.2 | vs roberta | vs transformers |",
        "|---|---|---|---|---|---|---|",
        *(f"| {' | '.join(r)} |" for r in rows),
    ]
    run.write_section(path, SECTION.removeprefix("## "), lines)  # the other sections stay where they are


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md as it is")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    with tempfile.TemporaryDirectory() as tmp:
        bench = OnnxBench(Path(tmp), args.repeats)
        bench.w1()
        bench.w2()
    if not args.no_write:
        write_section(bench.rows, bench.checks, HERE / "RESULTS.md")
        print(f"wrote the {SECTION!r} section of {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
