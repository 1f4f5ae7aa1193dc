"""Batch inference over a corpus: `roberta predict` and `roberta.predict.predict()`.

    from roberta.predict import predict

    predict("sentence-embedding", "my-model", "corpus.parquet", "embeddings.parquet")

The package, one concern per module:

* `tasks.py` – one row per pipeline task: input columns, call options, typed output columns;
* `job.py` – the arguments of a job, checked once;
* `reader.py` – JSON Lines / CSV / Parquet read in bounded chunks;
* `runner.py` – one chunk through the model (token-budget batches, bad rows isolated);
* `writer.py` – part files and the assembled output, written atomically;
* `state.py` – the work folder that makes the local engine resumable;
* `local.py` – the local engine; `ray_engine.py` – the same job on Ray Data.

Needs pyarrow (the `predict` extra) and, for `engine="ray"`, Ray Data (the `ray` extra).
"""

from __future__ import annotations

from typing import Any

__all__ = ["predict"]


def predict(
    task: str,
    model: Any,
    input: Any,
    output: Any,
    *,
    engine: str = "local",
    text_column: str | None = None,
    pair_column: str | None = None,
    id_column: str = "id",
    keep_columns: list[str] | None = None,
    options: dict[str, Any] | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    errors: Any = None,
    max_errors: int | None = None,
    batch_tokens: int = 8192,
    part_rows: int = 1024,
    device: Any = None,
    dtype: Any = None,
    overwrite: bool = False,
    progress: bool = False,
    num_actors: int = 2,
    cpus_per_actor: float = 1,
    gpus_per_actor: float = 0,
    ray_address: str | None = None,
) -> Any:
    """Run a pipeline task over every row of a dataset file and write one output row per good input row.

    Args:
        task: fill-mask, text-classification (sentiment-analysis), token-classification (ner),
            question-answering, feature-extraction, sentence-embedding or rerank (the registry's aliases
            too).
        model: the model directory (or cached hub id).
        input: a JSON Lines, CSV or Parquet file (format from the extension, or `input_format`).
        output: where the results go: a Parquet or JSON Lines file (format from the extension, or
            `output_format`); on Ray, a folder of Parquet files.
        text_column: the column holding the text (default "text"; "question" for question-answering, "query"
            for rerank).
        pair_column: the second text of a pair (text-classification), the context (question-answering,
            default "context") or the document (rerank, default "document").
        id_column: the id column, kept in the output; an input without it gets the row numbers (from 0) there.
        keep_columns: the input columns copied to the output (default: all but the text and pair columns).
        options: pipeline call options (`top_k`, `aggregation_strategy`, `window`, a sentence embedding's
            `normalize`, `truncate_dim`, `prompt_name`, `precision`, ...).
        errors: the errors file (JSON Lines: id, row number, reason per bad row); default `OUTPUT.errors.jsonl`.
        max_errors: stop once more rows than this are bad (None: no bound).
        batch_tokens: tokens per model batch (real tokens, the unpadded path's cost).
        part_rows: rows read, run and committed together (the most work a kill loses; memory held).
        device, dtype: as for `pipeline()`.
        overwrite: replace an existing output, or an interrupted job's work, instead of refusing / continuing.
        progress: draw a progress bar with rows/s and the time left on stderr.
        num_actors, cpus_per_actor, gpus_per_actor, ray_address: the Ray engine's actor pool, and the cluster to
            join (None: a local Ray).

    Returns:
        A `PredictSummary` (rows, written, errors, seconds, rows_per_second).

    A local job killed at any point continues where it stopped when run again with the same arguments.
    """
    from .job import ENGINES, PredictJob

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    job = PredictJob(
        task,
        model,
        input,
        output,
        text_column=text_column,
        pair_column=pair_column,
        id_column=id_column,
        keep_columns=keep_columns,
        options=dict(options or {}),
        input_format=input_format,
        output_format=output_format,
        errors=None if errors is None else str(errors),
        max_errors=max_errors,
        batch_tokens=batch_tokens,
        part_rows=part_rows,
        device=device,
        dtype=dtype,
        overwrite=overwrite,
    )
    if engine == "ray":
        from .ray_engine import run_ray

        return run_ray(
            job,
            num_actors=num_actors,
            cpus_per_actor=cpus_per_actor,
            gpus_per_actor=gpus_per_actor,
            address=ray_address,
        )
    from .local import run_local

    return run_local(job, progress=progress)
