from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from statusping.domain.plans import PLANS
from statusping.web.billing import billing_of
from statusping.web.deps import OptionalAccount
from statusping.web.rendering import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request, account: OptionalAccount) -> HTMLResponse:
    # With billing on, "Choose Pro" carries the plan through sign-up to checkout (pages/billing.py).
    context = {"plans": list(PLANS.values()), "billing": billing_of(request) is not None}
    return render(request, "landing.html", context, account=account)


@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    return render(request, "api_docs.html")
