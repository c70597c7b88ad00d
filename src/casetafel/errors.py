"""Errors a service raises for the web and API layers to turn into 4xx answers.

Messages are Dutch: they reach the user as they are.
"""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Also raised for a case the actor may not see: it must look as if it does not exist."""

    status_code = 404


class Forbidden(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    status_code = 409


class ValidationFailed(ServiceError):
    """One or more fields are wrong; `errors` maps each field name to a Dutch message."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {text}" for field, text in errors.items()))
        self.errors = errors
