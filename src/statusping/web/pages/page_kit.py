"""What the alerting, maintenance, incidents and settings pages share: sign-in redirects, form
answers for htmx and plain posts, and reading text fields safely.

Every form is a plain POST form with the CSRF field (303 on success, the page again with 422 and
errors beside their fields on failure). With htmx the same routes answer the form alone with 200
(the browser logs every 4xx as a console error) and navigate with ``HX-Redirect`` on success.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from statusping.domain.accounts import Role
from statusping.domain.errors import StatusPingError
from statusping.services.accounts import Account
from statusping.web.api.types import storable_text_problem
from statusping.web.pages.monitor_forms import message
from statusping.web.rendering import is_htmx, render


def login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def go(request: Request, target: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def can_write(account: Account) -> bool:
    return account.membership.role != Role.VIEWER.value


def form_answer(
    request: Request,
    account: Account,
    page: str,
    partial: str,
    context: dict[str, Any],
    *,
    failed: bool,
) -> Response:
    """The form again: alone for htmx (200), in its page for a plain post (422 when refused)."""
    if is_htmx(request):
        return render(request, partial, context, account=account)
    return render(request, page, context, account=account, status_code=422 if failed else 200)


async def discard(db: AsyncSession) -> None:
    """Undo a refused change: the services flush as they go, and the page answers normally (the
    form with its errors), so the unit of work would otherwise commit half of it."""
    db.expunge_all()
    await db.rollback()


class Fields:
    """A posted form's text fields; values that cannot be stored become errors beside them."""

    def __init__(self, form: FormData) -> None:
        self.form = form
        self.errors: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def text(self, name: str, *, strip: bool = True) -> str:
        found = [v for v in self.form.getlist(name) if isinstance(v, str)]
        raw = found[-1] if found else ""
        problem = storable_text_problem(raw)
        if problem:
            self.errors[name] = message(f"this {problem}")
            raw = ""
        value = raw.strip() if strip else raw
        self.values[name] = value
        return value

    def many(self, name: str) -> list[str]:
        chosen = [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]
        chosen = [v for v in chosen if storable_text_problem(v) is None]
        self.values[name] = chosen
        return chosen


def error_of(
    exc: StatusPingError, fields: dict[str, str] | None = None, words: dict[str, str] | None = None
) -> dict[str, str]:
    """A service's message beside the form field it names (``fields`` maps the service's field
    names onto the form's); anything else on top of the form. ``words`` replaces API field names
    in the text with what the form's labels say."""
    name = getattr(exc, "field", None)
    if name and fields is not None:
        name = fields.get(name, name if name in fields.values() else None)
    text = exc.detail
    for api_name, label in (words or {}).items():
        text = text.replace(api_name, label)
    return {name or "_form": message(text)}
