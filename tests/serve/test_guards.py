"""What a web page in a user's browser cannot do to a local server: reach it under another name (DNS
rebinding: the Host header is checked) or post a body not declared as JSON (a "simple" cross-site POST)."""

from __future__ import annotations

import pytest
from serve_helpers import JSON, make_client

from roberta.serve.guards import host_allowed, host_name, is_json
from roberta.serve.settings import ModelSpec, ServeSettings


@pytest.fixture(scope="module")
def client(served):
    state, client = make_client(served, ["base"])  # bound to 127.0.0.1, the default
    with client:
        assert state.ready.wait(60)
        yield client


@pytest.mark.parametrize(
    "host, status",
    [
        ("127.0.0.1:8080", 200),
        ("localhost:8080", 200),
        ("LOCALHOST.", 200),
        ("[::1]:8080", 200),
        ("attacker.example:8080", 400),  # a rebound name: the browser sends the page's own host
        ("127.0.0.1.attacker.example", 400),
        ("", 400),
    ],
)
def test_the_host_header_must_name_this_server(client, host, status):
    response = client.post("/embed", json={"inputs": "x"}, headers={"Host": host})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error_type"] == "invalid_host" and "--allowed-hosts" in response.json()["error"]
    health = client.get("/health/live", headers={"Host": host})  # every route, health included
    assert health.status_code == status


@pytest.mark.parametrize(
    "content_type, status",
    [
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("Application/JSON", 200),
        ("application/vnd.api+json", 200),
        ("text/plain", 415),  # what a cross-site fetch may send without a preflight
        ("application/x-www-form-urlencoded", 415),  # an HTML form, or curl -d
        ("multipart/form-data; boundary=x", 415),
        (None, 415),
    ],
)
def test_post_bodies_must_be_declared_as_json(client, content_type, status):
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.post("/embed", content=b'{"inputs": "x"}', headers=headers)
    assert response.status_code == status, response.text
    if status == 415:
        assert response.json()["error_type"] == "unsupported_media_type"


def test_allowed_hosts_replace_the_default(served):
    state, client = make_client(served, ["base"], allowed_hosts=("models.example", "*.internal.example"))
    with client:
        assert state.ready.wait(60)
        for host, status in [
            ("models.example", 200),
            ("a.internal.example:80", 200),
            ("internal.example", 400),
            ("evilinternal.example", 400),
            ("127.0.0.1:8080", 400),  # the list replaces the default
        ]:
            assert client.post("/embed", json={"inputs": "x"}, headers={"Host": host}).status_code == status, host


def test_the_default_hosts_follow_the_bound_address():
    models = (ModelSpec("m", "m"),)
    assert ServeSettings(models=models).hosts == ("127.0.0.1", "localhost", "::1")
    assert ServeSettings(models=models, host="10.1.2.3").hosts == ("10.1.2.3", "localhost", "127.0.0.1", "::1")
    assert ServeSettings(models=models, host="0.0.0.0").hosts == ("*",)  # every interface: any name
    assert ServeSettings(models=models, host="::", allowed_hosts=("A.example.",)).hosts == ("a.example",)
    with pytest.raises(ValueError, match="--allowed-hosts"):
        ServeSettings(models=models, allowed_hosts=("bad host/",))


def test_host_and_content_type_parsing():
    assert [host_name(h) for h in ("a.example:80", "[::1]:8080", "[::1]", "::1", "A.Example.")] == [
        "a.example",
        "::1",
        "::1",
        "::1",
        "a.example",
    ]
    assert host_allowed(None, ("*",)) and not host_allowed(None, ("localhost",))
    assert is_json("application/problem+json") and not is_json("text/json+plain") and not is_json("")


def test_the_real_clients_headers_pass(client):
    """What openai and huggingface_hub send (their own tests run against a real process)."""
    headers = {**JSON, "Host": "127.0.0.1:8080", "User-Agent": "OpenAI/Python"}
    assert client.post("/v1/embeddings", json={"input": "x"}, headers=headers).status_code == 200
