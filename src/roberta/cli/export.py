"""`roberta export onnx DIR -o OUT --task TASK [--int8 | --fp16]`: a model directory -> model.onnx beside
config.json and the tokenizer files, checked against PyTorch before anything is written. Bad input (an unknown
task, a directory without weights, an output path that exists) exits with status 2 and one line on stderr."""

from __future__ import annotations

import argparse
import textwrap

from .errors import user_errors
from .options import arg_values
from .parser import add_only_choice


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..onnx.export import DEFAULT_OPSET, TOLERANCE
    from ..onnx.tasks import TASK_NAMES
    from ..registry import describe_tasks

    tasks = describe_tasks(TASK_NAMES)
    parser.epilog = textwrap.fill(f"export onnx --task TASK: {tasks}", width=100)
    summary = "model.onnx for onnxruntime, Triton or TEI (with config.json and the tokenizer files)"
    description = (
        "Export a model directory's head to ONNX (dynamic batch and sequence axes, inputs input_ids "
        "and attention_mask), then check onnxruntime's outputs against PyTorch's."
    )
    p = add_only_choice(parser, "target", "onnx", "OUT", help=summary, description=description)
    p.add_argument("model", metavar="DIR", help="the model directory to export")
    p.add_argument(
        "--task",
        required=True,
        metavar="TASK",
        help=f"the head to export: {tasks} (text-generation: logits without a key/value cache)",
    )
    variant = p.add_mutually_exclusive_group()
    variant.add_argument("--int8", action="store_true", help="int8 weights (onnxruntime dynamic quantization)")
    variant.add_argument("--fp16", action="store_true", help="float16 weights and arithmetic, float32 inputs/outputs")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    p.add_argument(
        "--tolerance",
        type=float,
        default=TOLERANCE,
        help=f"largest allowed |onnxruntime - PyTorch| of the float32 graph (default {TOLERANCE:g})",
    )


def main(args: argparse.Namespace) -> int:
    from ..extras import require

    require("onnx", "onnxruntime", feature="the ONNX export")
    from ..onnx.export import export_onnx

    with user_errors():
        result = export_onnx(args.model, args.output, **arg_values(args, "task", "int8", "fp16", "opset", "tolerance"))
    print(f"wrote {result.output_dir}/model.onnx: {result.model_class} ({result.task}), {result.variant}")
    for c in result.checks:
        bound = f" (allowed {c.bound:.0e})" if c.bound is not None else ""
        print(
            f"check {c.variant}: max |onnxruntime - pytorch| = {c.max_abs_diff:.2e}{bound}, "
            f"argmax agreement {c.argmax_agreement:.1%}"
        )
    for note in result.notes:
        print(f"note: {note}")
    return 0
