"""Fixtures for the training tests: a structured synthetic corpus, a small trained tokenizer, a tiny model."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from train_helpers import pretrain_args, write_corpus

from roberta.cli import main as cli

logging.getLogger("roberta").setLevel(logging.ERROR)
torch.set_num_threads(1)  # the tiny models gain nothing from threads; keeps timings stable on busy machines


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "train.txt", 400)


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory, corpus) -> Path:
    out = tmp_path_factory.mktemp("tok")
    assert cli(["train-tokenizer", str(corpus), "-o", str(out), "--vocab-size", "300", "--min-frequency", "1"]) == 0
    return out


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory, corpus, tokenizer_dir) -> Path:
    """A tiny masked LM pretrained for 400 steps (also the start point of the fine-tuning tests)."""
    out = tmp_path_factory.mktemp("pretrained")
    valid = write_corpus(out.parent / "valid.txt", 40, seed=1)
    assert (
        cli(
            pretrain_args(
                corpus, tokenizer_dir, out, "--max-steps", "400", "--validation-file", str(valid), "--eval-steps", "200"
            )
        )
        == 0
    )
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tokenizer_dir) -> Path:
    """A random-weight masked LM (hidden 32, 2 layers) that reads 64 tokens, with the trained tokenizer beside it:
    a quick start point for fine-tuning."""
    import shutil

    import roberta

    out = tmp_path_factory.mktemp("tiny-model")
    torch.manual_seed(0)
    config = roberta.RobertaConfig(
        vocab_size=300,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=66,
    )
    roberta.RobertaForMaskedLM(config).save_pretrained(out)
    for name in tokenizer_dir.iterdir():
        shutil.copy(name, out / name.name)
    return out
