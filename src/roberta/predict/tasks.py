"""What `roberta predict` does per task: one row per task says which input columns it reads, how a row becomes a
pipeline input, which call options it fixes, and how the pipeline's results become typed output columns.

A new task is one more `PredictTask` row in `TASKS`: the readers, the engines, resuming and the writers never
look at the task. Options that change a task's output (top_k, a sentence embedding's precision or late-chunked
windows) change the columns its row gives; the other options (window, aggregation_strategy, ...) go to the
pipeline as they are.
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
FLOAT32 = pa.float32()


def vectors(rows: list[Any], width: int, value_type: pa.DataType = FLOAT32) -> pa.FixedSizeListArray:
    """(n, width) vectors (tensors or arrays) -> a FixedSizeList<value_type, width> array (float32, or the
    int8 / uint8 codes of a quantized embedding)."""
    kind = value_type.to_pandas_dtype()
    flat = np.concatenate([np.asarray(r, dtype=kind).reshape(-1) for r in rows]) if rows else np.zeros(0, kind)
    return pa.FixedSizeListArray.from_arrays(pa.array(flat, value_type), width)


def token_vectors(rows: list[Any], width: int, value_type: pa.DataType = FLOAT32) -> pa.ListArray:
    """One (tokens, width) matrix per row -> List<FixedSizeList<value_type, width>>."""
    lengths = [int(np.asarray(r).reshape(-1, width).shape[0]) for r in rows]
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), vectors(rows, width, value_type))


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


# a quantized embedding's codes: int8 / uint8 one per dimension, binary / ubinary 8 dimensions a byte
_PRECISION_TYPES = {
    "float32": FLOAT32,
    "int8": pa.int8(),
    "uint8": pa.uint8(),
    "binary": pa.int8(),
    "ubinary": pa.uint8(),
}


def _window_aggregate(options: dict[str, Any]) -> str | None:
    """The aggregate the `window` option names ((length, stride, aggregate), a dict, or a `Window`), if any."""
    window = options.get("window")
    if isinstance(window, dict):
        return window.get("aggregate")
    if isinstance(window, (tuple, list)):
        return window[2] if len(window) == 3 else None
    return getattr(window, "aggregate", None)


def _embedding_column(options: dict[str, Any]) -> str:
    """embedding (one vector a row), embeddings (late chunking: one per span) or token_embeddings."""
    if options.get("output_value") == "token_embeddings":
        return "token_embeddings"
    return "embeddings" if _window_aggregate(options) == "late" else "embedding"


def embedding_layout(pipe: Any, options: dict[str, Any]) -> tuple[int, pa.DataType]:
    """The width and value type of a sentence-embedding pipeline's vectors under `options`: the vector's width
    (a sentence-transformers folder's modules may change it; `truncate_dim` cuts it), an eighth of it rounded up
    for the packed bits of binary / ubinary; a token embedding's width is the Pooling's."""
    folder = getattr(pipe, "folder", None)
    if options.get("output_value") == "token_embeddings":
        return (pipe.model.config.hidden_size if folder is None else folder.pooling.dimension), FLOAT32
    width = options.get("truncate_dim") or pipe.embedding_size
    precision = options.get("precision", "float32")
    if precision in ("binary", "ubinary"):
        width = -(-width // 8)
    return width, _PRECISION_TYPES[precision]


def _embedding_columns(results: list[Any], pipe: Any, options: dict[str, Any]) -> Columns:
    width, value_type = embedding_layout(pipe, options)
    name = _embedding_column(options)
    if name == "embedding":
        return {name: vectors(results, width, value_type)}
    return {name: token_vectors(results, width, value_type)}  # several vectors a row


def _rerank_columns(results: list[Any], pipe: Any, options: dict[str, Any]) -> Columns:
    # one pair's score: a float for a one-label cross-encoder, one float per label otherwise
    several = pipe.model.config.num_labels != 1
    return {"score": pa.array(results, pa.list_(pa.float64()) if several else pa.float64())}


# ----------------------------------------------------------------------------------------------- checks
def _check_nothing(options: dict[str, Any], paired: bool) -> None:
    pass


def _check_classification(options: dict[str, Any], paired: bool) -> None:
    if paired and options.get("window") is not None:
        raise ValueError("text-classification reads single texts in windows: a window takes no pair column")


def _check_embedding(options: dict[str, Any], paired: bool) -> None:
    ranged = options.get("quantization_ranges") is not None or options.get("calibration_embeddings") is not None
    if options.get("precision") in ("int8", "uint8") and not ranged:
        raise ValueError(
            f"precision={options['precision']} needs quantization_ranges (or calibration_embeddings) in roberta "
            f"predict: ranges taken from each batch's own rows would make a row's codes depend on its batch"
        )


def _check_rerank(options: dict[str, Any], paired: bool) -> None:
    ranking = sorted({"top_k", "return_documents"} & set(options))
    if ranking:
        raise ValueError(
            f"rerank in roberta predict scores each row's (query, document) pair: {ranking} apply to ranking "
            f"one query's documents (pipeline('rerank')(query=..., documents=[...]))"
        )


# ----------------------------------------------------------------------------------------------- inputs
def _text(text: str, pair: str | None) -> Any:
    return text


def _maybe_pair(text: str, pair: str | None) -> Any:
    return text if pair is None else {"text": text, "text_pair": pair}


def _question(text: str, pair: str | None) -> Any:
    return {"question": text, "context": pair}


def _query_document(text: str, pair: str | None) -> Any:
    return (text, pair)


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
        check: `(options, paired)` -> None, or ValueError for options the task takes but that make no sense
            row by row (`paired`: the job reads a pair column).
    """

    name: str
    text_column: str
    make_input: Callable[[str, str | None], Any]
    columns: Callable[[list[Any], Any, dict[str, Any]], Columns]
    output_columns: Callable[[dict[str, Any]], tuple[str, ...]]
    pair_column: str | None = None
    pair: str = "none"
    fixed_options: dict[str, Any] = field(default_factory=dict)
    check: Callable[[dict[str, Any], bool], None] = _check_nothing


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
        check=_check_classification,
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
        lambda options: (_embedding_column(options),),
        fixed_options={"return_tensors": True},
        check=_check_embedding,
    ),
    "rerank": PredictTask(
        "rerank",
        "query",
        _query_document,
        _rerank_columns,
        _names("score"),
        pair_column="document",
        pair="required",
        check=_check_rerank,
    ),
}


def task_names() -> list[str]:
    """The tasks `roberta predict` runs, in the registry's order (the order `roberta run --help` lists)."""
    from ..pipelines import SUPPORTED_TASKS

    return [task for task in SUPPORTED_TASKS if task in TASKS]


def task_choices() -> list[str]:
    """The names `--task` takes: `task_names()` and the registry's aliases of them."""
    from ..pipelines import TASK_ALIASES

    names = task_names()
    return [*names, *(alias for alias, task in TASK_ALIASES.items() if task in names)]


def predict_task(task: str) -> PredictTask:
    """The `PredictTask` of a pipeline task name (aliases allowed); ValueError for a task predict does not run."""
    from ..registry import describe_tasks

    name = resolve_task(task)
    if name not in TASKS:
        raise ValueError(f"roberta predict does not run {name}; it runs {describe_tasks(task_names())}")
    return TASKS[name]
