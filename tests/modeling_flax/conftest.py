"""Tiny random-weight checkpoints saved by the reference's PyTorch classes, shared by the Flax tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import transformers

from roberta_testing import HEADS, make_reference

# XLA compiles every shape a test runs, and compiling is most of these tests' time: an unoptimised LLVM
# backend halves it. It changes how fast the compiled code runs, not what it computes.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")


@pytest.fixture(scope="session", autouse=True)
def _quiet_reference():
    transformers.logging.set_verbosity_error()


@pytest.fixture(scope="session")
def reference_checkpoints(tmp_path_factory) -> dict[str, Path]:
    """One checkpoint directory per head (the causal LM is a decoder), written by the reference. One layer:
    these tests are about heads and files; the layer stack is exercised by the decoder tests."""
    root = tmp_path_factory.mktemp("flax-ckpts")
    out = {}
    for head in HEADS:
        make_reference(head, root / head, num_hidden_layers=1)  # with the config its head needs (is_decoder)
        out[head] = root / head
    return out
