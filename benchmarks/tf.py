"""TensorFlow side by side: our `TFRobertaModel` against the reference's, both under `tf.function`, in one
process, interleaved (the helpers are run.py's).

    python benchmarks/tf.py               # W1, W2 and first-call costs; writes the TensorFlow section of RESULTS.md
    python benchmarks/tf.py --repeats 3   # fewer rounds

Weights are random at roberta-base size (12 x 768, vocab 50265), fp32, 2 threads: the reference builds them and
saves `tf_model.h5`, ours loads that file. Ratios > 1 mean roberta is faster.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np
import tensorflow as tf
import transformers
from run import HERE, SHARED, THREADS, Bench, interleave, machine, results_table, write_section

import roberta


def traced(model):
    """The model's last hidden state under one tf.function (what a Keras user serves)."""

    @tf.function
    def forward(input_ids, attention_mask=None):
        return model(input_ids=input_ids, attention_mask=attention_mask, training=False)["last_hidden_state"]

    return forward


def load_average() -> str:
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "unknown"


def first_call(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args).numpy()
    return time.perf_counter() - start


class Rows(list):
    def add(self, workload, figure, ours, ref, higher_is_better=True, fmt="{:.0f}"):
        ratio = ours / ref if higher_is_better else ref / ours
        self.append((workload, figure, fmt.format(ours), fmt.format(ref), f"{ratio:.2f}x"))
        print(f"{workload:4} {figure:40} ours {fmt.format(ours):>9}  ref {fmt.format(ref):>9}  ratio {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    rows = Rows()
    start_load = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        ref = transformers.TFRobertaModel(transformers.RobertaConfig.from_pretrained(SHARED))
        ref(ref.dummy_inputs)
        ref.save_pretrained(tmp)
        ours = roberta.TFRobertaModel.from_pretrained(tmp)
    f_ours, f_ref = traced(ours), traced(ref)

    ids, mask, real = Bench.mixed_batch()  # W1: 64 sentences of 8..128 tokens, padded to the longest
    ids, mask = tf.constant(ids.numpy()), tf.constant(mask.numpy())
    first = {"ours": first_call(f_ours, ids, mask), "ref": first_call(f_ref, ids, mask)}
    keep = mask.numpy().astype(bool)
    diff = float(np.abs(f_ours(ids, mask).numpy()[keep] - f_ref(ids, mask).numpy()[keep]).max())
    t = interleave({"ours": lambda: f_ours(ids, mask).numpy(), "ref": lambda: f_ref(ids, mask).numpy()}, args.repeats)
    rows.add("W1", f"real tok/s (max abs diff {diff:.1e})", real / t["ours"], real / t["ref"])
    rows.add("W1", "first call s (trace + run)", first["ours"], first["ref"], higher_is_better=False, fmt="{:.2f}")

    short = tf.constant(np.random.default_rng(0).integers(3, 50000, (1, 16)))  # W2: one sequence of 16 tokens
    first = {"ours": first_call(f_ours, short), "ref": first_call(f_ref, short)}
    t = interleave({"ours": lambda: f_ours(short).numpy(), "ref": lambda: f_ref(short).numpy()}, args.repeats * 4, 3)
    rows.add("W2", "latency ms, 16 tokens", t["ours"] * 1e3, t["ref"] * 1e3, higher_is_better=False, fmt="{:.1f}")
    rows.add("W2", "first call s (trace + run)", first["ours"], first["ref"], higher_is_better=False, fmt="{:.2f}")

    intro = [
        f"Machine: {machine()}; tensorflow {tf.__version__} ({THREADS} intra-op threads). Load average during the "
        f"run: {start_load} at the start, {load_average()} at the end (this run and any other jobs).",
        "",
        "Command: `python benchmarks/tf.py` (our `TFRobertaModel` against the reference's, both under `tf.function`, "
        "one process, interleaved runs, medians; ratio > 1 means roberta is faster).",
    ]
    write_section(HERE / "RESULTS.md", "TensorFlow", [*intro, "", *results_table(rows)])
    print(f"wrote the TensorFlow section of {HERE / 'RESULTS.md'}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
