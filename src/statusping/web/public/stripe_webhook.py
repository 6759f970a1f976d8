"""``POST /billing/stripe-webhook``: Stripe's events, verified with the signing secret.

Answers JSON whatever happens: 400 for a missing or forged signature (nothing changes), 200 for
every verified event, including a replay (processed once, by event id) and types billing ignores,
so Stripe stops retrying them. 404 while billing is off.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from statusping.domain.errors import StatusPingError
from statusping.services import billing as service
from statusping.web.billing import BILLING_OFF, billing_of
from statusping.web.deps import Db, now

router = APIRouter()
MAX_EVENT_ID = 255  # Stripe's ids are ~30 characters; billing_events.id holds 255
MAX_EVENT_TYPE = 100


@router.post("/billing/stripe-webhook")
async def stripe_webhook(request: Request, db: Db) -> JSONResponse:
    gateway = billing_of(request)
    if gateway is None:
        return JSONResponse({"detail": BILLING_OFF}, status_code=404)
    payload = await request.body()
    if not payload.lstrip().startswith(b"{"):  # stripe's parser fails on a signed JSON array or string
        return JSONResponse({"detail": "the body is not a JSON Stripe event"}, status_code=400)
    try:
        event = gateway.verify(payload, request.headers.get("stripe-signature"))
    except StatusPingError as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    except OverflowError:  # a "created" no date can hold
        return JSONResponse(
            {"detail": "not a Stripe event this endpoint understands: created"}, status_code=400
        )
    if len(event.id) > MAX_EVENT_ID or len(event.type) > MAX_EVENT_TYPE:  # the columns' sizes
        return JSONResponse(
            {"detail": "not a Stripe event this endpoint understands: id or type"}, status_code=400
        )
    outcome = await service.handle_event(db, event, now=now())
    return JSONResponse({"received": True, "id": event.id, "outcome": outcome})
