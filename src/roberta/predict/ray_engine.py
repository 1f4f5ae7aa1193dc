"""The Ray engine: the job on Ray Data. `ray.data.read_*` reads the input, `map_batches` sends blocks through a
pool of actors that each load the model once and run blocks with the local engine's `ChunkRunner`, and
`write_parquet` writes the output folder.

Each actor returns its good rows with an `_error` column that is null, and one row per bad row holding the id
and the reason. The results are materialized once (Ray keeps them in its object store, spilling to disk), the
bad rows are collected into the errors file on the driver (there are at most `max_errors` of them), and the
good rows are written. An input without an id column is zipped with `ray.data.range` first, so that every row
carries its row number. The output folder is written beside its final path and renamed into place.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from typing import Any

import pyarrow as pa

from .job import PredictJob
from .local import PredictSummary, TooManyErrors
from .writer import write_rows

ERROR = "_error"
logger = logging.getLogger(__name__)


class PredictActor:
    """One model replica: built once per actor from the job's arguments; called with Arrow blocks."""

    def __init__(self, job: dict[str, Any], columns: Any) -> None:
        from .runner import ChunkRunner

        self.job = PredictJob(**job)
        self.columns = columns
        self.runner = ChunkRunner(self.job)

    def __call__(self, block: pa.Table) -> pa.Table:
        from .reader import chunk_from_table

        chunk = chunk_from_table(block, self.columns, None)
        chunk.rows = chunk.ids if self.columns.id == ROW else None
        table, errors = self.runner.run(chunk)
        table = table.append_column(ERROR, pa.nulls(table.num_rows, pa.string()))
        if not errors:
            return table
        bad = {f.name: pa.nulls(len(errors), f.type) for f in table.schema}
        bad[self.job.id_column] = pa.array([e.id for e in errors], table.schema.field(self.job.id_column).type)
        bad[ERROR] = pa.array([e.error for e in errors], pa.string())
        return pa.concat_tables([table, pa.table(bad, schema=table.schema)])


ROW = "__row_number__"  # the id column Ray adds to an input without one


def _read(job: PredictJob) -> Any:
    import ray.data

    if job.input_format == "parquet":
        return ray.data.read_parquet(job.input)
    if job.input_format == "jsonl":
        return ray.data.read_json(job.input, lines=True)
    import pyarrow.csv as pcsv

    from .reader import CsvReader

    header = CsvReader(job).header  # CSV has no types: every column is text, as the local engine reads it
    convert = pcsv.ConvertOptions(column_types={name: pa.string() for name in header}, strings_can_be_null=False)
    return ray.data.read_csv(job.input, convert_options=convert)


def _columns(job: PredictJob, ds: Any) -> tuple[Any, Any]:
    """The dataset with an id column, and the column plan."""
    import ray.data

    from .reader import plan_columns

    names = list(ds.schema().names)
    cols = plan_columns(job, names)
    if cols.id is None:
        numbers = ray.data.range(ds.count()).rename_columns({"id": ROW})
        ds = ds.zip(numbers)
        cols = type(cols)(ROW, cols.text, cols.pair, cols.keep)
    return ds, cols


def _rows_where(block: pa.Table, good: bool) -> pa.Table:
    """The good rows of a result block (no error), or its bad ones."""
    import pyarrow.compute as pc

    return block.filter(pc.is_null(block[ERROR]) if good else pc.is_valid(block[ERROR]))


def _check_cpus(total: float, actors: float, joined: bool) -> None:
    """Reading needs a CPU beside the actors': an actor pool that takes every CPU waits forever."""
    if actors <= total - 1:
        return
    message = (
        f"{actors:g} CPUs for the actors leave no CPU to read the input on a Ray of {total:g} CPUs; lower "
        f"--cpus-per-actor (e.g. 0.5) or --num-actors"
    )
    if not joined:
        raise ValueError(message)
    logger.warning("%s (unless the cluster scales up)", message)


def _replace(staging: str, final: str) -> None:
    if os.path.isdir(final):
        shutil.rmtree(final)
    elif os.path.exists(final):
        os.remove(final)
    os.replace(staging, final)


def run_ray(
    job: PredictJob,
    *,
    num_actors: int = 2,
    cpus_per_actor: float = 1,
    gpus_per_actor: float = 0,
    address: str | None = None,
) -> PredictSummary:
    """Run `job` on Ray Data (see the module docstring); joins the cluster at `address`, or starts a local Ray
    when none is running and no address is given."""
    from ..extras import require

    require("ray", feature="--engine ray")
    import ray
    import ray.data

    if job.output_format != "parquet":
        raise ValueError("the ray engine writes Parquet (a folder of parts): name the output .parquet")
    if not isinstance(num_actors, int) or num_actors < 1:
        raise ValueError(f"num_actors must be an int >= 1, got {num_actors!r}")
    if os.path.exists(job.output) and not job.overwrite:
        raise FileExistsError(f"{job.output} already exists; pass --overwrite to replace it")
    started = time.monotonic()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False) if address else ray.init(include_dashboard=False)
    _check_cpus(ray.cluster_resources().get("CPU", 0), num_actors * cpus_per_actor, joined=bool(address))
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    ds, cols = _columns(job, _read(job))
    results = ds.map_batches(
        PredictActor,
        fn_constructor_kwargs={"job": job.to_dict(), "columns": cols},
        batch_size=job.part_rows,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=num_actors),
        num_cpus=cpus_per_actor,
        num_gpus=gpus_per_actor,
    ).materialize()
    bad = results.map_batches(_rows_where, fn_args=(False,), batch_format="pyarrow")
    bad = bad.select_columns([job.id_column, ERROR]).take_all()
    numbered = cols.id == ROW
    errors = [{"id": r[job.id_column], "row": r[job.id_column] if numbered else None, "error": r[ERROR]} for r in bad]
    if job.max_errors is not None and len(errors) > job.max_errors:
        raise TooManyErrors(f"{len(errors)} bad rows, more than --max-errors {job.max_errors}; nothing was written")
    good = results.map_batches(_rows_where, fn_args=(True,), batch_format="pyarrow").drop_columns([ERROR])
    written = good.count()
    staging = job.output.rstrip("/") + ".ray-staging"
    shutil.rmtree(staging, ignore_errors=True)
    good.write_parquet(staging)
    _replace(staging, job.output)
    write_rows(errors, job.errors)
    rows = written + len(errors)
    return PredictSummary(job.output, job.errors, rows, written, len(errors), rows, time.monotonic() - started, "ray")
