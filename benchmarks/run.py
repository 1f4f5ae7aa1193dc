"""Side-by-side benchmarks: `roberta` against `transformers==4.56.2`, in one process, interleaved.

    python benchmarks/run.py                 # every CPU workload, writes benchmarks/RESULTS.md
    python benchmarks/run.py --only W1,W2    # a subset (RESULTS.md is then not rewritten)

Each workload alternates the two libraries (A B A B ...) after a warm-up, reports medians and the ratio.
Weights are random, at roberta-base size (12 x 768, vocab 50265); fp32; 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "roberta-base"
THREADS = 2


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def interleave(cases: dict, repeats: int, warmup: int = 1, gap: float = 0.0) -> dict[str, float]:
    """Median seconds per call of each case, run A B A B ... after `warmup` calls each; `gap`: idle seconds
    before each timed call (thread pools that spin after a call would otherwise slow the next case)."""
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            if gap:
                time.sleep(gap)
            samples[name] += timed(fn, 1)
    return {name: statistics.median(s) for name, s in samples.items()}


class Bench:
    def __init__(self, workdir: Path) -> None:
        import transformers

        import roberta

        self.rb, self.tf = roberta, transformers
        self.dir = workdir / "base"
        config = roberta.RobertaConfig.from_pretrained(SHARED)
        torch.manual_seed(0)
        roberta.RobertaForMaskedLM(config).save_pretrained(self.dir)
        self.rows: list[tuple[str, str, str, str, str]] = []  # workload, figure, ours, reference, ratio

    def models(self, head: str = "RobertaModel", **ours_kwargs):
        kw = {"add_pooling_layer": False} if head == "RobertaModel" else {}
        ours = getattr(self.rb, head).from_pretrained(self.dir, **kw, **ours_kwargs).eval()
        ref = getattr(self.tf, head).from_pretrained(self.dir, attn_implementation="sdpa", **kw).eval()
        return ours, ref

    def add(self, workload, figure, ours, ref, higher_is_better=True, fmt="{:.0f}"):
        ratio = ours / ref if higher_is_better else ref / ours
        self.rows.append((workload, figure, fmt.format(ours), fmt.format(ref), f"{ratio:.2f}x"))
        print(
            f"{workload:4} {figure:38} ours {fmt.format(ours):>10}  ref {fmt.format(ref):>10}  speed-up {ratio:.2f}x",
            flush=True,
        )

    # ------------------------------------------------------------------ workloads
    @staticmethod
    def mixed_batch():
        g = torch.Generator().manual_seed(1)
        lengths = torch.randint(8, 129, (64,), generator=g)
        ids = torch.full((64, int(lengths.max())), 1)
        mask = torch.zeros_like(ids)
        for i, n in enumerate(lengths.tolist()):
            ids[i, :n] = torch.randint(3, 50000, (n,), generator=g)
            ids[i, 0], ids[i, n - 1] = 0, 2
            mask[i, :n] = 1
        return ids, mask, int(lengths.sum())

    def w1(self, repeats):
        ours, ref = self.models()
        ids, mask, real = self.mixed_batch()
        with torch.inference_mode():
            a = ours(input_ids=ids, attention_mask=mask).last_hidden_state
            b = ref(input_ids=ids, attention_mask=mask).last_hidden_state
            diff = (a - b)[mask.bool()].abs().max().item()
            t = interleave(
                {
                    "ours": lambda: ours(input_ids=ids, attention_mask=mask),
                    "ref": lambda: ref(input_ids=ids, attention_mask=mask),
                },
                repeats,
            )
        self.add("W1", f"real tok/s (max abs diff {diff:.1e})", real / t["ours"], real / t["ref"])
        return ids, mask, real

    def w1_int8(self, repeats):
        from roberta.inference import quantize_int8

        ours, ref = self.models()
        quantize_int8(ours)
        ids, mask, real = self.mixed_batch()
        with torch.inference_mode():
            t = interleave(
                {
                    "ours": lambda: ours(input_ids=ids, attention_mask=mask),
                    "ref": lambda: ref(input_ids=ids, attention_mask=mask),
                },
                repeats,
            )
        self.add("W1", "int8 (opt-in) real tok/s", real / t["ours"], real / t["ref"])

    def w2(self, repeats, compiled: bool = False, int8: bool = False, prepacked: bool = False):
        ours, ref = self.models()
        ids = torch.randint(3, 50000, (1, 16))
        label = "latency ms, 16 tokens"
        if prepacked:
            from roberta.inference import prepack_linears

            prepack_linears(ours)
            label = "prepacked (opt-in) latency ms, 16 tokens"
        if int8:
            from roberta.inference import quantize_int8

            quantize_int8(ours)
            label = "int8 (opt-in) latency ms, 16 tokens"
        if compiled:
            from roberta.inference import compile_model

            start = time.perf_counter()
            compile_model(ours)
            with torch.inference_mode():
                ours(input_ids=ids)
            label = f"compiled + prepacked latency ms (compile {time.perf_counter() - start:.0f} s)"
        with torch.inference_mode():
            t = interleave({"ours": lambda: ours(input_ids=ids), "ref": lambda: ref(input_ids=ids)}, repeats, 3)
        self.add("W2", label, t["ours"] * 1e3, t["ref"] * 1e3, higher_is_better=False, fmt="{:.1f}")

    def w3(self, repeats):
        ours, ref = self.models()
        ids = torch.randint(3, 50000, (4, 512))
        with torch.inference_mode():
            t = interleave({"ours": lambda: ours(input_ids=ids), "ref": lambda: ref(input_ids=ids)}, repeats)
        self.add("W3", "tok/s, 4 x 512", ids.numel() / t["ours"], ids.numel() / t["ref"])

    def t1(self, repeats):
        ours, ref = self.models("RobertaForMaskedLM")
        g = torch.Generator().manual_seed(2)
        ids = torch.randint(3, 50000, (8, 128), generator=g)
        chosen = torch.rand(ids.shape, generator=g) < 0.15
        labels = torch.where(chosen, ids, torch.full_like(ids, -100))
        inputs = ids.masked_fill(chosen, 50264)
        opt_ours = torch.optim.AdamW(ours.parameters(), lr=1e-4, fused=True)
        ours.train()

        def step_ours():  # the sparse LM head (opt-in, as `roberta pretrain` uses it)
            loss = ours(input_ids=inputs, labels=labels, sparse_logits=True).loss
            loss.backward()
            opt_ours.step()
            opt_ours.zero_grad(set_to_none=True)

        opt_ref = torch.optim.AdamW(ref.parameters(), lr=1e-4)
        ref.train()

        def step_ref():
            loss = ref(input_ids=inputs, labels=labels).loss
            loss.backward()
            opt_ref.step()
            opt_ref.zero_grad(set_to_none=True)

        t = interleave({"ours": step_ours, "ref": step_ref}, repeats)
        self.add("T1", "training tok/s, 8 x 128, 15% masked", ids.numel() / t["ours"], ids.numel() / t["ref"])

    def l1(self, repeats):
        script = (
            "import sys, time; t = time.perf_counter(); lib = sys.argv[1]\n"
            "import torch; torch.set_num_threads(2)\n"
            "mod = __import__(lib); kw = {'attn_implementation': 'sdpa'} if lib == 'transformers' else {}\n"
            "m = mod.RobertaForMaskedLM.from_pretrained(sys.argv[2], **kw).eval()\n"
            "with torch.inference_mode(): m(input_ids=torch.tensor([[0, 31414, 232, 2]]))\n"
            # VmHWM, not ru_maxrss: after fork + exec, ru_maxrss still counts the (large) parent's pages
            "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]\n"
            "print(time.perf_counter() - t, hwm)\n"
        )
        runs = {"ours": [], "ref": []}
        for _ in range(repeats):
            for name, lib in (("ours", "roberta"), ("ref", "transformers")):
                # transformers imports TensorFlow and JAX when they are installed (the test extra installs
                # both); a PyTorch user of the reference would not pay for them, so neither process does
                env = {**os.environ, "USE_TF": "0", "USE_FLAX": "0", "USE_JAX": "0"}
                out = subprocess.run(
                    [sys.executable, "-c", script, lib, str(self.dir)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                ).stdout.split()
                runs[name].append((float(out[0]), int(out[1]) / 1024))
        med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)) for k, v in runs.items()}
        self.add(
            "L1",
            "start-up wall s (import+load+forward)",
            med["ours"][0],
            med["ref"][0],
            higher_is_better=False,
            fmt="{:.2f}",
        )
        self.add("L1", "start-up peak RSS MiB", med["ours"][1], med["ref"][1], higher_is_better=False)

    def k1(self, repeats):
        texts = corpus()
        nbytes = sum(len(t.encode()) for t in texts)
        ours_slow = self.rb.RobertaTokenizer.from_pretrained(SHARED)
        ref_slow = self.tf.RobertaTokenizer.from_pretrained(SHARED)
        sample = texts[: len(texts) // 4]  # the reference's slow tokenizer is slow: time it on a quarter
        assert [ours_slow.encode(t) for t in sample[:200]] == [ref_slow.encode(t) for t in sample[:200]]
        t = interleave(
            {
                "ours": lambda: [ours_slow.encode(x) for x in sample],
                "ref": lambda: [ref_slow.encode(x) for x in sample],
            },
            max(1, repeats // 2),
            0,
        )
        mb = sum(len(x.encode()) for x in sample) / 1e6
        self.add("K1", f"slow tokenizer MB/s ({mb:.1f} MB)", mb / t["ours"], mb / t["ref"], fmt="{:.2f}")
        ours_fast = self.rb.RobertaTokenizerFast.from_pretrained(SHARED)
        ref_fast = self.tf.RobertaTokenizerFast.from_pretrained(SHARED)
        assert ours_fast(texts[:500])["input_ids"] == ref_fast(texts[:500])["input_ids"]
        t = interleave({"ours": lambda: ours_fast(texts), "ref": lambda: ref_fast(texts)}, repeats)
        self.add(
            "K1",
            f"fast tokenizer batch MB/s ({nbytes / 1e6:.1f} MB)",
            nbytes / 1e6 / t["ours"],
            nbytes / 1e6 / t["ref"],
            fmt="{:.2f}",
        )

    def p1(self, repeats):
        """Batched fill-mask pipeline on many short inputs, each library's own pipeline on the same checkpoint."""
        import shutil

        for name in ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"):
            shutil.copy(SHARED / name, self.dir / name)
        words = [t.split()[:12] for t in corpus(400_000) if len(t.split()) >= 6][:256]
        inputs = [" ".join(w[:3] + ["<mask>"] + w[4:]) for w in words]
        ours = self.rb.pipeline("fill-mask", model=str(self.dir), batch_size=32)
        ref = self.tf.pipeline("fill-mask", model=str(self.dir), batch_size=32, device="cpu")
        a, b = ours(inputs[:8]), ref(inputs[:8])
        assert [[r["token_str"] for r in x] for x in a] == [[r["token_str"] for r in x] for x in b]
        with torch.inference_mode():
            t = interleave({"ours": lambda: ours(inputs), "ref": lambda: ref(inputs)}, max(1, repeats // 2), 0)
        self.add(
            "P1",
            f"fill-mask pipeline inputs/s ({len(inputs)} short, batch 32)",
            len(inputs) / t["ours"],
            len(inputs) / t["ref"],
            fmt="{:.1f}",
        )


def corpus(limit_bytes: int = 3_000_000) -> list[str]:
    """Varied, non-repeating English prose and code from files every Python install has: the standard
    library's sources (code, docstrings, comments) and its license and documentation texts."""
    import sysconfig

    root = Path(sysconfig.get_paths()["stdlib"])
    texts, total, seen = [], 0, set()
    for path in sorted(root.rglob("*.py")) + sorted(Path("/usr/share/common-licenses").glob("*")):
        if "test" in path.parts or not path.is_file():
            continue
        try:
            content = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for block in content.split("\n\n"):
            block = block.strip()
            if len(block) < 20 or block in seen:
                continue
            seen.add(block)
            texts.append(block[:2000])
            total += len(block[:2000])
            if total >= limit_bytes:
                return texts
    return texts


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import transformers

    import roberta

    return (
        f"{cpu}; {os.cpu_count()} cores visible, torch threads {THREADS}; torch {torch.__version__}; "
        f"transformers {transformers.__version__}; roberta {roberta.__version__}; Python {platform.python_version()}"
    )


def write_results(bench: Bench, path: Path) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}",
        "",
        "Command: `python benchmarks/run.py` (one process, interleaved runs, medians; ratio > 1 means "
        "roberta is faster or smaller).",
        "L1 runs each library in a fresh process with `USE_TF=0 USE_FLAX=0 USE_JAX=0` (the reference would "
        "otherwise import every installed framework at start-up).",
        "",
        "| workload | figure | roberta | transformers 4.56.2 | ratio |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {w} | {f} | {a} | {b} | {r} |" for w, f, a, b, r in bench.rows]
    path.write_text("\n".join(lines) + "\n" + "".join(_sections(path).values()))


def _sections(path: Path) -> dict[str, str]:
    """The `## title` sections of RESULTS.md (each written by one benchmark script), by title, in file order."""
    text = path.read_text() if path.is_file() else ""
    parts = text.split("\n## ")[1:]
    return {p.split("\n", 1)[0]: "\n## " + p.rstrip("\n") + "\n" for p in parts}


def results_table(rows: list[tuple]) -> list[str]:
    """The markdown table of (workload, figure, roberta, reference, ratio) rows."""
    lines = ["| workload | figure | roberta | transformers 4.56.2 | ratio |", "|---|---|---|---|---|"]
    return lines + [f"| {' | '.join(row)} |" for row in rows]


def write_section(path: Path, title: str, lines: list[str]) -> None:
    """Write (or replace, in place) the `## title` section of RESULTS.md; the rest of the file stays as it is."""
    sections = _sections(path)
    sections[title] = "\n## " + "\n".join([title, "", *lines]).rstrip("\n") + "\n"
    text = path.read_text() if path.is_file() else "# Benchmark results\n"
    head = text.split("\n## ", 1)[0].rstrip("\n") + "\n"
    path.write_text(head + "".join(sections.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="W1,W1q,W2,W2p,W2c,W2q,W3,T1,L1,K1,P1")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    wanted = args.only.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp))
        steps = {
            "W1": lambda: bench.w1(args.repeats),
            "W1q": lambda: bench.w1_int8(args.repeats),
            "W2": lambda: bench.w2(args.repeats * 4, compiled=False),
            "W2p": lambda: bench.w2(args.repeats * 4, prepacked=True),
            "W2c": lambda: bench.w2(args.repeats * 4, compiled=True),
            "W2q": lambda: bench.w2(args.repeats * 4, int8=True),
            "W3": lambda: bench.w3(args.repeats),
            "T1": lambda: bench.t1(args.repeats),
            "L1": lambda: bench.l1(args.repeats),
            "K1": lambda: bench.k1(args.repeats),
            "P1": lambda: bench.p1(args.repeats),
        }
        for key in wanted:
            steps[key]()
        if set(wanted) >= set(steps):
            write_results(bench, HERE / "RESULTS.md")
            print(f"wrote {HERE / 'RESULTS.md'}")
    print(json.dumps(bench.rows))


if __name__ == "__main__":
    main()
