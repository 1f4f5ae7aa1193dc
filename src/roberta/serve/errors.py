"""The server's one error shape, `{"error": message, "error_type": kind}`, and the status of each kind."""

from __future__ import annotations

# error_type -> HTTP status. TEI's kinds keep TEI's statuses (validation of lengths 413, overloaded 429, ...).
ERROR_STATUS: dict[str, int] = {
    "invalid_json": 400,  # the body is not JSON, or not a JSON object
    "invalid_host": 400,  # the Host header names no host this server answers (--allowed-hosts)
    "unsupported": 400,  # the model does not serve this route (e.g. /predict on a fill-mask model)
    "unauthorized": 401,  # missing or wrong API key
    "not_found": 404,  # unknown route or model
    "method_not_allowed": 405,
    "request_timeout": 408,  # the body did not arrive within --request-timeout
    "payload_too_large": 413,  # the body is over --payload-limit
    "validation": 413,  # too many tokens (without truncation) or inputs in one request (TEI's status)
    "unsupported_media_type": 415,  # a POST body not declared as JSON (Content-Type)
    "invalid_request": 422,  # wrong field types or values
    "overloaded": 429,  # admission refused: the queue holds too many tokens, or too many requests are open
    "client_closed": 499,  # the client left before its answer (never delivered; counted in the metrics)
    "backend": 500,  # the model raised on this input (other inputs of its batch are still answered)
    "internal": 500,  # a bug in the server: the message says what raised
    "unhealthy": 503,  # not ready yet, or draining before shutdown
    "timeout": 504,  # the request's deadline passed before it was computed
}


class ServeError(Exception):
    """An error answered to the client as `{"error", "error_type"}` with the status of `error_type`."""

    def __init__(self, error_type: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        assert error_type in ERROR_STATUS, error_type
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = ERROR_STATUS[error_type]
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        return {"error": self.message, "error_type": self.error_type}
