"""This tree against an earlier revision of roberta, side by side in one process: is a change a regression?

    python benchmarks/against_revision.py 76f15ac      # W1, W2, W3, T1 interleaved; L1 in fresh processes

The revision's `src/roberta` is unpacked (git archive) into a temporary folder as the package `roberta_then`;
both run the same random roberta-base-size weights, A B A B, medians. Ratios are then / now time (> 1: this
tree is faster) and now / then peak memory. Writes nothing: the figures go to the terminal (and, by hand, to
the closing note of the change).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import torch
from run import SHARED  # benchmarks/run.py, beside this script

ROOT = Path(__file__).resolve().parents[1]


def unpack(revision: str, into: Path) -> None:
    archive = subprocess.run(["git", "archive", revision, "src/roberta"], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    (into / "src" / "roberta").rename(into / "roberta_then")


def timed(runs: dict, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in runs}
    for f in runs.values():
        f()  # warm-up
    for _ in range(repeats):
        for k, f in runs.items():
            start = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


L1 = (
    "import sys, torch; torch.set_num_threads(2); sys.path.insert(0, sys.argv[3])\n"
    "mod = __import__(sys.argv[1] + '.modeling', fromlist=['x'])\n"
    "m = mod.RobertaForMaskedLM.from_pretrained(sys.argv[2]).eval()\n"
    "with torch.inference_mode(): m(input_ids=torch.tensor([[0, 31414, 232, 2]]))\n"
    "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    import roberta

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        unpack(args.revision, tmp)
        sys.path.insert(0, str(tmp))
        from roberta_then.modeling import RobertaForMaskedLM as ThenMLM
        from roberta_then.modeling import RobertaModel as ThenModel

        torch.manual_seed(0)
        config = roberta.RobertaConfig.from_pretrained(SHARED)  # roberta-base's sizes, as run.py uses them
        roberta.RobertaForMaskedLM(config).save_pretrained(tmp / "ckpt")
        now, then = roberta.RobertaModel.from_pretrained(tmp / "ckpt").eval(), ThenModel.from_pretrained(tmp / "ckpt")
        then.eval()
        g = torch.Generator().manual_seed(1)
        lengths = torch.randint(8, 129, (64,), generator=g)
        w1 = torch.randint(3, 50000, (64, 128), generator=g)
        w1_mask = (torch.arange(128)[None] < lengths[:, None]).long()
        w2 = torch.randint(3, 50000, (1, 16), generator=g)
        w3 = torch.randint(3, 50000, (4, 512), generator=g)
        cases = {
            "W1 64 x 8..128 padded": (lambda m: m(input_ids=w1, attention_mask=w1_mask), args.repeats),
            "W2 1 x 16": (lambda m: m(input_ids=w2), args.repeats * 20),
            "W3 4 x 512": (lambda m: m(input_ids=w3), args.repeats),
        }
        print(f"this tree against {args.revision} (then / now time; > 1: now is faster)")
        with torch.inference_mode():
            for name, (f, repeats) in cases.items():
                diff = (f(now).last_hidden_state - f(then).last_hidden_state).abs().max().item()
                t = timed({"then": lambda f=f: f(then), "now": lambda f=f: f(now)}, repeats)
                print(
                    f"{name:24s} then {t['then'] * 1e3:9.1f} ms  now {t['now'] * 1e3:9.1f} ms  "
                    f"{t['then'] / t['now']:.3f}x  (max |diff| {diff:.1e})",
                    flush=True,
                )
        now = then = None  # free the inference models before training ones are built

        models = {
            "now": roberta.RobertaForMaskedLM.from_pretrained(tmp / "ckpt").train(),
            "then": ThenMLM.from_pretrained(tmp / "ckpt").train(),
        }
        ids = torch.randint(3, 50000, (8, 128), generator=g)
        chosen = torch.rand(ids.shape, generator=g) < 0.15
        labels = torch.where(chosen, ids, torch.full_like(ids, -100))
        inputs = ids.masked_fill(chosen, 50264)
        optimizers = {k: torch.optim.AdamW(m.parameters(), lr=1e-4, fused=True) for k, m in models.items()}

        def step(k: str) -> None:
            # the sparse LM head: then by default in training, now opt-in (as roberta pretrain asks for it)
            extra = {"sparse_logits": True}
            models[k](input_ids=inputs, labels=labels, **extra).loss.backward()
            optimizers[k].step()
            optimizers[k].zero_grad(set_to_none=True)

        t = timed({"then": lambda: step("then"), "now": lambda: step("now")}, args.repeats)
        print(
            f"{'T1 8 x 128 train step':24s} then {t['then'] * 1e3:9.1f} ms  now {t['now'] * 1e3:9.1f} ms  "
            f"{t['then'] / t['now']:.3f}x",
            flush=True,
        )
        models = optimizers = None

        peaks: dict[str, list[int]] = {"then": [], "now": []}
        for _ in range(3):
            for k, package, path in (("then", "roberta_then", tmp), ("now", "roberta", ROOT / "src")):
                out = subprocess.run(
                    [sys.executable, "-c", L1, package, str(tmp / "ckpt"), str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                peaks[k].append(int(out.stdout.split()[-1]))
        then_kb, now_kb = statistics.median(peaks["then"]), statistics.median(peaks["now"])
        print(
            f"{'L1 load + forward peak':24s} then {then_kb / 1024:9.0f} MiB now {now_kb / 1024:9.0f} MiB "
            f"{now_kb / then_kb:.3f}x of then"
        )


if __name__ == "__main__":
    main()
