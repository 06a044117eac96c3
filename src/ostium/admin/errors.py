"""The admin API's error bodies, as Keycloak writes them."""

from __future__ import annotations

__all__ = ["AdminError", "BadRequest", "Conflict", "Forbidden", "NotFound", "Unauthorized"]


class AdminError(Exception):
    status_code = 400
    key = "errorMessage"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, str]:
        return {self.key: self.message}


class BadRequest(AdminError):
    status_code = 400


class Conflict(AdminError):
    status_code = 409


class NotFound(AdminError):
    status_code = 404
    key = "error"


class Unauthorized(AdminError):
    status_code = 401
    key = "error"


class Forbidden(AdminError):
    status_code = 403
    key = "error"
