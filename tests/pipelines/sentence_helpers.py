"""sentence-transformers folders built by the real `sentence_transformers` package around a tiny random
checkpoint, for the tests that compare our sentence vectors with `SentenceTransformer(folder).encode`."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

# Texts with outer whitespace, mixed case, one empty and one long.
TEXTS = [
    "hello world",
    "  A Longer Sentence, with several MORE words in it than the first.  ",
    "",
    "short",
    "many words " * 30,
]
ST_TOL = 1e-5


def save_st_folder(
    path: Path,
    transformer_dir: Path,
    *,
    pooling: str | list[str] | dict[str, bool] = "mean",
    include_prompt: bool = True,
    dense: tuple[tuple[int, Any], ...] = (),
    normalize: bool = False,
    max_seq_length: int | None = None,
    do_lower_case: bool = False,
    prompts: dict[str, str] | None = None,
    default_prompt_name: str | None = None,
    safe_serialization: bool = True,
    seed: int = 0,
):
    """Wrap the checkpoint `transformer_dir` in sentence-transformers modules (a Pooling by mode name, a list
    of them, or the older pooling_mode_* flags; Dense layers given as (out_features, activation); Normalize),
    save the model to `path` and return `SentenceTransformer(path)`."""
    with warnings.catch_warnings():  # 5.x renamed the modules' paths and arguments; the old ones still work
        warnings.simplefilter("ignore", (DeprecationWarning, FutureWarning))
        from sentence_transformers import SentenceTransformer, models

        torch.manual_seed(seed)
        word = models.Transformer(str(transformer_dir), max_seq_length=max_seq_length, do_lower_case=do_lower_case)
        dim = word.get_word_embedding_dimension()
        if isinstance(pooling, dict):
            pool = models.Pooling(dim, include_prompt=include_prompt, **pooling)
        else:
            pool = models.Pooling(dim, pooling_mode=pooling, include_prompt=include_prompt)
        modules: list[Any] = [word, pool]
        size = pool.get_sentence_embedding_dimension()
        for out_features, activation in dense:
            modules.append(models.Dense(size, out_features, activation_function=activation))
            size = out_features
        if normalize:
            modules.append(models.Normalize())
        model = SentenceTransformer(
            modules=modules, prompts=prompts, default_prompt_name=default_prompt_name, device="cpu"
        )
        model.save(str(path), safe_serialization=safe_serialization)
        return SentenceTransformer(str(path), device="cpu")


def assert_vectors(ours: Any, reference: Any, what: str = "") -> None:
    """Same shape, and within ST_TOL of sentence-transformers' vectors."""
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: {a.shape} vs {b.shape}"
    diff = np.abs(a - b).max() if a.size else 0.0
    assert diff <= ST_TOL, f"{what}: max |diff| {diff:.3e}"
