"""CPU runtimes side by side: our default, bf16 and int8 modes against transformers (sdpa, torch.compile), ONNX
Runtime, OpenVINO and CTranslate2, on W1, W2 and W3 of `run.py`, in one process, interleaved, medians.

    python benchmarks/peers.py                # roberta-base size; writes the "Peers" section of RESULTS.md
    python benchmarks/peers.py --small        # a tiny model, few repeats: checks that every case runs
    python benchmarks/peers.py --cases ours,openvino   # a subset (name prefixes)

Every case runs the same random checkpoint. Each reports W1 real tokens/s, W2 latency, W3 tokens/s; drift against
the reference's fp32 hidden states on W1's real tokens (max |diff| and mean cosine, as benchmarks/int8_drift.py
measures int8); and its share of this machine's GEMM peak for its compute type (fp32, bf16, int8), measured here
with the same threads. The shares count useful FLOPs (real tokens only: products and attention), so a runtime
that computes padding is charged for it. A peer that cannot be installed, or cannot run RoBERTa here, is listed
with the reason. Peers: `pip install roberta[bench]`.

Between two timed calls of different cases the process sleeps `--gap` seconds: a runtime's thread pool that spins
after a call (OpenMP in CTranslate2 and oneDNN, TBB in OpenVINO) would otherwise take the cores from the next.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402
from run import HERE, SHARED, Bench, interleave, machine  # noqa: E402

TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")
SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


class Unavailable(Exception):
    """A case that cannot run here; the message says why."""


@dataclass
class Case:
    """One runtime in one compute type. `bind(ids, mask)` prepares that input once and returns the timed call;
    `hidden(out, mask)` turns the call's output into (batch, seq, hidden) float32 numbers."""

    name: str
    kind: str  # "fp32", "bf16" or "int8": which GEMM peak it is measured against
    bind: Callable[[torch.Tensor, torch.Tensor], Callable[[], object]]
    hidden: Callable[[object], np.ndarray]
    figures: dict = field(default_factory=dict)


def workloads(small: bool) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(3)
    w1_ids, w1_mask, _ = Bench.mixed_batch()
    w2 = torch.randint(3, 50000, (1, 16), generator=g)
    w3 = torch.randint(3, 50000, (2, 128) if small else (4, 512), generator=g)
    return {"W1": (w1_ids, w1_mask), "W2": (w2, torch.ones_like(w2)), "W3": (w3, torch.ones_like(w3))}


def useful_flops(config, mask: torch.Tensor) -> float:
    """Multiply-adds x 2 of the encoder on the real tokens: the six products per token and per layer, and
    attention's two (n x n x hidden) products per sequence."""
    h, i, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    n = mask.sum(1).double()
    return float(layers * (2 * n * (4 * h * h + 2 * h * i) + 4 * n * n * h).sum())


def gemm_peaks(n: int, repeats: int) -> dict[str, float]:
    """FLOP/s of one (n x n) @ (n x n) product per compute type, best of `repeats`, with torch's threads."""
    g = torch.Generator().manual_seed(4)
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    calls = {
        "fp32": lambda: torch.mm(a, b),
        "bf16": (lambda x, y: lambda: torch.mm(x, y))(a.bfloat16(), b.bfloat16()),
        "int8": (lambda x, y: lambda: torch._int_mm(x, y))(
            a.clamp(-3, 3).mul(40).to(torch.int8), b.clamp(-3, 3).mul(40).to(torch.int8)
        ),
    }
    peaks = {}
    for kind, fn in calls.items():
        fn()
        peaks[kind] = 2 * n**3 / min(run.timed(fn, repeats))
    return peaks


# ---------------------------------------------------------------------------------------------- the cases
def torch_case(name: str, kind: str, model) -> Case:
    def bind(ids, mask):
        return lambda: model(input_ids=ids, attention_mask=mask).last_hidden_state

    return Case(name, kind, bind, lambda out: out.float().numpy())


def ours(ctx, mode: str) -> Case:
    import roberta
    from roberta.inference import quantize_int8

    kw = {"dtype": torch.bfloat16} if mode == "bf16" else {}
    model = roberta.RobertaModel.from_pretrained(ctx.dir, add_pooling_layer=False, **kw).eval()
    if mode == "int8":
        quantize_int8(model)
    return torch_case(f"roberta {mode}" + (" (default)" if mode == "fp32" else ""), mode, model)


def reference(ctx, compiled: bool) -> Case:
    model = reference_fp32(ctx)
    if compiled:
        model = torch.compile(model)
    return torch_case("transformers sdpa" + (" + torch.compile" if compiled else ""), "fp32", model)


def onnx_file(ctx, variant: str) -> Path:
    from roberta.onnx import export_onnx

    out = ctx.work / f"onnx-{variant}"
    if not out.exists():
        export_onnx(ctx.dir, out, task="feature-extraction", int8=variant == "int8")
    return out / "model.onnx"


def feeds(ids, mask) -> dict[str, np.ndarray]:
    return {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}


def onnxruntime_case(ctx, variant: str) -> Case:
    from roberta.onnx.runner import open_session

    # spinning off: its threads would busy-wait after each run and slow the case after it
    session = open_session(str(onnx_file(ctx, variant)), threads=ctx.threads, spinning=False)

    def bind(ids, mask):
        f = feeds(ids, mask)
        return lambda: session.run(["last_hidden_state"], f)[0]

    return Case(f"onnxruntime {variant} (our export)", "int8" if variant == "int8" else "fp32", bind, np.asarray)


def openvino_case(ctx, precision: str) -> Case:
    import openvino as ov

    core = ov.Core()
    caps = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    if precision == "bf16" and "BF16" not in caps:
        raise Unavailable(f"this CPU has no bf16 for OpenVINO (OPTIMIZATION_CAPABILITIES: {', '.join(caps)})")
    model = core.read_model(str(onnx_file(ctx, "float32")))
    if precision == "int8":
        import nncf

        g = torch.Generator().manual_seed(5)  # calibration inputs other than the measured ones
        batches = [torch.randint(3, 50000, (4, n), generator=g) for n in (16, 64, 128, 256)]
        calibration = [feeds(ids, torch.ones_like(ids)) for ids in batches]
        model = nncf.quantize(
            model, nncf.Dataset(calibration), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(calibration)
        )
    hint = {"int8": "f32"}.get(precision, precision)  # int8 layers run int8 whatever the hint; the rest in f32
    compiled = core.compile_model(
        model,
        "CPU",
        {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": ctx.threads, "PERFORMANCE_HINT": "LATENCY"},
    )
    request = compiled.create_infer_request()

    def bind(ids, mask):
        f = feeds(ids, mask)
        return lambda: request.infer(f)[compiled.output(0)]

    name = {"f32": "f32 (hint f32)", "bf16": "bf16", "int8": "int8 (nncf static, on our export)"}[precision]
    kind = {"f32": "fp32"}.get(precision, precision)
    return Case(f"openvino {name}", kind, bind, lambda out: np.array(out, dtype=np.float32))


def ctranslate2_case(ctx, compute_type: str) -> Case:
    import ctranslate2
    from ctranslate2.converters import TransformersConverter

    supported = ctranslate2.get_supported_compute_types("cpu")
    if compute_type not in supported:
        raise Unavailable(f"{compute_type} is not among CTranslate2's compute types on this CPU: {sorted(supported)}")
    out = ctx.work / "ct2"
    if not out.exists():
        TransformersConverter(str(ctx.dir)).convert(str(out))
    encoder = ctranslate2.Encoder(str(out), device="cpu", compute_type=compute_type, intra_threads=ctx.threads)

    def bind(ids, mask):
        rows = [row[:n].tolist() for row, n in zip(ids, mask.sum(1).tolist())]  # no padding: it removes it
        return lambda: encoder.forward_batch(rows).last_hidden_state

    kind = {"float32": "fp32", "bfloat16": "bf16", "int8": "int8"}[compute_type]
    return Case(f"ctranslate2 {compute_type}", kind, bind, lambda out: np.array(out, dtype=np.float32))


CASES = {
    "roberta fp32": lambda ctx: ours(ctx, "fp32"),
    "roberta bf16": lambda ctx: ours(ctx, "bf16"),
    "roberta int8": lambda ctx: ours(ctx, "int8"),
    "transformers sdpa": lambda ctx: reference(ctx, compiled=False),
    "transformers compile": lambda ctx: reference(ctx, compiled=True),
    "onnxruntime fp32": lambda ctx: onnxruntime_case(ctx, "float32"),
    "onnxruntime int8": lambda ctx: onnxruntime_case(ctx, "int8"),
    "openvino f32": lambda ctx: openvino_case(ctx, "f32"),
    "openvino bf16": lambda ctx: openvino_case(ctx, "bf16"),
    "openvino int8": lambda ctx: openvino_case(ctx, "int8"),
    "ctranslate2 float32": lambda ctx: ctranslate2_case(ctx, "float32"),
    "ctranslate2 bfloat16": lambda ctx: ctranslate2_case(ctx, "bfloat16"),
    "ctranslate2 int8": lambda ctx: ctranslate2_case(ctx, "int8"),
}


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class Context:
    work: Path
    dir: Path
    threads: int
    inputs: dict
    config: object


def build(work: Path, small: bool, threads: int) -> Context:
    import roberta

    config = roberta.RobertaConfig.from_pretrained(SHARED, **(SMALL if small else {}))
    torch.manual_seed(0)
    model_dir = work / "base"
    roberta.RobertaForMaskedLM(config).save_pretrained(model_dir)
    for name in TOKENIZER_FILES:  # CTranslate2's converter reads the tokenizer too
        shutil.copy(SHARED / name, model_dir / name)
    return Context(work, model_dir, threads, workloads(small), config)


def drift(case: Case, out, want: np.ndarray, mask: torch.Tensor) -> None:
    got = case.hidden(out)[:, : want.shape[1]]
    real = mask.bool().numpy()
    a, b = got[real], want[real]
    case.figures["max_diff"] = float(np.abs(a - b).max())
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    case.figures["cosine"] = float(cos.mean())


def measure(ctx: Context, cases: list[Case], repeats: int, gap: float, peaks: dict) -> None:
    for workload, (ids, mask) in ctx.inputs.items():
        calls = {c.name: c.bind(ids, mask) for c in cases}
        many = workload == "W2"  # short calls: more of them
        t = interleave(calls, repeats * (4 if many else 1), 3 if many else 1, gap=gap)
        flops = useful_flops(ctx.config, mask)
        for c in cases:
            value = t[c.name] * 1e3 if many else float(mask.sum()) / t[c.name]
            c.figures[workload] = value
            c.figures[f"{workload} peak"] = 100 * flops / t[c.name] / peaks[c.kind]


def targets(cases: list[Case]) -> list[str]:
    """Each of our modes against the fastest peer of its compute type, per workload (ratio > 1: ours faster)."""
    lines = []
    for kind in ("fp32", "bf16", "int8"):
        mine = next((c for c in cases if c.name.startswith("roberta") and c.kind == kind), None)
        peers = [c for c in cases if c.kind == kind and not c.name.startswith("roberta")]
        if mine is None or not peers:
            continue
        for w in ("W1", "W2", "W3"):
            lower = w == "W2"
            best = min(peers, key=lambda c: c.figures[w]) if lower else max(peers, key=lambda c: c.figures[w])
            ratio = best.figures[w] / mine.figures[w] if lower else mine.figures[w] / best.figures[w]
            line = f"{kind} {w}: {mine.name} vs fastest peer {best.name}: {ratio:.2f}x"
            if kind != "fp32":
                ok = mine.figures["max_diff"] <= best.figures["max_diff"]
                line += (
                    f"; drift {mine.figures['max_diff']:.1e} vs {best.figures['max_diff']:.1e}"
                    f" ({'no more' if ok else 'MORE'})"
                )
            lines.append(line + (" (met)" if ratio >= 1 else " (not met)"))
    return lines


def table(cases: list[Case], missing: dict[str, str], peaks: dict) -> list[str]:
    lines = [
        "| case | compute | W1 real tok/s | W2 ms | W3 tok/s | max abs diff | cosine | % of GEMM peak W1 / W2 / W3 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in cases:
        f = c.figures
        share = " / ".join(f"{f[f'{w} peak']:.0f}%" for w in ("W1", "W2", "W3"))
        lines.append(
            f"| {c.name} | {c.kind} | {f['W1']:.0f} | {f['W2']:.1f} | {f['W3']:.0f} | {f['max_diff']:.1e} "
            f"| {f['cosine']:.5f} | {share} |"
        )
    lines.append("")
    lines.append("GEMM peak here (GFLOP/s): " + ", ".join(f"{k} {v / 1e9:.1f}" for k, v in peaks.items()))
    lines += [f"Not run: {name}: {why}" for name, why in missing.items()]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny model, 1 repeat: check every case runs")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per case (default 5; small 1)")
    parser.add_argument("--threads", type=int, default=run.THREADS)
    parser.add_argument("--gap", type=float, default=None, help="idle seconds between cases (default 0.2)")
    parser.add_argument("--cases", default="", help="comma-separated name prefixes (default: all)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md as it is")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.small else 5)
    gap = args.gap if args.gap is not None else (0.0 if args.small else 0.2)
    torch.set_num_threads(args.threads)
    wanted = [w for w in args.cases.split(",") if w]
    peaks = gemm_peaks(256 if args.small else 2048, 2 if args.small else 5)
    print("GEMM peak GFLOP/s:", {k: round(v / 1e9, 1) for k, v in peaks.items()}, flush=True)
    with tempfile.TemporaryDirectory() as tmp, torch.inference_mode():
        ctx = build(Path(tmp), args.small, args.threads)
        ids, mask = ctx.inputs["W1"]
        want = torch_case("", "", reference_fp32(ctx)).bind(ids, mask)().float().numpy()
        cases, missing = [], {}
        for name, make in CASES.items():
            if wanted and not any(name.startswith(w) for w in wanted):
                continue
            try:
                case = make(ctx)
                drift(case, case.bind(ids, mask)(), want, mask)  # also its first (warm-up) call
            except Exception as e:  # noqa: BLE001 - any failure of a peer is reported, not fatal
                missing[name] = f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
                print(f"{name}: not run ({missing[name]})", flush=True)
                continue
            cases.append(case)
            print(f"{case.name}: ready, max abs diff {case.figures['max_diff']:.1e}", flush=True)
        measure(ctx, cases, repeats, gap, peaks)
    lines = table(cases, missing, peaks)
    checks = targets(cases)
    print("\n".join(lines + [""] + checks))
    if not (args.small or args.no_write or wanted):
        header = [
            f"Machine: {machine()}; threads {args.threads} for every runtime.",
            "Command: `python benchmarks/peers.py` (one process, interleaved, medians, "
            f"{gap} s idle between cases). Drift: W1's real tokens against transformers fp32.",
            "",
        ]
        run.write_section(HERE / "RESULTS.md", "Peers", header + lines + ["", *(f"- {c}" for c in checks)])
        print(f"wrote the 'Peers' section of {HERE / 'RESULTS.md'}")


def reference_fp32(ctx: Context):
    import transformers

    model = transformers.RobertaModel.from_pretrained(ctx.dir, add_pooling_layer=False, attn_implementation="sdpa")
    return model.eval()


if __name__ == "__main__":
    main()
