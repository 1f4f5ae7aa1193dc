"""Request parsing without HTTP or a model: shapes accepted, and the error kind of each bad body."""

from __future__ import annotations

import pytest

from roberta.serve import request_types as t
from roberta.serve.errors import ServeError
from roberta.serve.schema import parse_json, parse_request


def predict(body, max_batch=8):
    return parse_request(t.PredictRequest, body, "/predict", max_batch)


def parser(request_type, route, max_batch=4):
    return lambda body: parse_request(request_type, body, route, max_batch)


def error_of(fn, *args) -> ServeError:
    with pytest.raises(ServeError) as info:
        fn(*args)
    return info.value


@pytest.mark.parametrize(
    "body, kind",
    [(b"{not json", "invalid_json"), (b"", "invalid_json"), (b"[1, 2]", "invalid_json"), (b'"text"', "invalid_json")],
)
def test_a_body_that_is_not_a_json_object_is_400(body, kind):
    e = error_of(parse_json, body)
    assert (e.status, e.error_type) == (400, kind)


def test_predict_takes_teis_shapes():
    single = predict({"inputs": "a"})
    assert single.inputs == ([("a", None)], True)
    pair = predict({"inputs": ["a", "b"]})
    assert pair.inputs == ([("a", "b")], True)
    batch = predict({"inputs": [["a"], ["b", "c"]], "raw_scores": True})
    assert (batch.inputs, batch.raw_scores) == (([("a", None), ("b", "c")], False), True)
    # TEI's router (router/src/http/types.rs, PredictInput): an array that starts with a string is one input,
    # a text or a pair; three strings are an error there too, and a batch of three is an array of arrays
    one = predict({"inputs": ["a"]})
    assert one.inputs == ([("a", None)], True)
    three = predict({"inputs": [["a"], ["b"], ["c"]]})
    assert three.inputs == ([("a", None), ("b", None), ("c", None)], False)
    assert '[["a"], ["b"], ["c"]]' in error_of(predict, {"inputs": ["a", "b", "c"]}).message


@pytest.mark.parametrize(
    "parse, body, status, kind",
    [
        (parser(t.EmbedRequest, "/embed"), {"inputs": 3}, 422, "invalid_request"),
        (parser(t.EmbedRequest, "/embed"), {"inputs": ["a", 1]}, 422, "invalid_request"),
        (parser(t.EmbedRequest, "/embed"), {"inputs": "a", "normalize": "yes"}, 422, "invalid_request"),
        (parser(t.EmbedRequest, "/embed"), {"inputs": []}, 422, "invalid_request"),
        (parser(t.EmbedRequest, "/embed"), {"input": "a"}, 422, "invalid_request"),
        (parser(t.EmbedAllRequest, "/embed_all"), {"inputs": "a", "normalize": True}, 422, "invalid_request"),
        (parser(t.EmbedRequest, "/embed"), {"inputs": ["a"] * 5}, 413, "validation"),
        (
            parser(t.EmbedRequest, "/embed"),
            {"inputs": "a", "truncation_direction": "up"},
            422,
            "invalid_request",
        ),
        (parser(t.PredictRequest, "/predict"), {"inputs": ["a", "b", "c"]}, 422, "invalid_request"),
        (parser(t.PredictRequest, "/predict"), {"inputs": [["a", "b", "c"]]}, 422, "invalid_request"),
        (parser(t.RerankRequest, "/rerank"), {"query": "q"}, 422, "invalid_request"),
        (parser(t.RerankRequest, "/rerank"), {"query": "q", "texts": ["a", 2]}, 422, "invalid_request"),
        (parser(t.DecodeRequest, "/decode"), {"ids": [1, -2]}, 422, "invalid_request"),
        (parser(t.DecodeRequest, "/decode"), {"ids": [1, True]}, 422, "invalid_request"),
        (
            parser(t.OpenAIEmbeddingRequest, "/v1/embeddings"),
            {"input": "a", "encoding_format": "hex"},
            422,
            "invalid_request",
        ),
        (parser(t.OpenAIEmbeddingRequest, "/v1/embeddings"), {"input": [[1], []]}, 422, "invalid_request"),
        (parser(t.OpenAIEmbeddingRequest, "/v1/embeddings"), {"input": "a", "dimensions": 1.5}, 422, "invalid_request"),
        (parser(t.PipelineRequest, "/"), {"parameters": {}}, 422, "invalid_request"),
        (parser(t.PipelineRequest, "/"), {"inputs": "a", "parameters": [1]}, 422, "invalid_request"),
        (parser(t.PipelineRequest, "/"), {"inputs": "a", "model": 7}, 422, "invalid_request"),
    ],
)
def test_wrong_fields_are_named_with_the_right_status(parse, body, status, kind):
    e = error_of(parse, body)
    assert (e.status, e.error_type) == (status, kind)
    assert e.body() == {"error": e.message, "error_type": kind} and e.message


def test_openai_input_forms():
    parse = parser(t.OpenAIEmbeddingRequest, "/v1/embeddings")
    assert parse({"input": "a"}).input == ["a"]
    assert parse({"input": [5, 6]}).input == [[5, 6]]
    mixed = parse({"input": ["a", [7]], "model": "m", "user": "u"})
    assert (mixed.input, mixed.model, mixed.encoding_format) == (["a", [7]], "m", "float")


EMBED, RERANK, DECODE = (
    parser(t.EmbedRequest, "/embed"),
    parser(t.RerankRequest, "/rerank"),
    parser(t.DecodeRequest, "/decode"),
)
OPENAI = parser(t.OpenAIEmbeddingRequest, "/v1/embeddings")


@pytest.mark.parametrize(
    "parse, body, message",
    [
        (EMBED, {"inputs": "a", "normalize": "yes"}, "field 'normalize' must be a boolean, got string"),
        (EMBED, {"inputs": ["a", 1]}, "field 'inputs' must be a string or an array of strings; item 1 is a number"),
        (EMBED, {"input": "a"}, "POST /embed got unknown field(s) ['input']; it takes ["),
        (EMBED, {"inputs": "a", "truncation_direction": "up"}, "field 'truncation_direction' must be one of"),
        (RERANK, {"query": "q"}, "POST /rerank needs the field 'texts'"),
        (RERANK, {"query": "q", "texts": "a"}, "field 'texts' must be an array of strings, got string"),
        (OPENAI, {"input": "a", "dimensions": 0}, "field 'dimensions' must be at least 1, got 0"),
        (OPENAI, {"input": [5, -1]}, "field 'input' must hold arrays of token ids"),
        (DECODE, {"ids": "1 2"}, "field 'ids' must be an array of token ids, or an array of such arrays, got string"),
    ],
)
def test_messages_name_the_field_and_what_is_wrong(parse, body, message):
    assert message in error_of(parse, body).message


def test_null_is_a_field_not_sent_and_enums_take_teis_capitalized_spelling():
    req = parser(t.EmbedRequest, "/embed")({"inputs": "a", "normalize": None, "truncation_direction": "Left"})
    assert (req.inputs, req.normalize, req.truncation_direction, req.model) == (["a"], True, "left", None)
    assert parser(t.PipelineRequest, "/")({"inputs": "a", "parameters": None}).parameters == {}
    e = error_of(parser(t.PipelineRequest, "/"), {"inputs": None})
    assert (e.error_type, e.message) == ("invalid_request", "POST / needs the field 'inputs'")
