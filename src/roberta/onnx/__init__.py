"""ONNX out: `export_onnx` writes a model directory's head as an ONNX graph for onnxruntime, Triton or TEI, checked
against our PyTorch model; `runner.py` runs such a directory inside our pipelines (`framework="onnx"`).

- `tasks.py`: which head each task exports, and the graph's input and output names.
- `export.py`: the export, the optional int8 / fp16 variants, and the check; `command.py`: `roberta export onnx`.
- `runner.py`: an onnxruntime session as a pipeline runner (see `pipelines/backends.py`).

onnx and onnxruntime are imported only when an export or a session runs (the `onnx` extra installs them).
"""

from .export import ExportResult, export_onnx

__all__ = ["ExportResult", "export_onnx"]
