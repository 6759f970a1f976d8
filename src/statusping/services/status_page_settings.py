"""A status page's address, branding and custom domain (PRODUCT.md §4, §6).

- **Slug**: ``domain/branding.py`` says what a slug may be; another page's current slug is a 409.
  The old slug is remembered, and every public address under it redirects to the new one
  (``web/public/domains.py``) — until another page takes it: a slug someone used before is free
  to take (the live page wins, the redirect ends), so nobody can hoard names by renaming.
- **Branding** (plans with ``branding``: pro and business): ``logo_url``, ``brand_color`` and
  turning ``show_powered_by`` off. Clearing them is always allowed. After a downgrade the values
  stay stored but the page stops showing them (``public_branding``).
- **Custom domain** (plans with ``custom_domain``: business): a host name that is neither ours nor
  another page's (409). Setting it issues a token; the page serves on that domain once a TXT
  record ``_statusping.<domain>`` holding the token is found (``verify_domain``).
- **Custom CSS** (plans with ``custom_css``: business): checked by ``domain/custom_css.py`` (422
  naming what is refused), served as ``/s/{slug}/custom.css``; after a downgrade it stays stored but
  is no longer served.
- **Private page** (plans with ``private_pages``: business): ``password`` (8–200 characters) makes
  the page private, stored as an argon2 hash; ``private: false`` makes it public again and forgets
  the password. After a downgrade a private page stays private (failing closed: what its owner
  chose to hide is never published by a billing event); making it public is always allowed.
- **Automatic incidents**: ``show_automatic_incidents`` and ``notify_automatic_incidents`` (every
  plan, both on by default): whether outages of the page's components appear on the page as
  incidents, and whether its subscribers hear of them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain import branding
from statusping.domain.custom_css import clean_css
from statusping.domain.errors import Conflict, Forbidden, InvalidInput
from statusping.domain.plans import PLANS, Plan
from statusping.security import hash_password
from statusping.services import status_pages
from statusping.services.monitors import Policy
from statusping.storage.models import Organization, StatusPage
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.storage.repositories.status_page_settings import StatusPageSettingsRepository

FIELDS = (
    "slug", "logo_url", "brand_color", "show_powered_by", "custom_domain", "custom_css", "private",
    "password", "show_automatic_incidents", "notify_automatic_incidents",
)  # fmt: skip
PASSWORD_MIN, PASSWORD_MAX = 8, 200
DNS_TIMEOUT_SECONDS = 5.0


def _refuse(plan: Plan, what: str, allows: str) -> Forbidden:
    lifting = next(
        (p for p in PLANS.values() if p.price_usd_month > plan.price_usd_month and getattr(p, allows)), None
    )
    hint = f"; the {lifting.title} plan lifts it" if lifting else ""
    return Forbidden(f"{what} is not included in the {plan.title} plan{hint}")


def can_brand(plan: Plan | None) -> bool:
    return plan is None or plan.branding


def can_use_domain(plan: Plan | None) -> bool:
    return plan is None or plan.custom_domain


def can_use_css(plan: Plan | None) -> bool:
    return plan is None or plan.custom_css


def can_be_private(plan: Plan | None) -> bool:
    return plan is None or plan.private_pages


async def update(
    db: AsyncSession,
    org: Organization,
    page: StatusPage,
    fields: dict[str, Any],
    policy: Policy,
    our_host: str,
    now: datetime,
) -> StatusPage:
    """Everything ``PATCH /status-pages/{id}`` accepts: the content fields through
    ``status_pages.update_page``, then the address, branding and domain."""
    await status_pages.update_page(db, org, page, {k: v for k, v in fields.items() if k not in FIELDS}, now)
    plan = policy.plan_of(org)
    repo = StatusPageSettingsRepository(db)
    if "slug" in fields:
        await _change_slug(repo, page, branding.clean_slug(fields["slug"]))
    if "logo_url" in fields:
        logo = branding.clean_logo_url(fields["logo_url"])
        if logo is not None and plan is not None and not plan.branding:
            raise _refuse(plan, "A logo on the status page", "branding")
        page.logo_url = logo
    if "brand_color" in fields:
        color = branding.clean_color(fields["brand_color"])
        if color is not None and plan is not None and not plan.branding:
            raise _refuse(plan, "A brand colour on the status page", "branding")
        page.brand_color = color
    if "show_powered_by" in fields:
        shown = fields["show_powered_by"]
        if not isinstance(shown, bool):
            raise InvalidInput("show_powered_by must be true or false", field="show_powered_by")
        if not shown and plan is not None and not plan.branding:
            raise _refuse(plan, "Hiding “Powered by StatusPing”", "branding")
        page.show_powered_by = shown
    if "custom_domain" in fields:
        domain = branding.clean_domain(fields["custom_domain"], our_host)
        if domain is not None and plan is not None and not plan.custom_domain:
            raise _refuse(plan, "A custom domain", "custom_domain")
        await _change_domain(repo, page, domain)
    if "custom_css" in fields:
        css = clean_css(fields["custom_css"])
        if css is not None and not can_use_css(plan):
            assert plan is not None
            raise _refuse(plan, "Custom CSS on the status page", "custom_css")
        page.custom_css = css
    await _change_privacy(page, fields, plan)
    for name in ("show_automatic_incidents", "notify_automatic_incidents"):
        if name in fields:
            if not isinstance(fields[name], bool):
                raise InvalidInput(f"{name} must be true or false", field=name)
            setattr(page, name, fields[name])
    page.updated_at = now
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        # Lost a race with another page taking the same slug or domain at this moment.
        raise Conflict("that slug or domain was just taken by another status page") from None
    return page


async def _change_privacy(page: StatusPage, fields: dict[str, Any], plan: Plan | None) -> None:
    private = fields.get("private")
    password = fields.get("password")
    if private is not None and not isinstance(private, bool):
        raise InvalidInput("private must be true or false", field="private")
    if password is not None and (not isinstance(password, str) or password == ""):
        password = None
    if private is False:
        if password:
            raise InvalidInput("a public page has no password: leave password out", field="password")
        page.password_hash = None
        return
    if password is None:
        if private and page.password_hash is None:
            raise InvalidInput("set a password to make the page private", field="password")
        if not private:
            return
    if not can_be_private(plan):
        assert plan is not None
        raise _refuse(plan, "A private status page", "private_pages")
    if password is not None:
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise InvalidInput(
                f"password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters", field="password"
            )
        page.password_hash = await hash_password(password)


def _conflict(detail: str, field: str) -> Conflict:
    error = Conflict(detail)
    error.field = field  # type: ignore[attr-defined]  # forms show it beside this field
    return error


async def _change_slug(repo: StatusPageSettingsRepository, page: StatusPage, slug: str) -> None:
    if slug == page.slug:
        return
    owner = await repo.slug_owner(slug)
    if owner is not None and owner != page.id:
        raise _conflict(f"the slug {slug!r} is taken by another status page", "slug")
    await repo.forget_slug(slug)  # someone's old address (perhaps this page's): the live page wins
    repo.remember_slug(page.slug, page.id)
    page.slug = slug


async def _change_domain(repo: StatusPageSettingsRepository, page: StatusPage, domain: str | None) -> None:
    if domain == page.custom_domain:
        return
    if domain is not None:
        owner = await repo.domain_owner(domain)
        if owner is not None and owner != page.id:
            raise _conflict(f"{domain} is already the domain of another status page", "custom_domain")
    page.custom_domain = domain
    page.domain_token = secrets.token_hex(16) if domain else None
    page.domain_verified_at = None


@dataclass(frozen=True, slots=True)
class Branding:
    """What the public page shows of the stored branding under the current plan."""

    logo_url: str | None
    brand_color: str | None
    custom_css: bool = False  # the page links /s/{slug}/custom.css


def public_branding(page: StatusPage, plan: Plan | None) -> Branding:
    css = bool(page.custom_css) and can_use_css(plan)
    if not can_brand(plan):
        return Branding(None, None, css)
    return Branding(page.logo_url, page.brand_color, css)


def public_css(page: StatusPage, plan: Plan | None) -> str | None:
    """The custom CSS the page serves under its plan (None: none)."""
    return page.custom_css if page.custom_css and can_use_css(plan) else None


# Custom domains ------------------------------------------------------------------------------


async def verify_domain(db: AsyncSession, page: StatusPage, now: datetime, *, nameserver: str | None) -> None:
    """Look up ``_statusping.<domain>`` TXT; mark the domain verified when a record holds the token.
    ``InvalidInput`` saying what was found otherwise (nothing changes)."""
    if not page.custom_domain or not page.domain_token:
        raise InvalidInput("set a custom domain first", field="custom_domain")
    name = branding.verification_name(page.custom_domain)
    values = await txt_records(name, nameserver)
    if page.domain_token not in values:
        found = f" (found: {', '.join(sorted(values)[:3])})" if values else ""
        raise InvalidInput(
            f"no TXT record at {name} holds the token {page.domain_token}{found}; DNS changes can take "
            "a few minutes to appear",
            field="custom_domain",
        )
    page.domain_verified_at = now
    await db.flush()


async def txt_records(name: str, nameserver: str | None) -> set[str]:
    """The TXT strings at ``name`` (several strings of one record joined); ``InvalidInput`` when
    the lookup fails for a reason other than the name having none."""
    try:
        if nameserver:
            resolver = dns.asyncresolver.Resolver(configure=False)
            host, _, port = nameserver.rpartition(":") if nameserver.count(":") == 1 else (nameserver, "", "")
            resolver.nameservers = [host]
            if port:
                resolver.port = int(port)
        else:
            resolver = dns.asyncresolver.Resolver()
        resolver.timeout = resolver.lifetime = DNS_TIMEOUT_SECONDS
        answer = await resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return set()
    except dns.exception.Timeout:
        raise InvalidInput(f"the DNS lookup of {name} timed out: try again", field="custom_domain") from None
    except (dns.exception.DNSException, OSError, ValueError) as exc:
        raise InvalidInput(f"the DNS lookup of {name} failed: {exc}", field="custom_domain") from None
    return {b"".join(r.strings).decode("utf-8", "replace") for r in answer}


async def page_for_domain(db: AsyncSession, domain: str, policy: Policy) -> str | None:
    """The slug of the page a verified custom domain serves, if its plan still includes domains."""
    found = await StatusPageSettingsRepository(db).by_domain(domain.lower().rstrip("."))
    if found is None:
        return None
    page, org = found
    return page.slug if can_use_domain(policy.plan_of(org)) else None


async def moved_to(db: AsyncSession, old_slug: str) -> str | None:
    return await StatusPageSettingsRepository(db).moved_to(old_slug.lower())


# The dashboard's editor ------------------------------------------------------------------------

MAX_EDITOR_MONITORS = 1000


@dataclass(frozen=True, slots=True)
class ComponentChoice:
    """One of the organization's monitors as the editor lists it."""

    monitor_id: str
    monitor_name: str
    public: bool
    chosen: bool
    display_name: str
    group: str
    order: int


async def choices(db: AsyncSession, org: Organization, page: StatusPage) -> list[ComponentChoice]:
    """Every monitor of the organization: the chosen ones first, in display order, then the rest."""
    configured = {r.monitor_id: r for r in await status_pages.configured_components(db, page)}
    monitors = await MonitorRepository(db).list_for(org.id, limit=MAX_EDITOR_MONITORS, offset=0)
    found = []
    for n, monitor in enumerate(monitors):
        row = configured.get(monitor.id)
        found.append(
            ComponentChoice(
                monitor_id=str(monitor.id),
                monitor_name=monitor.name,
                public=monitor.public,
                chosen=row is not None,
                display_name=(row.display_name or "") if row else "",
                group=(row.group or "") if row else "",
                order=(row.position + 1) if row else len(configured) + n + 1,
            )
        )
    return sorted(found, key=lambda c: (not c.chosen, c.order))
