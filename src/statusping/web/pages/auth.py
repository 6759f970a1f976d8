"""Sign-up, log-in (with its two-factor code step), log-out and password-reset pages.

Each form posts here and works without JavaScript (full page, 303 on success). With htmx the same
routes answer the form alone, so errors appear in place, and success redirects via HX-Redirect.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from pydantic.networks import EmailStr

from statusping.config import Settings
from statusping.domain.errors import InvalidInput, NotAuthenticated, RateLimited, StatusPingError
from statusping.domain.two_factor import CODE_REQUIRED, PENDING_LOGIN_LIFETIME, TwoFactorRequired
from statusping.services import accounts, onboarding, two_factor
from statusping.storage.models import User
from statusping.web.api.types import StorableStr
from statusping.web.cookies import SESSION_COOKIE, clear_session_cookie, set_session_cookies
from statusping.web.deps import (
    CurrentUser,
    Db,
    OptionalAccount,
    SameOrigin,
    SettingsDep,
    client_of,
    now,
)
from statusping.web.emails import send_password_reset
from statusping.web.pages import billing
from statusping.web.redirects import safe_next
from statusping.web.rendering import is_htmx, render

router = APIRouter()
FormStr = Annotated[StorableStr, Form()]
# A sign-in between its password step and its code step (two-factor): HttpOnly, only sent to the
# log-in pages, and good for 5 minutes (the token inside expires with it; services/two_factor.py).
PENDING_LOGIN_COOKIE = "statusping_2fa_pending"
PENDING_LOGIN_PATH = "/login"
_email_adapter: TypeAdapter[str] = TypeAdapter(EmailStr)


def set_pending_login_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        PENDING_LOGIN_COOKIE,
        token,
        max_age=int(PENDING_LOGIN_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path=PENDING_LOGIN_PATH,
    )


def clear_pending_login_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        PENDING_LOGIN_COOKIE,
        path=PENDING_LOGIN_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def _go(request: Request, target: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _form_page(
    request: Request,
    page: str,
    partial: str,
    context: dict[str, object],
    status_code: int = 200,
) -> Response:
    # htmx swaps only the form; a plain browser gets the whole page. 200 either way on htmx,
    # because htmx does not swap error responses by default.
    if is_htmx(request):
        return render(request, partial, context)
    return render(request, page, context, status_code=status_code)


@router.get("/signup", response_class=HTMLResponse)
async def signup_page(request: Request, account: OptionalAccount, plan: str = "") -> Response:
    if account is not None:
        return RedirectResponse(billing.signup_target(request, plan) or "/dashboard", status_code=303)
    return render(request, "signup.html", {"errors": {}, "values": {"plan": plan}})


@router.post("/signup", dependencies=[SameOrigin])
async def signup_submit(
    request: Request,
    db: Db,
    settings: SettingsDep,
    email: FormStr = "",
    password: FormStr = "",
    organization: FormStr = "",
    plan: FormStr = "",
) -> Response:
    values = {"email": email, "organization": organization, "plan": plan}
    errors: dict[str, str] = {}
    status_code = 422
    try:
        _email_adapter.validate_python(email.strip())
    except ValidationError:
        errors["email"] = "Enter a valid email address."
    if not organization.strip():
        errors["organization"] = "Give your organization a name."
    if not errors:
        try:
            account = await accounts.signup(
                db,
                email=email,
                password=password,
                org_name=organization,
                client=client_of(request),
                now=now(),
            )
            await onboarding.welcome(db, account, now=now())
        except InvalidInput as exc:
            errors[exc.field or "_form"] = exc.detail.capitalize() + "."
        except RateLimited as exc:
            errors["_form"] = exc.detail
            status_code = 429
        except StatusPingError as exc:
            errors["email" if exc.status_code == 409 else "_form"] = exc.detail.capitalize() + "."
        else:
            secret_key = settings.resolved_secret_key
            token = await accounts.start_session(
                db, account.user, secret_key=secret_key, client=client_of(request), now=now()
            )
            response = _go(request, billing.signup_target(request, plan) or "/dashboard")
            device = accounts.known_device_token(account.user, secret_key=secret_key, now=now())
            set_session_cookies(response, settings, token, known_device=device)
            return response
    return _form_page(
        request,
        "signup.html",
        "partials/signup_form.html",
        {"errors": errors, "values": values},
        status_code=status_code,
    )


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, account: OptionalAccount, next: str = "") -> Response:
    if account is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"errors": {}, "values": {"next": safe_next(next, default="")}})


@router.post("/login", dependencies=[SameOrigin])
async def login_submit(
    request: Request,
    db: Db,
    settings: SettingsDep,
    email: FormStr = "",
    password: FormStr = "",
    next: FormStr = "",
) -> Response:
    values = {"email": email, "next": safe_next(next, default="")}
    status_code = 401
    secret_key = settings.resolved_secret_key
    try:
        user = await accounts.attempt_login(
            db, email=email, password=password, client=client_of(request), secret_key=secret_key, now=now()
        )
    except RateLimited as exc:
        errors = {"_form": exc.detail}
        status_code = 429
    except NotAuthenticated:  # counted; this page answers normally, so the count is committed
        errors = {"_form": "Wrong email or password."}
    else:
        if await two_factor.is_enabled(db, user):
            # The password alone makes no session: a signed, 5-minute token carries the sign-in to
            # the code step, in a cookie only the log-in pages see.
            query = f"?{urlencode({'next': values['next']})}" if values["next"] else ""
            response = _go(request, f"/login/code{query}")
            pending = two_factor.start_pending_login(user, secret_key=secret_key, now=now())
            set_pending_login_cookie(response, settings, pending)
            return response
        return await _signed_in(request, db, settings, user, next)
    return _form_page(
        request,
        "login.html",
        "partials/login_form.html",
        {"errors": errors, "values": values},
        status_code=status_code,
    )


async def _signed_in(request: Request, db: Db, settings: SettingsDep, user: User, next: str) -> Response:
    """A session, a fresh known-device cookie, and on to where the person was going."""
    secret_key = settings.resolved_secret_key
    token = await accounts.start_session(
        db, user, secret_key=secret_key, client=client_of(request), now=now()
    )
    response = _go(request, safe_next(next))
    device = accounts.known_device_token(user, secret_key=secret_key, now=now())
    set_session_cookies(response, settings, token, known_device=device)
    clear_pending_login_cookie(response, settings)
    return response


EXPIRED = "Your sign-in took longer than 5 minutes. Enter your password again."


@router.get("/login/code", response_class=HTMLResponse)
async def login_code_page(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep, next: str = ""
) -> Response:
    if account is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    values = {"next": safe_next(next, default="")}
    pending = request.cookies.get(PENDING_LOGIN_COOKIE)
    user = await two_factor.user_of_pending_login(
        db, pending, secret_key=settings.resolved_secret_key, now=now()
    )
    if user is None:
        return render(request, "login.html", {"errors": {"_form": EXPIRED}, "values": values})
    return render(request, "login_code.html", {"errors": {}, "values": values})


@router.post("/login/code", dependencies=[SameOrigin])
async def login_code_submit(
    request: Request, db: Db, settings: SettingsDep, code: FormStr = "", next: FormStr = ""
) -> Response:
    values = {"next": safe_next(next, default="")}
    secret_key = settings.resolved_secret_key
    pending = request.cookies.get(PENDING_LOGIN_COOKIE)
    user = await two_factor.user_of_pending_login(db, pending, secret_key=secret_key, now=now())
    if user is None:
        context = {"errors": {"_form": EXPIRED}, "values": values}
        return render(request, "login.html", context, status_code=401)
    status_code = 401
    try:
        await two_factor.verify_login_code(
            db, user, code, client=client_of(request), secret_key=secret_key, now=now()
        )
    except RateLimited as exc:
        errors = {"code": exc.detail}
        status_code = 429
    except TwoFactorRequired as exc:  # counted; this page answers normally, so the count is committed
        errors = {
            "code": "Enter the 6-digit code from your app."
            if exc.detail == CODE_REQUIRED
            else "That code is wrong or was already used. Try the newest code, or a recovery code."
        }
    else:
        return await _signed_in(request, db, settings, user, next)
    return render(request, "login_code.html", {"errors": errors, "values": values}, status_code=status_code)


@router.post("/logout")
async def logout_submit(request: Request, user: CurrentUser, db: Db, settings: SettingsDep) -> Response:
    await accounts.end_session(db, request.cookies[SESSION_COOKIE], secret_key=settings.resolved_secret_key)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, settings)
    return response


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_password_page(request: Request) -> Response:
    return render(request, "forgot_password.html", {"errors": {}, "values": {}, "sent": False})


@router.post("/forgot-password", dependencies=[SameOrigin])
async def forgot_password_submit(
    request: Request, db: Db, settings: SettingsDep, tasks: BackgroundTasks, email: FormStr = ""
) -> Response:
    try:
        found = await accounts.request_password_reset(
            db,
            email=email,
            secret_key=settings.resolved_secret_key,
            client=client_of(request),
            now=now(),
        )
    except RateLimited as exc:
        return render(
            request,
            "forgot_password.html",
            {"errors": {"_form": exc.detail}, "values": {"email": email}, "sent": False},
            status_code=429,
        )
    if found is not None:
        tasks.add_task(send_password_reset, request.app.state.mailer, settings, *found)
    return render(request, "forgot_password.html", {"errors": {}, "values": {}, "sent": True})


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_password_page(request: Request, token: str = "") -> Response:
    return render(request, "reset_password.html", {"errors": {}, "values": {"token": token}, "done": False})


@router.post("/reset-password", dependencies=[SameOrigin])
async def reset_password_submit(
    request: Request, db: Db, settings: SettingsDep, token: FormStr = "", password: FormStr = ""
) -> Response:
    try:
        await accounts.confirm_password_reset(
            db,
            token=token,
            new_password=password,
            secret_key=settings.resolved_secret_key,
            now=now(),
        )
    except InvalidInput as exc:
        key = "password" if exc.field == "password" else "_form"
        return render(
            request,
            "reset_password.html",
            {"errors": {key: exc.detail.capitalize() + "."}, "values": {"token": token}, "done": False},
            status_code=422,
        )
    return render(request, "reset_password.html", {"errors": {}, "values": {}, "done": True})
