"""Status page management API (PRODUCT.md §4): title, description, the components shown, the
slug, branding (``logo_url``, ``brand_color``, ``show_powered_by``: pro and business), a custom
domain (business) with its DNS verification, custom CSS and a password (business), and the two
automatic-incident switches. The rules are in ``services/status_page_settings.py``.
Communication incidents are ``status_incidents.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from statusping.config import Settings
from statusping.domain.branding import verification_name
from statusping.domain.custom_css import MAX_LENGTH as CSS_MAX_LENGTH
from statusping.domain.errors import NotFound
from statusping.services import status_page_settings
from statusping.services import status_pages as service
from statusping.storage.models import StatusPage
from statusping.web.api.types import Input
from statusping.web.deps import CurrentAccount, Db, SettingsDep, Writer, now
from statusping.web.policy import policy_of
from statusping.web.public.domains import domain_cache_of

router = APIRouter(prefix="/status-pages", tags=["status pages"])


class ComponentIn(Input):
    model_config = ConfigDict(extra="forbid")

    monitor_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=100, description="default: the monitor's name")
    group: str | None = Field(
        default=None, max_length=100, description="components with one group show together"
    )


class StatusPageUpdate(Input):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=400)
    description: str | None = Field(default=None, max_length=2000)
    components: list[ComponentIn] | None = Field(
        default=None,
        max_length=service.MAX_COMPONENTS,
        description="the whole list, in display order; [] shows every public monitor",
    )
    slug: str | None = Field(
        default=None,
        max_length=100,
        description="3–60 lowercase letters, digits, hyphens; the old slug redirects",
    )
    logo_url: str | None = Field(default=None, max_length=1000, description="https only; null removes it")
    brand_color: str | None = Field(default=None, max_length=20, description="#rrggbb; null removes it")
    show_powered_by: bool | None = Field(default=None, description="false needs the Pro or Business plan")
    custom_domain: str | None = Field(
        default=None, max_length=300, description="Business plan; null removes it; verify it after setting"
    )
    custom_css: str | None = Field(
        default=None,
        max_length=2 * CSS_MAX_LENGTH,
        description=f"Business plan; at most {CSS_MAX_LENGTH:,} characters; served as "
        "/s/{slug}/custom.css; no @import, no url() but inline data: images, no </style>, no "
        "expression() or javascript:",
    )
    private: bool | None = Field(
        default=None,
        description="Business plan; true needs a password (given now or before); false forgets it",
    )
    password: str | None = Field(
        default=None,
        max_length=1000,
        description="Business plan; 8–200 characters; makes the page private; never shown again",
    )
    show_automatic_incidents: bool | None = Field(
        default=None, description="show outages of the page's components as incidents (default true)"
    )
    notify_automatic_incidents: bool | None = Field(
        default=None, description="tell subscribers of those outages (default true)"
    )


class ComponentOut(BaseModel):
    monitor_id: str
    name: str = Field(description="the name shown: display_name, else the monitor's name")
    display_name: str | None
    group: str | None
    position: int


class DomainVerification(BaseModel):
    record_type: str = "TXT"
    name: str = Field(description="where the TXT record goes")
    value: str = Field(description="what the TXT record must hold")


class StatusPageOut(BaseModel):
    id: str
    slug: str
    url: str
    title: str
    description: str | None
    show_powered_by: bool
    logo_url: str | None
    brand_color: str | None
    custom_domain: str | None
    domain_verified: bool
    domain_verification: DomainVerification | None = Field(description="null without a custom domain")
    custom_css: str | None
    private: bool = Field(description="visitors need the page's password")
    show_automatic_incidents: bool
    notify_automatic_incidents: bool
    components: list[ComponentOut]
    created_at: datetime
    updated_at: datetime


async def _out(db: Db, page: StatusPage, base_url: str) -> StatusPageOut:
    rows = await service.configured_components(db, page)
    return StatusPageOut(
        id=str(page.id),
        slug=page.slug,
        url=f"{base_url.rstrip('/')}/s/{page.slug}",
        title=page.title,
        description=page.description,
        show_powered_by=page.show_powered_by,
        logo_url=page.logo_url,
        brand_color=page.brand_color,
        custom_domain=page.custom_domain,
        domain_verified=page.domain_verified_at is not None,
        domain_verification=DomainVerification(name=verification_name(page.custom_domain),
                                               value=page.domain_token)
        if page.custom_domain and page.domain_token else None,
        custom_css=page.custom_css,
        private=page.password_hash is not None,
        show_automatic_incidents=page.show_automatic_incidents,
        notify_automatic_incidents=page.notify_automatic_incidents,
        components=[ComponentOut(monitor_id=str(r.monitor_id), name=r.name, display_name=r.display_name,
                                 group=r.group,
                                 position=r.position) for r in rows],
        created_at=page.created_at,
        updated_at=page.updated_at or page.created_at,
    )  # fmt: skip


async def get_current_page(page_id: str, account: CurrentAccount, db: Db) -> StatusPage:
    """The page if it belongs to the caller's organization; 404 alike for absent and foreign."""
    found = await service.get_page(db, account.organization, page_id)
    if found is None:
        raise NotFound("status page not found")
    return found


CurrentPage = Annotated[StatusPage, Depends(get_current_page)]


@router.get("")
async def list_status_pages(account: CurrentAccount, db: Db, settings: SettingsDep) -> list[StatusPageOut]:
    return [await _out(db, p, settings.base_url) for p in await service.list_pages(db, account.organization)]


@router.get("/{page_id}")
async def get_status_page(page: CurrentPage, db: Db, settings: SettingsDep) -> StatusPageOut:
    return await _out(db, page, settings.base_url)


@router.patch("/{page_id}")
async def update_status_page(
    request: Request,
    body: StatusPageUpdate,
    page: CurrentPage,
    account: Writer,
    db: Db,
    settings: SettingsDep,
) -> StatusPageOut:
    fields = body.model_dump(exclude_unset=True)
    before = page.custom_domain
    await status_page_settings.update(
        db, account.organization, page, fields, policy_of(settings), our_host(settings), now()
    )
    domain_cache_of(request.app.state).forget(before, page.custom_domain)
    return await _out(db, page, settings.base_url)


@router.post("/{page_id}/domain/verify")
async def verify_domain(
    request: Request, page: CurrentPage, account: Writer, db: Db, settings: SettingsDep
) -> StatusPageOut:
    """Look up the TXT record ``_statusping.<domain>``; 422 saying what was found unless it holds
    the token. Once verified, the domain serves the page at ``/``."""
    await status_page_settings.verify_domain(db, page, now(), nameserver=settings.domain_nameserver)
    domain_cache_of(request.app.state).forget(page.custom_domain)
    return await _out(db, page, settings.base_url)


def our_host(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or ""
