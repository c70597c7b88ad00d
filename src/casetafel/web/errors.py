"""Every failure becomes a clear 4xx (or a plain 500) in Dutch: a page or JSON, never a trace."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.datastructures import State
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template

from casetafel.errors import ServiceError, ValidationFailed
from casetafel.web.auth import LoginRequired
from casetafel.web.pages import csrf_token

log = logging.getLogger("casetafel")

TITLES = {
    400: "Ongeldig verzoek",
    401: "Niet ingelogd",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Niet toegestaan",
    409: "Conflict",
    413: "Te groot",
    422: "Ongeldige invoer",
    500: "Er ging iets mis",
}

Req = Request[Any, Any, State]


def is_api(request: Req) -> bool:
    return request.url.path.startswith("/api/")


def error_response(
    request: Req, status: int, message: str, errors: dict[str, str] | None = None
) -> Response[Any]:
    if is_api(request):
        body: dict[str, Any] = {"status": status, "message": message}
        if errors:
            body["errors"] = errors
        return Response(body, status_code=status, media_type=MediaType.JSON)
    return Template(
        template_name="errors/error.html",
        context={
            "actor": None,
            "csrf_token": csrf_token(request),
            "nav_active": "",
            "flash": None,
            "request_path": request.url.path,
            "status_code": status,
            "title": TITLES.get(status, "Fout"),
            "message": message,
        },
        status_code=status,
    )


def on_service_error(request: Req, exc: ServiceError) -> Response[Any]:
    errors = exc.errors if isinstance(exc, ValidationFailed) else None
    message = "Controleer de ingevulde velden." if errors else exc.message
    return error_response(request, exc.status_code, message, errors)


def on_login_required(request: Req, exc: LoginRequired) -> Response[Any]:
    if is_api(request):
        response = error_response(
            request,
            401,
            "Niet ingelogd: stuur een geldig API-token als 'Authorization: Bearer ...'.",
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return Redirect(f"/inloggen?volgende={quote(target)}")


def on_validation(request: Req, exc: ValidationException) -> Response[Any]:
    errors: dict[str, str] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field, text = _field_error(str(item.get("key") or "body"), str(item.get("message", "")))
            errors.setdefault(field, text)
    message = "Het verzoek bevat ongeldige gegevens."
    if errors:
        message += " Controleer: " + ", ".join(errors) + "."
    return error_response(request, 400, message, errors or None)


_NAMED_FIELD = re.compile(r"Object (missing required|contains unknown) field `([^`]+)`")
_WRONG_TYPE = re.compile(r"Expected `([^`]+)`, got `([^`]+)`")
_TYPE_NAMES = {
    "str": "tekst",
    "int": "een geheel getal",
    "float": "een getal",
    "bool": "true of false",
    "array": "een lijst",
    "object": "een object",
    "null": "null",
    "date": "een datum (JJJJ-MM-DD)",
}


def _field_error(key: str, message: str) -> tuple[str, str]:
    """The field a decoding error is about (not the body, not a list index) and a Dutch
    message for it."""
    field = re.sub(r"\[\d+\]$", "", key)
    named = _NAMED_FIELD.search(message)
    if named:
        missing = named.group(1) == "missing required"
        return named.group(2), "Dit veld is verplicht." if missing else "Dit veld bestaat niet."
    wrong = _WRONG_TYPE.search(message)
    if wrong:
        expected = " of ".join(
            _TYPE_NAMES.get(part.strip(), part.strip()) for part in wrong.group(1).split("|")
        )
        got = _TYPE_NAMES.get(wrong.group(2), wrong.group(2))
        return field, f"Verkeerd type: verwacht {expected}, niet {got}."
    if "Invalid date" in message or "Invalid RFC3339" in message:
        return field, "Ongeldige datum: gebruik JJJJ-MM-DD."
    return field, message or "Ongeldige waarde."


def on_http_exception(request: Req, exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotFoundException):
        message = "Deze pagina bestaat niet."
    elif isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        message = (
            "Het formulier is verlopen of ongeldig. "
            "Ga terug, laad de pagina opnieuw en probeer het nog eens."
        )
    elif status == 405:
        message = "Deze actie is hier niet toegestaan."
    elif status < 500:
        message = exc.detail or TITLES.get(status, "Ongeldig verzoek")
    else:
        message = "Er ging iets mis aan onze kant. Probeer het later opnieuw."
    return error_response(request, status, message)


def on_unexpected(request: Req, exc: Exception) -> Response[Any]:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request, 500, "Er ging iets mis aan onze kant. Er is niets opgeslagen; probeer het opnieuw."
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ServiceError: on_service_error,
    LoginRequired: on_login_required,
    ValidationException: on_validation,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
