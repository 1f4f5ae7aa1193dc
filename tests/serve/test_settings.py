"""`roberta serve` flags: model names and tasks, limits checked once, the API key's sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from roberta.serve.settings import (
    API_KEY_ENV,
    RESERVED_FDS,
    ModelSpec,
    ServeSettings,
    api_key_from,
    parse_models,
    split_hosts,
)


def test_models_are_named_by_flag_or_directory_and_tasks_apply_by_name(tmp_path):
    (tmp_path / "clf").mkdir()
    specs = parse_models(
        [str(tmp_path / "clf"), f"emb={tmp_path / 'base'}"], ["emb=feature-extraction", "text-classification"], Path()
    )
    assert specs == (
        ModelSpec("clf", tmp_path / "clf", "text-classification"),
        ModelSpec("emb", tmp_path / "base", "feature-extraction"),
    )
    assert parse_models([], [], tmp_path / "default-model") == (ModelSpec("default-model", tmp_path / "default-model"),)
    odd = tmp_path / "a=b"
    odd.mkdir()
    assert parse_models([str(odd)], [], Path())[0].name == "a=b"  # a directory whose name holds "="


@pytest.mark.parametrize(
    "models, tasks, message",
    [
        (["x=/a", "x=/b"], [], "two models are named 'x'"),
        (["/a/m", "/b/m"], [], "two models are named 'm'"),
        (["x=/a"], ["y=fill-mask"], "names no model"),
        (["bad name=/a"], [], "NAME=DIR"),
        (["x="], [], "NAME=DIR"),
    ],
)
def test_bad_model_flags_are_named(models, tasks, message):
    with pytest.raises(ValueError, match=message):
        parse_models(models, tasks, Path())


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"max_batch_tokens": 0}, "--max-batch-tokens must be an int >= 1"),
        ({"max_input_tokens": 5000}, "larger than --max-batch-tokens"),
        ({"max_queue_tokens": 100}, "must be at least --max-batch-tokens"),
        ({"request_timeout": 0}, "--request-timeout must be > 0"),
        ({"pooling": "max"}, "--pooling must be one of"),
        ({"port": 70000}, "--port"),
        ({"max_client_batch": 0}, "--max-client-batch"),
        ({"header_timeout": 0}, "--header-timeout must be > 0"),
        ({"max_connections": 0}, "--max-connections must be an int >= 1"),
    ],
)
def test_limits_are_checked_once(overrides, message):
    with pytest.raises(ValueError, match=message):
        ServeSettings(models=(ModelSpec("m", Path("m")),), **overrides)


def test_defaults():
    s = ServeSettings(models=(ModelSpec("m", Path("m")),))
    assert (s.host, s.port, s.default_model, s.batch_tokens, s.queue_tokens) == ("127.0.0.1", 8080, "m", 1024, 16384)
    assert ServeSettings(models=s.models, device="cuda:1").batch_tokens == 16384


def test_the_api_key_comes_from_the_flag_or_the_environment(monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    assert api_key_from(None) is None
    monkeypatch.setenv(API_KEY_ENV, "from-env")
    assert api_key_from(None) == "from-env"
    assert api_key_from("from-flag") == "from-flag"
    with pytest.raises(ValueError, match="empty"):
        api_key_from(" ")


def test_connection_flags(monkeypatch):
    import resource

    s = ServeSettings(models=(ModelSpec("m", Path("m")),))
    assert s.header_timeout == 10.0
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 4096))
    assert s.connection_limit == 1024 - RESERVED_FDS  # what the open-file limit leaves
    assert ServeSettings(models=s.models, max_connections=5).connection_limit == 5
    assert split_hosts(None) is None and split_hosts(" a.example , *.b.example,") == ("a.example", "*.b.example")
    with pytest.raises(ValueError, match="--allowed-hosts is empty"):
        split_hosts(" , ")
