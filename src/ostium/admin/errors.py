"""The admin API's error bodies, as Keycloak writes them."""

from __future__ import annotations

__all__ = [
    "AdminError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PasswordPolicyRefused",
    "Unauthorized",
]


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


class PasswordPolicyRefused(AdminError):
    """A password the realm's policy refuses, on user creation and reset-password:
    Keycloak answers 400 with an ErrorResponseException, `error` the message key
    (`invalidPasswordMinLengthMessage`) and `error_description` the sentence."""

    status_code = 400

    def __init__(self, key: str, description: str) -> None:
        super().__init__(description)
        self.error = key

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.message}
