"""Request parsing without HTTP or a model: shapes accepted, and the error kind of each bad body."""

from __future__ import annotations

import pytest

from roberta.serve import validation as v
from roberta.serve.errors import ServeError


def error_of(fn, *args) -> ServeError:
    with pytest.raises(ServeError) as info:
        fn(*args)
    return info.value


@pytest.mark.parametrize(
    "body, kind",
    [(b"{not json", "invalid_json"), (b"", "invalid_json"), (b"[1, 2]", "invalid_json"), (b'"text"', "invalid_json")],
)
def test_a_body_that_is_not_a_json_object_is_400(body, kind):
    e = error_of(v.parse_json, body)
    assert (e.status, e.error_type) == (400, kind)


def test_predict_takes_teis_shapes():
    single = v.predict_request({"inputs": "a"}, 8)
    assert (single.inputs, single.single) == ([("a", None)], True)
    pair = v.predict_request({"inputs": ["a", "b"]}, 8)
    assert (pair.inputs, pair.single) == ([("a", "b")], True)
    batch = v.predict_request({"inputs": [["a"], ["b", "c"]], "raw_scores": True}, 8)
    assert (batch.inputs, batch.single, batch.raw_scores) == ([("a", None), ("b", "c")], False, True)
    # TEI's router (router/src/http/types.rs, PredictInput): an array that starts with a string is one input,
    # a text or a pair; three strings are an error there too, and a batch of three is an array of arrays
    one = v.predict_request({"inputs": ["a"]}, 8)
    assert (one.inputs, one.single) == ([("a", None)], True)
    three = v.predict_request({"inputs": [["a"], ["b"], ["c"]]}, 8)
    assert (three.inputs, three.single) == ([("a", None), ("b", None), ("c", None)], False)
    assert '[["a"], ["b"], ["c"]]' in error_of(v.predict_request, {"inputs": ["a", "b", "c"]}, 8).message


@pytest.mark.parametrize(
    "parse, body, status, kind",
    [
        (lambda b: v.embed_request(b, "/embed", 4), {"inputs": 3}, 422, "invalid_request"),
        (lambda b: v.embed_request(b, "/embed", 4), {"inputs": ["a", 1]}, 422, "invalid_request"),
        (lambda b: v.embed_request(b, "/embed", 4), {"inputs": "a", "normalize": "yes"}, 422, "invalid_request"),
        (lambda b: v.embed_request(b, "/embed", 4), {"inputs": []}, 422, "invalid_request"),
        (lambda b: v.embed_request(b, "/embed", 4), {"input": "a"}, 422, "invalid_request"),
        (lambda b: v.embed_request(b, "/embed_all", 4), {"inputs": "a", "normalize": True}, 422, "invalid_request"),
        (lambda b: v.embed_request(b, "/embed", 4), {"inputs": ["a"] * 5}, 413, "validation"),
        (
            lambda b: v.embed_request(b, "/embed", 4),
            {"inputs": "a", "truncation_direction": "up"},
            422,
            "invalid_request",
        ),
        (lambda b: v.predict_request(b, 4), {"inputs": ["a", "b", "c"]}, 422, "invalid_request"),
        (lambda b: v.predict_request(b, 4), {"inputs": [["a", "b", "c"]]}, 422, "invalid_request"),
        (lambda b: v.rerank_request(b, 4), {"query": "q"}, 422, "invalid_request"),
        (lambda b: v.rerank_request(b, 4), {"query": "q", "texts": ["a", 2]}, 422, "invalid_request"),
        (lambda b: v.decode_request(b, 4), {"ids": [1, -2]}, 422, "invalid_request"),
        (lambda b: v.decode_request(b, 4), {"ids": [1, True]}, 422, "invalid_request"),
        (lambda b: v.openai_embedding_request(b, 4), {"input": "a", "encoding_format": "hex"}, 422, "invalid_request"),
        (lambda b: v.openai_embedding_request(b, 4), {"input": [[1], []]}, 422, "invalid_request"),
        (lambda b: v.openai_embedding_request(b, 4), {"input": "a", "dimensions": 1.5}, 422, "invalid_request"),
        (lambda b: v.pipeline_request(b, 4), {"parameters": {}}, 422, "invalid_request"),
        (lambda b: v.pipeline_request(b, 4), {"inputs": "a", "parameters": [1]}, 422, "invalid_request"),
        (lambda b: v.pipeline_request(b, 4), {"inputs": "a", "model": 7}, 422, "invalid_request"),
    ],
)
def test_wrong_fields_are_named_with_the_right_status(parse, body, status, kind):
    e = error_of(parse, body)
    assert (e.status, e.error_type) == (status, kind)
    assert e.body() == {"error": e.message, "error_type": kind} and e.message


def test_openai_input_forms():
    assert v.openai_embedding_request({"input": "a"}, 4).inputs == ["a"]
    assert v.openai_embedding_request({"input": [5, 6]}, 4).inputs == [[5, 6]]
    mixed = v.openai_embedding_request({"input": ["a", [7]], "model": "m", "user": "u"}, 4)
    assert (mixed.inputs, mixed.model, mixed.encoding_format) == (["a", [7]], "m", "float")
