"""The OpenAPI document served at /openapi.json against the route table and the parser: every route is
described, with its request type's schema where it takes a body, and each schema (checked with the
`jsonschema` package) accepts exactly the bodies the parser accepts, field by field."""

from __future__ import annotations

import jsonschema
import pytest
from serve_helpers import make_client

from roberta.serve.errors import ServeError
from roberta.serve.routes import ROUTES
from roberta.serve.schema import parse_request

MAX_BATCH = 3
BODY_ROUTES = [route for route in ROUTES if route.request_type is not None]
# values of every JSON type and of the edges the shapes draw (empty, too many, negative ids, spellings, ...)
CANDIDATES = [
    None, True, False, 0, 1, -1, 7, 1.5, "", "x", "left", "Left", "LEFT", "float", "base64",
    [], ["a"], ["a", "b"], ["a", "b", "c"], ["a", 1], ["a", [1]], [1, 2], [0], [-1], [True], [1, [2]],
    [[]], [[1], [2]], [[1], []], [[1], [-2]], [["a"]], [["a", "b"]], [["a", "b", "c"]], [["a"], "b"],
    {}, {"top_k": 3}, {"question": "q", "context": "c"},
    ["a"] * (MAX_BATCH + 1), [["a"]] * (MAX_BATCH + 1), [[1]] * (MAX_BATCH + 1),
]  # fmt: skip


@pytest.fixture(scope="module")
def document(served):
    state, client = make_client(served, ["base"], api_key="k", max_client_batch=MAX_BATCH)
    try:  # no `with`: the document needs no warm-up
        response = client.get("/openapi.json")
        assert response.status_code == 200, response.text
        yield response.json()
    finally:
        state.stop()


def body_schema(document, route) -> dict:
    return document["paths"][route.path][route.method.lower()]["requestBody"]["content"]["application/json"]["schema"]


def parses(route, body) -> bool:
    """Whether the parser takes `body` (it refuses only with a `ServeError`)."""
    try:
        parse_request(route.request_type, body, route.path, MAX_BATCH)
    except ServeError:
        return False
    return True


def examples(schema: dict) -> list:
    """Values of `schema`, at least one per alternative (oneOf / anyOf / type list / enum)."""
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        return [value for branch in branches for value in examples(branch)]
    if "enum" in schema:
        return list(schema["enum"])
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    out: list = []
    for kind in types:
        if kind == "array":
            items = examples(schema["items"]) if "items" in schema else ["text"]
            out += [[item] * max(1, schema.get("minItems", 0)) for item in items]
            out += [] if schema.get("minItems") else [[]]
        else:
            # an object: its required properties' first examples (none required: {})
            required = {k: examples(schema["properties"][k])[0] for k in schema.get("required", [])}
            simple = {
                "string": ["text"],
                "boolean": [True, False],
                "number": [0.5],
                "null": [None],
                "object": [required],
            }
            out += [schema.get("minimum", 0) + 2] if kind == "integer" else simple[kind]
    return out


def minimal_body(schema: dict) -> dict:
    return {name: examples(schema["properties"][name])[0] for name in schema["required"]}


def test_every_route_is_described_as_its_row_says(document):
    for route in ROUTES:
        op = document["paths"][route.path][route.method.lower()]
        assert op["summary"] == route.summary
        assert ("requestBody" in op) == (route.request_type is not None), route.path
        assert ("security" in op) == route.needs_key, route.path  # an API key is set
    assert {route.path for route in ROUTES if route.method == "POST"} == {route.path for route in BODY_ROUTES}
    assert document["openapi"].startswith("3.1")


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda route: route.path)
def test_generated_examples_are_valid_and_parse(document, route):
    schema = body_schema(document, route)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    base = minimal_body(schema)
    bodies = [base] + [{**base, name: v} for name, prop in schema["properties"].items() for v in examples(prop)]
    for body in bodies:
        assert validator.is_valid(body), body
        assert parses(route, body), body


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda route: route.path)
def test_schema_and_parser_agree_on_each_fields_values(document, route):
    schema = body_schema(document, route)
    validator = jsonschema.Draft202012Validator(schema)
    base = minimal_body(schema)
    for name, prop in schema["properties"].items():
        verdicts = set()
        for value in CANDIDATES + examples(prop):
            body = {**base, name: value}
            valid = validator.is_valid(body)
            assert valid == parses(route, body), f"{route.path} {name}={value!r}: schema says {valid}"
            verdicts.add(valid)
        assert verdicts == {True, False}, f"{route.path} {name}: every candidate got {verdicts}"  # a real check
    for body in [{**base, "colour": "red"}] + [{k: v for k, v in base.items() if k != n} for n in schema["required"]]:
        assert not validator.is_valid(body) and not parses(route, body), body
