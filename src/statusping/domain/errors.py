"""Errors that carry their HTTP meaning, so one handler can render them for the API and for pages."""

from __future__ import annotations


class StatusPingError(Exception):
    status_code = 400
    # Set when what the request wrote before failing must still be saved: a counted failed log-in
    # or a refused sign-up has to count although the request answers 4xx.
    keep_changes = False

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(StatusPingError):
    status_code = 422

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class NotAuthenticated(StatusPingError):
    status_code = 401


class Forbidden(StatusPingError):
    status_code = 403


class NotFound(StatusPingError):
    status_code = 404


class Conflict(StatusPingError):
    status_code = 409


class RateLimited(StatusPingError):
    status_code = 429

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
