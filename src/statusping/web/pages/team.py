"""The team page (``/settings/team``), the invitation link (``/invitations/{token}``) and the
organization switcher's form (``/organization/switch``).

Plain POST forms with the CSRF field, 303 on success; a refused change shows the page again with
the reason (422) or the error page (403) for a role that may not do it at all. The invitation link
works for a stranger too: it signs a new user up (password only; the email is the invitation's)
or sends an existing one to log in and come back.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from pydantic.networks import EmailStr

from statusping.domain.accounts import PASSWORD_MIN_LENGTH, Role
from statusping.domain.errors import NotFound, StatusPingError
from statusping.domain.team import ASSIGNABLE_ROLES, InvitationState
from statusping.services import accounts, team
from statusping.services.accounts import Account
from statusping.web.api.types import StorableStr
from statusping.web.cookies import SESSION_COOKIE, set_session_cookies
from statusping.web.deps import (
    Db,
    OptionalAccount,
    OptionalSession,
    SameOrigin,
    SettingsDep,
    client_of,
    now,
    require_manager,
    require_owner,
)
from statusping.web.emails import queue_invitation
from statusping.web.pages import page_kit
from statusping.web.policy import policy_of
from statusping.web.rendering import render

router = APIRouter()
FormStr = Annotated[StorableStr, Form()]
_email_adapter: TypeAdapter[str] = TypeAdapter(EmailStr)
ROLE_LABELS = {
    Role.OWNER.value: "Owner",
    Role.ADMIN.value: "Admin",
    Role.VIEWER.value: "Viewer",
}
ROLE_HINTS = {
    Role.ADMIN.value: "Admin: everything except billing and ownership",
    Role.VIEWER.value: "Viewer: can look, cannot change anything",
}
SAVED = {
    "invited": "Invitation sent.",
    "resent": "Invitation sent again with a new link; the old link no longer works.",
    "revoked": "Invitation withdrawn; its link no longer works.",
    "removed": "Member removed.",
    "role": "Role changed.",
    "transferred": "Ownership transferred. You are now an admin.",
}


async def _context(db: Db, settings: SettingsDep, account: Account, request: Request) -> dict[str, Any]:
    manager = account.membership.role in (Role.OWNER.value, Role.ADMIN.value)
    return {
        "members": await team.list_members(db, account),
        "invitations": await team.list_invitations(db, account, now()) if manager else [],
        "room_problem": await team.room_problem(db, account.organization, policy_of(settings), now()),
        "can_manage": manager,
        "is_owner": account.membership.role == Role.OWNER.value,
        "role_labels": ROLE_LABELS,
        "role_hints": ROLE_HINTS,
        "assignable": [r.value for r in ASSIGNABLE_ROLES],
        "values": {"email": "", "role": Role.VIEWER.value},
        "errors": {},
        "saved": SAVED.get(request.query_params.get("saved", "")),
    }


@router.get("/settings/team", response_class=HTMLResponse)
async def team_page(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    return render(request, "team.html", await _context(db, settings, account, request), account=account)


@router.post("/settings/team/invitations")
async def invite(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep, tasks: BackgroundTasks
) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_manager(account)
    fields = page_kit.Fields(await request.form())
    email, role = fields.text("email"), fields.text("role")
    errors = dict(fields.errors)
    try:
        _email_adapter.validate_python(email)
    except ValidationError:
        errors.setdefault("email", "Enter a valid email address.")
    if not errors:
        try:
            sent = await team.invite(
                db,
                account,
                email=email,
                role=role,
                policy=policy_of(settings),
                secret_key=settings.resolved_secret_key,
                now=now(),
            )
        except StatusPingError as exc:
            errors = page_kit.error_of(exc, {"email": "email", "role": "role"})
            await page_kit.discard(db)
        else:
            queue_invitation(tasks, request.app.state.mailer, settings, sent)
            return page_kit.go(request, "/settings/team?saved=invited")
    context = await _context(db, settings, account, request)
    context.update(values=fields.values, errors=errors)
    return render(request, "team.html", context, account=account, status_code=422)


@router.post("/settings/team/invitations/{invitation_id}/resend")
async def resend(
    request: Request,
    invitation_id: str,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    tasks: BackgroundTasks,
) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_manager(account)
    sent = await team.resend(
        db,
        account,
        invitation_id,
        policy=policy_of(settings),
        secret_key=settings.resolved_secret_key,
        now=now(),
    )
    queue_invitation(tasks, request.app.state.mailer, settings, sent)
    return page_kit.go(request, "/settings/team?saved=resent")


@router.post("/settings/team/invitations/{invitation_id}/revoke")
async def revoke(request: Request, invitation_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_manager(account)
    await team.revoke(db, account, invitation_id, now())
    return page_kit.go(request, "/settings/team?saved=revoked")


@router.post("/settings/team/members/{member_id}/role")
async def change_role(request: Request, member_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_manager(account)
    role = page_kit.Fields(await request.form()).text("role")
    await team.change_role(db, account, member_id, role)
    return page_kit.go(request, "/settings/team?saved=role")


@router.post("/settings/team/members/{member_id}/remove")
async def remove(request: Request, member_id: str, account: OptionalAccount, db: Db) -> Response:
    """Removing someone else needs owner or admin (the service says so); removing yourself is leaving."""
    if account is None:
        return page_kit.login(request)
    left = await team.remove_member(db, account, member_id)
    return page_kit.go(request, "/dashboard" if left else "/settings/team?saved=removed")


@router.post("/settings/team/members/{member_id}/transfer")
async def transfer(request: Request, member_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_owner(account)
    await team.transfer_ownership(db, account, member_id)
    return page_kit.go(request, "/settings/team?saved=transferred")


@router.post("/organization/switch")
async def switch(request: Request, session: OptionalSession, db: Db) -> Response:
    if session is None:
        return page_kit.login(request)
    chosen = page_kit.Fields(await request.form()).text("organization_id")
    await team.switch_organization(db, session[0], session[1], chosen)
    return page_kit.go(request, "/dashboard")


# The invitation link ------------------------------------------------------------------------


async def _invitation_page(
    request: Request,
    db: Db,
    settings: SettingsDep,
    token: str,
    account: Account | None,
    *,
    errors: dict[str, str] | None = None,
) -> Response:
    try:
        found = await team.find_invitation(db, token, secret_key=settings.resolved_secret_key, now=now())
    except NotFound as exc:
        missing: dict[str, Any] = {"found": None, "problem": exc.detail, "token": token}
        return render(request, "invitation.html", missing, account=account, status_code=404)
    context: dict[str, Any] = {
        "found": found,
        "token": token,
        "problem": team.unusable_reason(found.state),
        "role_label": ROLE_LABELS.get(found.invitation.role, found.invitation.role),
        "role_hint": ROLE_HINTS.get(found.invitation.role, ""),
        "signed_in_as": account.user.email if account else None,
        "already_member": account is not None
        and any(o.id == found.organization.id for o in account.organizations),
        "errors": errors or {},
        "password_min": PASSWORD_MIN_LENGTH,
    }
    status_code = 410 if found.state is not InvitationState.PENDING else (422 if errors else 200)
    return render(request, "invitation.html", context, account=account, status_code=status_code)


@router.get("/invitations/{token}", response_class=HTMLResponse)
async def invitation_page(
    request: Request, token: str, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    response = await _invitation_page(request, db, settings, token, account)
    # The token is in this page's URL: no other site may see it in a Referer. ("no-referrer" would
    # also make the browser send ``Origin: null`` with the form, which the same-origin check refuses.)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@router.post("/invitations/{token}", dependencies=[SameOrigin])
async def accept(
    request: Request,
    token: str,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    password: FormStr = "",
) -> Response:
    """Signed in: join as yourself. Not signed in and new: become a user with this password."""
    secret_key = settings.resolved_secret_key
    try:
        joined = await team.accept(
            db,
            token,
            user=account.user if account else None,
            password=password,
            policy=policy_of(settings),
            secret_key=secret_key,
            now=now(),
        )
    except StatusPingError as exc:
        await page_kit.discard(db)
        errors = page_kit.error_of(exc, {"password": "password"})
        return await _invitation_page(request, db, settings, token, account, errors=errors)
    response = page_kit.go(request, "/dashboard")
    if account is not None:
        await team.work_in(db, request.cookies[SESSION_COOKIE], joined.organization, secret_key=secret_key)
        return response
    session_token = await accounts.start_session(
        db, joined.user, secret_key=secret_key, client=client_of(request), now=now()
    )
    await team.work_in(db, session_token, joined.organization, secret_key=secret_key)
    device = accounts.known_device_token(joined.user, secret_key=secret_key, now=now())
    set_session_cookies(response, settings, session_token, known_device=device)
    return response
