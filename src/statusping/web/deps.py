"""Request dependencies: the unit of work, the signed-in user and the CSRF rule.

Authorization lives here so that no route repeats it: a route that takes ``CurrentAccount`` cannot
run for a stranger, and every state-changing request made with the session cookie has passed the
CSRF check before the route body runs.

An API route (``/api/…``, and ``/metrics``) also accepts ``Authorization: Bearer <api key>``. A
request that carries one is judged by the key alone: its cookies are ignored, so it needs no CSRF
token (a browser never adds that header to a cross-site request by itself), a read key cannot
change anything, and a bad or revoked key is 401 however valid a cookie beside it is. Routes about
the human user (``CurrentUser``: password change, logout) stay session-only.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, Response, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.config import Settings
from statusping.domain.accounts import Role
from statusping.domain.errors import Forbidden, NotAuthenticated, NotFound, StatusPingError
from statusping.security import csrf_token_for_session, tokens_equal
from statusping.services import accounts, api_keys, ports, two_factor
from statusping.services.accounts import Account, Client
from statusping.services.api_keys import KeyHolder
from statusping.storage.models import Monitor, User, UserSession
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.web.cookies import (
    CSRF_COOKIE,
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    DEVICE_COOKIE,
    SESSION_COOKIE,
    set_csrf_cookie,
)
from statusping.web.policy import policy_of

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response leaves.

    ``scope="function"`` (below) makes FastAPI run the commit before sending the response, so a
    failed commit is a 5xx the client sees, never a 201 for data that was not saved.
    """
    # A GET or HEAD takes SQLite's write lock only if it writes (storage/db.py, READ_FIRST).
    reads = request.method in ("GET", "HEAD")
    sessionmaker = getattr(request.app.state, "read_sessionmaker", None) if reads else None
    async with (sessionmaker or request.app.state.sessionmaker)() as session:
        try:
            yield session
        except StatusPingError as exc:
            await (session.commit() if exc.keep_changes else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def now() -> datetime:
    return datetime.now(UTC)


def client_of(request: Request) -> Client:
    return Client(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        device=request.cookies.get(DEVICE_COOKIE),
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
Db = Annotated[AsyncSession, Depends(get_db, scope="function")]

# The two ways in, as the OpenAPI document describes them (the dependencies below read the request
# themselves; these only document, hence ``auto_error=False``).
session_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="session",
    description=(
        "The session cookie set by signup/login. Every POST/PUT/PATCH/DELETE must also send the "
        f"`{CSRF_HEADER}` header equal to the `{CSRF_COOKIE}` cookie."
    ),
    auto_error=False,
)
bearer_scheme = HTTPBearer(
    scheme_name="apiKey",
    bearerFormat="sp_<prefix>_<secret>",
    description=(
        "An API key (business plan), e.g. `Authorization: Bearer sp_3f2a9c1b7d4e_Zx…`. Read keys may "
        "only GET; read-write keys may change things too. No CSRF header is needed."
    ),
    auto_error=False,
)
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="statusping"'}


def bearer_of(request: Request) -> str | None:
    """The API key sent with an API request, if any ("" for a Bearer header without one)."""
    path = request.url.path
    if not (path.startswith("/api/") or path == "/metrics"):
        return None
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def get_key_holder(request: Request, db: Db, settings: SettingsDep) -> KeyHolder | None:
    presented = bearer_of(request)
    if presented is None:
        return None
    holder = await api_keys.holder_of(
        db, presented, policy=policy_of(settings), secret_key=settings.resolved_secret_key, now=now()
    )
    if holder is None:
        raise HTTPException(401, "invalid or revoked API key", headers=BEARER_CHALLENGE)
    if request.method in UNSAFE_METHODS and not holder.can_write:
        raise Forbidden("this API key has read scope; a read-write key is needed to change anything")
    return holder


KeyHolderDep = Annotated[KeyHolder | None, Depends(get_key_holder)]


async def _check_csrf(request: Request, session_token: str, secret_key: str) -> None:
    """Double submit (header or form field equal to the cookie), and the token must be the one
    derived from this session: an attacker who can set cookies still cannot compute it."""
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        sent = value if isinstance(value, str) else None
    expected = csrf_token_for_session(secret_key, session_token)
    if not cookie or not sent or not tokens_equal(cookie, sent) or not tokens_equal(expected, sent):
        raise Forbidden(f"missing or wrong CSRF token: send the {CSRF_HEADER} header")


async def get_optional_session(
    request: Request,
    response: Response,
    db: Db,
    settings: SettingsDep,
    _documented: Annotated[str | None, Security(session_scheme)],
) -> tuple[UserSession, User] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or bearer_of(request) is not None:  # a bearer call is judged by its key alone
        return None
    found = await accounts.user_for_token(db, token, secret_key=settings.resolved_secret_key, now=now())
    if found is not None and request.method in UNSAFE_METHODS:
        await _check_csrf(request, token, settings.resolved_secret_key)
    elif found is not None:
        # A client holding a CSRF cookie that is not its session's (one issued before tokens were
        # bound to sessions, or planted) gets the right one with its next read.
        expected = csrf_token_for_session(settings.resolved_secret_key, token)
        if request.cookies.get(CSRF_COOKIE) != expected:
            set_csrf_cookie(response, settings, expected)
    return found


OptionalSession = Annotated[tuple[UserSession, User] | None, Depends(get_optional_session)]


async def get_current_user(session: OptionalSession) -> User:
    if session is None:
        raise NotAuthenticated("not signed in")
    return session[1]


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_account(
    request: Request,
    session: OptionalSession,
    holder: KeyHolderDep,
    db: Db,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Account:
    """The signed-in member, or the member an API key acts for (narrowed by its scope)."""
    if holder is not None:
        return holder.account  # keys are not sessions: an organization's two-factor rule spares them
    if session is None:
        raise NotAuthenticated("not signed in")
    account = await accounts.account_of(db, session[1], session[0].active_organization_id)
    return await _two_factor_gate(request, db, account)


CurrentAccount = Annotated[Account, Depends(get_current_account)]


# Roles (PRODUCT.md §4, domain/team.py): every state-changing route takes one of these three, and
# tests/web/test_role_matrix.py walks the route table to prove it. Pages, which must redirect a
# stranger to log in instead of answering 401, call the same functions with their OptionalAccount.


async def require_writer(account: CurrentAccount) -> Account:
    """Owner or admin: viewers only read."""
    if account.membership.role == Role.VIEWER.value:
        raise Forbidden("viewers have read-only access")
    return account


async def require_manager(account: CurrentAccount) -> Account:
    """Owner or admin, for managing the team (the same people as writers today, named apart so a
    future role that may edit monitors but not invite people has one place to change)."""
    if account.membership.role not in (Role.OWNER.value, Role.ADMIN.value):
        raise Forbidden("only the owner and admins can manage the team")
    return account


async def require_owner(account: CurrentAccount) -> Account:
    """The owner alone: billing and transferring ownership."""
    if account.membership.role != Role.OWNER.value:
        raise Forbidden("only the organization's owner can do this")
    return account


Writer = Annotated[Account, Depends(require_writer)]
Manager = Annotated[Account, Depends(require_manager)]
Owner = Annotated[Account, Depends(require_owner)]


async def get_current_monitor(monitor_id: str, account: CurrentAccount, db: Db) -> Monitor:
    """The monitor if it belongs to the caller's organization; 404 alike for absent and foreign."""
    try:
        key = uuid.UUID(monitor_id)
    except ValueError:
        raise NotFound("monitor not found") from None
    monitor = await MonitorRepository(db).get(account.organization.id, key)
    if monitor is None:
        raise NotFound("monitor not found")
    return monitor


CurrentMonitor = Annotated[Monitor, Depends(get_current_monitor)]


def get_prober(request: Request) -> ports.Prober:
    prober: ports.Prober = request.app.state.prober
    return prober


def get_channel_sender(request: Request) -> ports.ChannelSender:
    sender: ports.ChannelSender = request.app.state.channel_sender
    return sender


def get_channel_kinds(request: Request) -> ports.ChannelKinds:
    kinds: ports.ChannelKinds = request.app.state.channel_kinds
    return kinds


async def get_end_transaction(db: Db) -> ports.EndTransaction:
    """Lets a use-case end the request's transaction before it waits on the network (what it wrote
    so far is committed); what follows runs in a new transaction that ``get_db`` commits."""
    return db.commit


Prober = Annotated[ports.Prober, Depends(get_prober)]
ChannelSender = Annotated[ports.ChannelSender, Depends(get_channel_sender)]
ChannelKinds = Annotated[ports.ChannelKinds, Depends(get_channel_kinds)]
EndTransaction = Annotated[ports.EndTransaction, Depends(get_end_transaction)]


async def get_optional_account(request: Request, session: OptionalSession, db: Db) -> Account | None:
    if session is None:
        return None
    account = await accounts.account_of(db, session[1], session[0].active_organization_id)
    return await _two_factor_gate(request, db, account)


# Where a member whose organization requires two-factor sign-in may go before setting it up (and
# switch to another of their organizations: /api/v1/me/organization[s]; the page switch takes no account).
TWO_FACTOR_EXEMPT = ("/settings/security", "/logout", "/login", "/api/v1/auth/", "/api/v1/me/organization")


async def _two_factor_gate(request: Request, db: AsyncSession, account: Account) -> Account:
    """``EnrolmentRequired`` (a page redirects to set-up, the API answers 403) for a session of a
    member without two-factor in an organization that requires it (services/two_factor.py)."""
    if not request.url.path.startswith(TWO_FACTOR_EXEMPT):
        await two_factor.check_requirement(db, account)
    return account


OptionalAccount = Annotated[Account | None, Depends(get_optional_account)]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def require_same_origin(request: Request, settings: SettingsDep) -> None:
    """Signup and login carry no CSRF token yet, so they refuse requests from foreign pages instead."""
    origin = request.headers.get("origin")
    if origin is None:  # not a browser (curl, SDKs): CSRF needs a browser to ride on
        return
    allowed = {origin_of(settings.base_url), origin_of(str(request.base_url))}
    if origin.lower() not in allowed:
        raise Forbidden("cross-origin request refused")


SameOrigin = Depends(require_same_origin)
