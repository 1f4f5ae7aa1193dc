"""Helpers for the TF tests: the reference's TF models, and conversions to reuse `roberta_testing`'s checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
import torch

from roberta_testing import assert_close, reference_config


def make_tf_reference(cls_name: str, path: Path, **overrides):
    """Build a random-weight reference TF model (the reference sets TF_USE_LEGACY_KERAS itself when its TF
    classes are imported), save it to `path` as tf_model.h5, and return it."""
    import transformers

    tf.random.set_seed(0)  # reproducible weights, whatever ran before
    model = getattr(transformers, "TF" + cls_name)(reference_config(cls_name, **overrides))
    model(model.dummy_inputs)
    model.save_pretrained(path)
    return model


def as_torch(x):
    """TF tensors / NumPy arrays (nested in tuples) -> torch tensors, so `roberta_testing.assert_close` applies."""
    if isinstance(x, (tuple, list)):
        return type(x)(as_torch(v) for v in x)
    return torch.from_numpy(np.array(x.numpy() if hasattr(x, "numpy") else x))


def assert_tf_close(a, b, mask=None, what=""):
    """Max |a - b| <= roberta_testing.TOL (over mask == 1 positions when given); a and b may be TF or torch."""
    a = a if isinstance(a, torch.Tensor) else as_torch(a)
    b = b if isinstance(b, torch.Tensor) else as_torch(b)
    mask = None if mask is None else (mask if isinstance(mask, torch.Tensor) else as_torch(mask))
    assert_close(a, b, mask, what)
