"""The error answers in the OpenAPI document, derived from what each route depends on.

A route that needs a session can answer 401 and 403 (role, plan limit, CSRF); one with a path
parameter can answer 404; one with parameters or a body can answer 422. Deriving this from the
dependency tree means a new route is documented the moment it is written; the few answers that
come from inside a service (409, 429) are listed in ``SERVICE_ERRORS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from statusping.web.deps import get_current_account, get_current_user, require_same_origin


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error answer: a sentence, or for invalid input one issue per field."""

    detail: str | list[ValidationIssue]
    # Only from POST /api/v1/auth/login: the password was right, send it again with the code.
    two_factor_required: bool | None = None


DESCRIPTIONS = {
    400: "The body cannot be read: not UTF-8, or not the declared content type",
    401: "Not signed in, or the API key is invalid or revoked",
    403: "Not allowed: viewer role, read-only API key, plan limit, missing CSRF token or foreign Origin",
    404: "Not found, or not yours",
    409: "Conflicts with existing data",
    422: "Invalid input; `detail` names each field",
    429: "Too many attempts; retry after `Retry-After` seconds",
}

# Answers a service gives from inside the use-case, keyed by (method, path). Rate limits on signup,
# password change, check-now and channel tests are required by issue 8 and documented with them.
SERVICE_ERRORS: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/v1/auth/signup"): {409, 429},
    ("POST", "/api/v1/auth/login"): {401, 429},
    ("POST", "/api/v1/auth/password"): {429},
    ("POST", "/api/v1/auth/password-reset"): {429},
    ("POST", "/api/v1/auth/password-reset/confirm"): {429},
    ("POST", "/api/v1/monitors/{monitor_id}/check"): {429},
    ("POST", "/api/v1/channels/{channel_id}/test"): {429},
    ("POST", "/api/v1/api-keys"): {409},
    # The team (services/team.py): the owner cannot leave or be demoted, a member is invited once,
    # and another user's organization is not found.
    ("POST", "/api/v1/invitations"): {409, 429},
    ("POST", "/api/v1/invitations/{invitation_id}/resend"): {429},
    ("PATCH", "/api/v1/members/{member_id}"): {409},
    ("DELETE", "/api/v1/members/{member_id}"): {409},
    ("POST", "/api/v1/members/{member_id}/transfer-ownership"): {409},
    ("POST", "/api/v1/me/organization"): {404},
    ("PUT", "/api/v1/organization/active-monitors"): {404},
    # services/status_page_settings.py: a slug or custom domain another status page holds.
    ("PATCH", "/api/v1/status-pages/{page_id}"): {409},
}


@dataclass
class _Needs:
    calls: set[Callable[..., Any]] = field(default_factory=set)
    path: bool = False
    query: bool = False
    body: bool = False


def _walk(dependant: Dependant, needs: _Needs) -> _Needs:
    """Every callable in the dependency tree, and which kinds of input any of them takes."""
    if dependant.call:
        needs.calls.add(dependant.call)
    needs.path = needs.path or bool(dependant.path_params)
    needs.query = needs.query or bool(dependant.query_params)
    needs.body = needs.body or bool(dependant.body_params)
    for sub in dependant.dependencies:
        _walk(sub, needs)
    return needs


def error_codes(path: str, route: APIRoute) -> set[int]:
    needs = _walk(route.dependant, _Needs())
    codes: set[int] = set()
    if get_current_user in needs.calls or get_current_account in needs.calls:
        codes |= {401, 403}
    if require_same_origin in needs.calls:
        codes.add(403)
    if needs.path:
        codes.add(404)
    if needs.body:
        codes.add(400)
    if needs.path or needs.query or needs.body:
        codes.add(422)
    for method in route.methods or ():
        codes |= SERVICE_ERRORS.get((method, path), set())
    return codes


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(path as the OpenAPI document spells it, route) for every API route, however it was included."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI >= 0.16x nests routers
    if contexts is None:
        yield from ((r.path_format, r) for r in app.routes if isinstance(r, APIRoute))
        return
    for context in contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path_format:
            yield context.path_format, context.original_route


def _response(code: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    if code == 429:
        retry_after = {"description": "seconds to wait", "schema": {"type": "integer"}}
        response["headers"] = {"Retry-After": retry_after}
    return response


def add_error_responses(app: FastAPI, document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorOut"] = error_schema
    for path, route in api_routes(app):
        operations = document.get("paths", {}).get(path, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:  # not in the schema (pages, HEAD)
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's own says detail is always a list; ours may be a sentence
            for code in sorted(error_codes(path, route)):
                responses.setdefault(str(code), _response(code))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    add_links(document)


def add_links(document: dict[str, Any]) -> None:
    """Link each create (``POST /things`` → 201) to the operations on ``/things/{thing_id}…``.

    Tools that follow OpenAPI links (Schemathesis' stateful phase) then read, change and delete the
    object they just created instead of guessing ids.
    """
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        links: dict[str, Any] = {}
        for path, targets in paths.items():
            rest = path.removeprefix(collection + "/")
            if rest == path or not rest.startswith("{"):
                continue
            parameter = rest[1 : rest.index("}")]
            for target in targets.values():
                if "operationId" in target:
                    links[target["operationId"]] = {
                        "operationId": target["operationId"],
                        "parameters": {parameter: "$response.body#/id"},
                    }
        if links:
            created.setdefault("links", {}).update(links)


def document_errors(app: FastAPI) -> None:
    """Add the error answers to the OpenAPI document when it is first built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_error_responses(app, build())
        return build()

    app.openapi = openapi  # type: ignore[method-assign]
