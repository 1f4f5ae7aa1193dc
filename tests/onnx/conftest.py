"""Tiny random-weight checkpoints of every head, with the real roberta-base tokenizer files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

import roberta
from roberta import registry

TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")
CONFIG = dict(
    vocab_size=50265,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=66,
    type_vocab_size=1,
    pad_token_id=1,
    layer_norm_eps=1e-5,
    initializer_range=0.4,  # confident random heads: rankings are not decided by float noise
)
LABELS = {
    "text-classification": {"id2label": {0: "NEG", 1: "NEU", 2: "POS"}},
    "token-classification": {"id2label": {0: "O", 1: "B-PER", 2: "I-PER"}},
}
# every head of the registry: its task -> (class, config overrides: the head's own, and labels)
HEADS = {row.task: (registry.class_name(row), {**row.config, **LABELS.get(row.task, {})}) for row in registry.HEADS}


@pytest.fixture(scope="session")
def head_dirs(tmp_path_factory, roberta_base_dir) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("onnx-heads")
    dirs = {}
    for seed, (task, (cls, overrides)) in enumerate(HEADS.items()):
        torch.manual_seed(seed)
        path = root / task
        getattr(roberta, cls)(roberta.RobertaConfig(**{**CONFIG, **overrides})).save_pretrained(path)
        for name in TOKENIZER_FILES:
            shutil.copy(roberta_base_dir / name, path / name)
        dirs[task] = path
    return dirs


@pytest.fixture(scope="session")
def exports(tmp_path_factory, head_dirs) -> dict[str, tuple]:
    """Each head exported once: task -> (ExportResult, output directory)."""
    from roberta.onnx import export_onnx

    root = tmp_path_factory.mktemp("onnx-exports")
    return {task: (export_onnx(path, root / task, task=task), root / task) for task, path in head_dirs.items()}
