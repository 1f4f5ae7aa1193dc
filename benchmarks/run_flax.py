"""Flax benchmarks: `roberta`'s Flax classes against `transformers==4.56.2`'s, in one process, interleaved.

    python benchmarks/run_flax.py              # W1, W2 and compile times; writes the "Flax" section of RESULTS.md
    python benchmarks/run_flax.py --repeats 3  # fewer timed rounds

Both run the same random roberta-base-size weights (the reference's class is given our parameter tree, which
is its own). The reference runs under `jax.jit` on the padded batch; ours is called as users call it: the
wrapper cuts a padded batch into a few length buckets and runs each jitted. Medians of alternating runs.
(The script is not named flax.py: run as a script, that name would shadow the flax package.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import jax
import numpy as np
import run
from run import SHARED, Bench, interleave, machine

HERE = Path(__file__).resolve().parent
SECTION = "## Flax"


def _ready(out):
    jax.block_until_ready(jax.tree_util.tree_leaves(out))
    return out


def _timed_both(cases: dict, repeats: int, warmup: int) -> tuple[dict, dict]:
    """`interleave` (median wall seconds per call) plus the median CPU seconds per call (all threads of this
    process): on a shared machine the wall clock also counts waiting for a core, the CPU time only the work."""
    cpu = {name: [] for name in cases}

    def counted(name, fn):
        def run():
            start = time.process_time()
            fn()
            cpu[name].append(time.process_time() - start)

        return run

    wall = interleave({name: counted(name, fn) for name, fn in cases.items()}, repeats, warmup)
    return wall, {name: statistics.median(v[warmup:]) for name, v in cpu.items()}


def _compile_seconds(jitted, *args, **kwargs) -> float:
    """Lowering + XLA compilation of one shape (ahead of time: nothing runs)."""
    start = time.perf_counter()
    jitted.lower(*args, **kwargs).compile()
    return time.perf_counter() - start


class FlaxBench:
    def __init__(self, workdir: Path) -> None:
        import torch
        import transformers

        import roberta

        transformers.logging.set_verbosity_error()
        config = roberta.RobertaConfig.from_pretrained(SHARED)
        torch.manual_seed(0)
        roberta.RobertaModel(config, add_pooling_layer=False).save_pretrained(workdir)
        self.ours = roberta.FlaxRobertaModel.from_pretrained(workdir, add_pooling_layer=False)
        self.ref = transformers.FlaxRobertaModel(
            transformers.AutoConfig.from_pretrained(workdir), add_pooling_layer=False, _do_init=False
        )
        self.params = self.ours.params
        self.ref_jit = jax.jit(lambda p, ids, mask: self.ref(ids, mask, params=p).last_hidden_state)
        self.rows: list[tuple[str, str, str, str, str]] = []

    add = Bench.add  # one row per figure, printed as it is measured

    def _ours_compile(self, ids, mask) -> tuple[int, float]:
        """Distinct chunk shapes of our bucketed call on this batch, and their compile seconds in all."""
        from roberta.modeling_flax import bucketing
        from roberta.modeling_flax.base import _apply_jit
        from roberta.modeling_flax.inputs import TOKEN_INPUTS

        inputs = dict.fromkeys((*TOKEN_INPUTS, "head_mask", "encoder_hidden_states", "encoder_attention_mask"))
        inputs.update(input_ids=ids, attention_mask=mask)
        chunks = bucketing.plan(mask) or [bucketing.Chunk(np.arange(len(ids)), len(ids), ids.shape[1])]
        shapes = {(len(c.rows), c.length): c for c in chunks}
        total = 0.0
        for chunk in shapes.values():
            sub = {k: bucketing.slice_rows(chunk, v, True) if k in TOKEN_INPUTS else v for k, v in inputs.items()}
            total += _compile_seconds(_apply_jit, self.ours.module, self.params, None, None, sub)
        return len(shapes), total

    def w1(self, repeats: int) -> None:
        ids, mask, real = Bench.mixed_batch()
        ids, mask = ids.numpy().astype(np.int32), mask.numpy().astype(np.int32)
        ours_jit = jax.jit(lambda p, i, m: self.ours(i, m, params=p).last_hidden_state)

        def ours():
            return _ready(self.ours(ids, mask).last_hidden_state)

        def ref():
            return _ready(self.ref_jit(self.params, ids, mask))

        def ours_padded():
            return _ready(ours_jit(self.params, ids, mask))

        shapes, compile_ours = self._ours_compile(ids, mask)
        compile_ref = _compile_seconds(self.ref_jit, self.params, ids, mask)
        diff = float(np.abs(np.asarray(ours()) - np.asarray(ref()))[mask.astype(bool)].max())
        t, cpu = _timed_both({"ours": ours, "ref": ref, "padded": ours_padded}, repeats, warmup=1)
        self.add("W1", f"real tok/s, 64 x 8..128 (max abs diff {diff:.1e})", real / t["ours"], real / t["ref"])
        self.add("W1", "real tok per CPU-second", real / cpu["ours"], real / cpu["ref"])
        self.add("W1", "real tok/s, ours under jax.jit, padded (no buckets)", real / t["padded"], real / t["ref"])
        self.add("W1", "real tok per CPU-second, ours padded", real / cpu["padded"], real / cpu["ref"])
        self.add(
            "W1",
            f"compile s, all shapes (ours {shapes} buckets, ref 1)",
            compile_ours,
            compile_ref,
            higher_is_better=False,
            fmt="{:.1f}",
        )
        self.add("W1", "compile s per shape", compile_ours / shapes, compile_ref, higher_is_better=False, fmt="{:.1f}")

    def w2(self, repeats: int) -> None:
        ids = np.random.default_rng(3).integers(3, 50000, (1, 16)).astype(np.int32)
        mask = np.ones_like(ids)

        def ours():
            return _ready(self.ours(ids, mask).last_hidden_state)

        def ref():
            return _ready(self.ref_jit(self.params, ids, mask))

        _, compile_ours = self._ours_compile(ids, mask)
        compile_ref = _compile_seconds(self.ref_jit, self.params, ids, mask)
        t, cpu = _timed_both({"ours": ours, "ref": ref}, repeats, warmup=3)
        self.add("W2", "latency ms, 1 x 16 tokens", t["ours"] * 1e3, t["ref"] * 1e3, higher_is_better=False,
                 fmt="{:.1f}")  # fmt: skip
        self.add("W2", "CPU ms per call, 1 x 16 tokens", cpu["ours"] * 1e3, cpu["ref"] * 1e3, higher_is_better=False,
                 fmt="{:.1f}")  # fmt: skip
        self.add("W2", "compile s, 1 x 16", compile_ours, compile_ref, higher_is_better=False, fmt="{:.1f}")


def write_section(rows, path: Path, command: str, load: str) -> None:
    """Replace (or append) the Flax section of RESULTS.md, leaving the other tables as they are."""
    import flax

    lines = [
        f"Machine: {machine()}; jax {jax.__version__}, flax {flax.__version__} (XLA CPU). Load average during "
        f"the run: {load} (where other jobs share the cores, wall-clock figures are noisy; CPU-seconds count only "
        "this process's work).",
        "",
        f"Command: `{command}` (one process, interleaved runs, medians; ratio > 1 means roberta is faster). "
        "Both libraries run the same random roberta-base-size weights; the reference's FlaxRobertaModel under "
        "`jax.jit` on the padded batch, ours through its call (length buckets, each jitted).",
        "",
        "| workload | figure | roberta | transformers 4.56.2 | ratio |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {w} | {f} | {a} | {b} | {r} |" for w, f, a, b, r in rows]
    run.write_section(path, SECTION.removeprefix("## "), lines)  # the other sections stay where they are


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    start_load = _load()
    with tempfile.TemporaryDirectory() as tmp:
        bench = FlaxBench(Path(tmp))
        bench.w2(args.repeats * 4)
        bench.w1(args.repeats)
    if not args.no_write:
        load = f"{start_load} at the start, {_load()} at the end"
        write_section(bench.rows, HERE / "RESULTS.md", f"python benchmarks/run_flax.py --repeats {args.repeats}", load)
        print(f"wrote the Flax section of {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
