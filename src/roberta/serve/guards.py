"""What keeps a web page in a user's browser from using a server on their machine.

A page cannot read answers from another origin, but it can send requests: a "simple" cross-site POST (a form,
or `fetch` with `Content-Type: text/plain`) needs no preflight, and DNS rebinding points a name the page owns
at 127.0.0.1, so the browser then sends the page's requests, with the page's Host header, to this server.
Two checks stop both: the Host header must name a host this server answers (`ServeSettings.hosts`), and a
POST body must be declared as JSON, which a browser sends cross-site only after a CORS preflight that this
server never grants.
"""

from __future__ import annotations

from .errors import ServeError


def host_name(header: str) -> str:
    """The host of a Host header, lower case, without its port or a trailing dot: "[::1]:8080" -> "::1"."""
    value = header.strip().lower()
    if value.startswith("["):  # an IPv6 literal, "[::1]" or "[::1]:8080"
        end = value.find("]")
        value = value[1:end] if end > 0 else value
    elif value.count(":") == 1:  # "name:port" (a bare IPv6 address has several colons and no port)
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def host_allowed(header: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a request with this Host header (None: none sent) is answered, given `ServeSettings.hosts`."""
    if "*" in allowed:
        return True
    if not header:
        return False
    name = host_name(header)
    return any(name == entry or (entry.startswith("*.") and name.endswith(entry[1:])) for entry in allowed)


def check_host(header: str | None, allowed: tuple[str, ...]) -> None:
    """Raise 400 "invalid_host" unless the Host header names an allowed host."""
    if not host_allowed(header, allowed):
        shown = "no Host header" if not header else f"the Host header {header[:100]!r}"
        raise ServeError(
            "invalid_host", f"this server does not answer for {shown}; it answers {list(allowed)} (--allowed-hosts)"
        )


def is_json(content_type: str | None) -> bool:
    """`application/json`, or a `+json` type such as `application/problem+json`, with any parameters."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def check_json_body(content_type: str | None) -> None:
    """Raise 415 "unsupported_media_type" unless a POST body is declared as JSON."""
    if not is_json(content_type):
        got = f"Content-Type {content_type[:100]!r}" if content_type else "no Content-Type"
        raise ServeError(
            "unsupported_media_type", f"POST bodies must be JSON (Content-Type: application/json); got {got}"
        )
