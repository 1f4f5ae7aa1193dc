"""Pipelines post-process each batch as it finishes: memory stays flat in the number of inputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")
SCRIPT = """
import sys
import roberta

def peak_mib():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024

fill = roberta.pipeline("fill-mask", model=sys.argv[1], batch_size=64)
texts = [f"Sentence number {i} has a <mask> in it." for i in range(3000)]
fill(texts[:16])
before = peak_mib()
out = fill(texts, top_k=2)
assert len(out) == 3000 and all(len(r) == 2 for r in out)
print(peak_mib() - before)
"""


def test_3000_fill_mask_inputs_grow_peak_memory_by_less_than_1_gb(checkpoints):
    # Each input's full-vocabulary logits take ~2.4 MB here: holding all of them would cost ~7 GB.
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(checkpoints["fill-mask"])],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC, "OMP_NUM_THREADS": "2"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    grew = float(proc.stdout.split()[-1])
    assert grew < 1024, f"peak RSS grew by {grew:.0f} MiB"
