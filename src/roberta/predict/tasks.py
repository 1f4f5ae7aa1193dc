"""What `roberta predict` does per task: one row per task says which input columns it reads, how a row becomes a
pipeline input, which call options it fixes, and how the pipeline's results become typed output columns.

A new task (or a task option that changes the output, such as a reranker's scores or a windowed variant) is one
more `PredictTask` row in `TASKS`: the readers, the engines, resuming and the writers never look at the task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from ..pipelines import resolve_task

# ----------------------------------------------------------------------------------------------- arrow types
_LABEL = pa.struct([("label", pa.string()), ("score", pa.float64())])
_ANSWER = pa.struct([("score", pa.float64()), ("start", pa.int64()), ("end", pa.int64()), ("answer", pa.string())])
_TOKEN = pa.struct(
    [("score", pa.float64()), ("token", pa.int64()), ("token_str", pa.string()), ("sequence", pa.string())]
)
_SPAN = [("word", pa.string()), ("start", pa.int64()), ("end", pa.int64())]  # where an entity stands
_ENTITY = pa.struct([("entity", pa.string()), ("score", pa.float64()), ("index", pa.int64()), *_SPAN])
_GROUP = pa.struct([("entity_group", pa.string()), ("score", pa.float64()), *_SPAN])

Columns = dict[str, pa.Array]


def vectors(rows: list[Any], width: int) -> pa.FixedSizeListArray:
    """(n, width) float32 vectors (tensors or arrays) -> a FixedSizeList<float32, width> array."""
    flat = np.concatenate([np.asarray(r, dtype=np.float32).reshape(-1) for r in rows]) if rows else np.zeros(0)
    return pa.FixedSizeListArray.from_arrays(pa.array(flat.astype(np.float32), pa.float32()), width)


def token_vectors(rows: list[Any], width: int) -> pa.ListArray:
    """One (tokens, width) matrix per row -> List<FixedSizeList<float32, width>>."""
    lengths = [int(np.asarray(r).reshape(-1, width).shape[0]) for r in rows]
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), vectors(rows, width))


def _best(results: list[Any], fields: tuple[str, ...], types: dict[str, pa.DataType]) -> Columns:
    """Flat columns from each result's best (first) candidate; null where a row has none."""
    firsts = [r[0] if r else None for r in results]
    return {f: pa.array([None if x is None else x[f] for x in firsts], types[f]) for f in fields}


# ----------------------------------------------------------------------------------------------- per task
def _classification_columns(results: list[Any], pipe: Any, options: dict[str, Any]) -> Columns:
    if "top_k" in options:  # every row a list of {label, score}, best first
        return {"labels": pa.array(results, pa.list_(_LABEL))}
    return {
        "label": pa.array([r["label"] for r in results], pa.string()),
        "score": pa.array([r["score"] for r in results], pa.float64()),
    }


def _qa_columns(results: list[Any], pipe: Any, options: dict[str, Any]) -> Columns:
    answers = [r if isinstance(r, list) else [r] for r in results]  # one answer is a dict, several a list
    if "top_k" in options:
        return {"answers": pa.array(answers, pa.list_(_ANSWER))}
    return _best(answers, ("answer", "score", "start", "end"), {f.name: f.type for f in _ANSWER})


def _token_columns(results: list[Any], pipe: Any, options: dict[str, Any]) -> Columns:
    grouped = options.get("aggregation_strategy", "none") not in (None, "none")
    return {"entities": pa.array(results, pa.list_(_GROUP if grouped else _ENTITY))}


def _fill_mask_columns(results: list[Any], pipe: Any, options: dict[str, Any]) -> Columns:
    # one mask gives a list of candidates, several masks one list per mask: always the latter here
    per_mask = [r if r and isinstance(r[0], list) else [r] for r in results]
    return {"predictions": pa.array(per_mask, pa.list_(pa.list_(_TOKEN)))}


def _features_columns(results: list[Any], pipe: Any, options: dict[str, Any]) -> Columns:
    width = pipe.model.config.hidden_size
    return {"features": token_vectors([r[0] for r in results], width)}  # results: (1, tokens, hidden)


def embedding_width(pipe: Any) -> int:
    """The width of a sentence-embedding pipeline's vectors (a sentence-transformers folder's modules may change
    it)."""
    hidden = pipe.model.config.hidden_size
    folder = getattr(pipe, "folder", None)
    return hidden if folder is None else folder.output_size(hidden)


def _embedding_columns(results: list[Any], pipe: Any, options: dict[str, Any]) -> Columns:
    return {"embedding": vectors(results, embedding_width(pipe))}


# ----------------------------------------------------------------------------------------------- inputs
def _text(text: str, pair: str | None) -> Any:
    return text


def _maybe_pair(text: str, pair: str | None) -> Any:
    return text if pair is None else {"text": text, "text_pair": pair}


def _question(text: str, pair: str | None) -> Any:
    return {"question": text, "context": pair}


@dataclass(frozen=True)
class PredictTask:
    """How one pipeline task runs over table rows.

    Attributes:
        name: the pipeline task.
        text_column: the default `--text-column`.
        make_input: `(text, pair)` -> the pipeline input of one row (pair is None without a pair column).
        columns: `(results, pipeline, options)` -> the output columns of a list of results, typed from the
            model (so that empty parts have the same schema as full ones).
        pair_column: the default `--pair-column` (None: no pair unless asked for).
        pair: "none" (the task takes no pair), "optional" or "required".
        fixed_options: call options the task always sets (tensors instead of nested lists, say).
        output_columns: the names `columns` returns, for each value of `options` (a clash check before work).
    """

    name: str
    text_column: str
    make_input: Callable[[str, str | None], Any]
    columns: Callable[[list[Any], Any, dict[str, Any]], Columns]
    output_columns: Callable[[dict[str, Any]], tuple[str, ...]]
    pair_column: str | None = None
    pair: str = "none"
    fixed_options: dict[str, Any] = field(default_factory=dict)


def _names(*names: str, top_k: str | None = None) -> Callable[[dict[str, Any]], tuple[str, ...]]:
    return lambda options: (top_k,) if top_k and "top_k" in options else names


TASKS: dict[str, PredictTask] = {
    "fill-mask": PredictTask("fill-mask", "text", _text, _fill_mask_columns, _names("predictions")),
    "text-classification": PredictTask(
        "text-classification",
        "text",
        _maybe_pair,
        _classification_columns,
        _names("label", "score", top_k="labels"),
        pair="optional",
    ),
    "token-classification": PredictTask("token-classification", "text", _text, _token_columns, _names("entities")),
    "question-answering": PredictTask(
        "question-answering",
        "question",
        _question,
        _qa_columns,
        _names("answer", "score", "start", "end", top_k="answers"),
        pair_column="context",
        pair="required",
    ),
    "feature-extraction": PredictTask(
        "feature-extraction",
        "text",
        _text,
        _features_columns,
        _names("features"),
        fixed_options={"return_tensors": True},
    ),
    "sentence-embedding": PredictTask(
        "sentence-embedding",
        "text",
        _text,
        _embedding_columns,
        _names("embedding"),
        fixed_options={"return_tensors": True},
    ),
}


def predict_task(task: str) -> PredictTask:
    """The `PredictTask` of a pipeline task name (aliases allowed); ValueError for a task predict does not run."""
    name = resolve_task(task)
    if name not in TASKS:
        raise ValueError(f"roberta predict does not run {name}; it runs {', '.join(TASKS)} (and their aliases)")
    return TASKS[name]
