"""Signup, login, logout, password change and reset (PRODUCT.md §4)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, EmailStr, Field

from statusping.domain.accounts import ORG_NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH
from statusping.domain.two_factor import CODE_REQUIRED, TwoFactorRequired
from statusping.services import accounts, onboarding, two_factor
from statusping.web.api.types import Input
from statusping.web.api.v1.schemas import MeOut
from statusping.web.cookies import SESSION_COOKIE, clear_session_cookie, set_session_cookies
from statusping.web.deps import (
    CurrentUser,
    Db,
    SameOrigin,
    SettingsDep,
    client_of,
    now,
)
from statusping.web.emails import send_password_reset

router = APIRouter(prefix="/auth", tags=["auth"])


class SignupIn(Input):
    email: EmailStr = Field(max_length=320)
    password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    organization: str = Field(max_length=ORG_NAME_MAX_LENGTH * 2)


class LoginIn(Input):
    email: str = Field(max_length=320)
    password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    code: str | None = Field(
        default=None,
        max_length=32,
        description="With two-factor sign-in on: the 6-digit code from the app, or an unused recovery code.",
        examples=["492039"],
    )


class TwoFactorRequiredOut(BaseModel):
    detail: str = Field(examples=[CODE_REQUIRED])
    two_factor_required: bool = True


class ResetIn(Input):
    email: str = Field(max_length=320)


class ResetConfirmIn(Input):
    token: str = Field(max_length=200)
    password: str = Field(max_length=PASSWORD_MAX_LENGTH)


class PasswordChangeIn(Input):
    current_password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(max_length=PASSWORD_MAX_LENGTH)


class AcceptedOut(BaseModel):
    detail: str


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=MeOut, dependencies=[SameOrigin])
async def signup(
    body: SignupIn, request: Request, response: Response, db: Db, settings: SettingsDep
) -> MeOut:
    account = await accounts.signup(
        db,
        email=body.email,
        password=body.password,
        org_name=body.organization,
        client=client_of(request),
        now=now(),
    )
    await onboarding.welcome(db, account, now=now())
    token = await accounts.start_session(
        db,
        account.user,
        secret_key=settings.resolved_secret_key,
        client=client_of(request),
        now=now(),
    )
    device = accounts.known_device_token(account.user, secret_key=settings.resolved_secret_key, now=now())
    set_session_cookies(response, settings, token, known_device=device)
    return MeOut.of(account)


@router.post("/login", response_model=MeOut, dependencies=[SameOrigin])
async def login(
    body: LoginIn, request: Request, response: Response, db: Db, settings: SettingsDep
) -> MeOut | JSONResponse:
    """Sign in. With two-factor sign-in on, the password alone makes no session: the answer is 401
    `{"detail": "two-factor code required", "two_factor_required": true}`, and the client sends
    email, password and `code` (from the app, or a recovery code) together. A wrong or already used
    code answers the same way and counts toward the log-in limit (429 after too many)."""
    secret_key = settings.resolved_secret_key
    client = client_of(request)
    user = await accounts.attempt_login(
        db, email=body.email, password=body.password, client=client, secret_key=secret_key, now=now()
    )
    if await two_factor.is_enabled(db, user):
        try:
            await two_factor.verify_login_code(
                db, user, body.code, client=client, secret_key=secret_key, now=now()
            )
        except TwoFactorRequired as exc:
            # Answered here rather than raised, so the unit of work commits the counted failure.
            return JSONResponse(
                TwoFactorRequiredOut(detail=exc.detail).model_dump(), status_code=exc.status_code
            )
    token = await accounts.start_session(db, user, secret_key=secret_key, client=client, now=now())
    device = accounts.known_device_token(user, secret_key=secret_key, now=now())
    set_session_cookies(response, settings, token, known_device=device)
    return MeOut.of(await accounts.account_of(db, user))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, user: CurrentUser, db: Db, settings: SettingsDep) -> Response:
    await accounts.end_session(db, request.cookies[SESSION_COOKIE], secret_key=settings.resolved_secret_key)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, settings)
    return response


@router.post("/password", response_model=MeOut)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    response: Response,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
) -> MeOut:
    """Change the password. Every session of the user ends; this client gets a fresh one."""
    await accounts.change_password(
        db, user, current_password=body.current_password, new_password=body.new_password, now=now()
    )
    token = await accounts.start_session(
        db, user, secret_key=settings.resolved_secret_key, client=client_of(request), now=now()
    )
    set_session_cookies(response, settings, token)
    return MeOut.of(await accounts.account_of(db, user))


RESET_ACCEPTED = "if an account exists for that email, a reset link has been sent"


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, response_model=AcceptedOut)
async def password_reset(
    body: ResetIn, request: Request, db: Db, settings: SettingsDep, tasks: BackgroundTasks
) -> AcceptedOut:
    found = await accounts.request_password_reset(
        db,
        email=body.email,
        secret_key=settings.resolved_secret_key,
        client=client_of(request),
        now=now(),
    )
    if found is not None:
        # After the commit and after the response: the reply takes as long whether or not the
        # account exists, and a slow mail server does not hold the request.
        tasks.add_task(send_password_reset, request.app.state.mailer, settings, found[0], found[1])
    return AcceptedOut(detail=RESET_ACCEPTED)


@router.post("/password-reset/confirm", response_model=AcceptedOut)
async def password_reset_confirm(body: ResetConfirmIn, db: Db, settings: SettingsDep) -> AcceptedOut:
    await accounts.confirm_password_reset(
        db,
        token=body.token,
        new_password=body.password,
        secret_key=settings.resolved_secret_key,
        now=now(),
    )
    return AcceptedOut(detail="password changed; sign in with the new password")
