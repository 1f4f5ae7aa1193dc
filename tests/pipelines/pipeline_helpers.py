"""Helpers of the pipeline tests (and of the tests elsewhere that compare with them, which import this module
as `pipelines.pipeline_helpers`: tests/ is on pytest's pythonpath): `assert_same` compares pipeline results;
`save_st_folder` and `assert_vectors` build sentence-transformers folders and compare sentence vectors."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

TOL = 1e-4


def assert_same(ours: Any, ref: Any, path: str = "result") -> None:
    """Same structure, same strings / ints, floats within TOL."""
    if isinstance(ref, (torch.Tensor, np.ndarray)):
        ref = ref.tolist()
    if isinstance(ours, (torch.Tensor, np.ndarray)):
        ours = ours.tolist()
    if isinstance(ref, dict):
        assert isinstance(ours, dict), f"{path}: expected a dict, got {type(ours).__name__}"
        assert list(ours) == list(ref), f"{path}: keys {list(ours)} != {list(ref)}"
        for k in ref:
            assert_same(ours[k], ref[k], f"{path}[{k!r}]")
    elif isinstance(ref, (list, tuple)):
        assert isinstance(ours, (list, tuple)), f"{path}: expected a list, got {type(ours).__name__}"
        assert len(ours) == len(ref), f"{path}: length {len(ours)} != {len(ref)}"
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(ref, (float, np.floating)) and not isinstance(ref, bool):
        assert isinstance(ours, (float, int)) and not isinstance(ours, bool), f"{path}: {ours!r} is not a number"
        assert math.isclose(float(ours), float(ref), abs_tol=TOL), f"{path}: {ours} != {ref}"
    elif isinstance(ref, (np.integer,)):
        assert ours == int(ref), f"{path}: {ours!r} != {ref!r}"
    else:
        assert type(ours) is type(ref) and ours == ref, f"{path}: {ours!r} != {ref!r}"


# ---------------------------------------------------------------------- sentence-transformers folders
# Sentence-embedding texts with outer whitespace, mixed case, one empty and one long.
ST_TEXTS = [
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
