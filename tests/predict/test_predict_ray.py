"""The Ray engine (one local Ray of 2 CPUs for the module) writes the rows the local engine writes."""

from __future__ import annotations

import numpy as np
import pytest
import ray  # noqa: E402 (the `ray` extra, which the test extra installs)
from predict_helpers import read_errors, read_output, texts, write_input

from roberta.predict import predict


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_rows_equal_the_local_engines(models, tmp_path, local_ray):
    data = [{"text": t, "lang": ["en", "de"][i % 2]} for i, t in enumerate(texts(24, seed=21, mask=False))]
    data[5]["text"] = ""  # a bad row: the errors file on both engines
    source = write_input(tmp_path / "in.parquet", data)  # no id column: row numbers on both
    task = "sentence-embedding"
    local = predict(task, models[task], source, tmp_path / "local.parquet", part_rows=5)
    remote = predict(
        task,
        models[task],
        source,
        tmp_path / "ray.parquet",
        part_rows=5,
        engine="ray",
        num_actors=2,
        cpus_per_actor=0.5,
    )
    assert (tmp_path / "ray.parquet").is_dir() and (remote.written, remote.errors) == (local.written, local.errors)
    want, got = read_output(local.output), sorted(read_output(remote.output), key=lambda r: r["id"])
    assert [r["id"] for r in got] == [r["id"] for r in want] == [i for i in range(24) if i != 5]
    assert [r["lang"] for r in got] == [r["lang"] for r in want]
    np.testing.assert_allclose(
        np.array([r["embedding"] for r in got]), np.array([r["embedding"] for r in want]), atol=1e-5
    )
    assert read_errors(remote.errors_file) == read_errors(local.errors_file)


def test_ray_refuses_a_pool_that_leaves_no_cpu_to_read(models, tmp_path, local_ray):
    source = write_input(tmp_path / "in.jsonl", [{"id": "a", "text": "hello"}])
    with pytest.raises(ValueError, match="leave no CPU to read"):
        predict("text-classification", models["text-classification"], source, tmp_path / "o.parquet", engine="ray")
