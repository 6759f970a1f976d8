from fastapi import APIRouter

from statusping.web.public import (
    badges,
    branding,
    domains,
    feeds,
    history,
    metrics,
    ping,
    status_pages,
    stripe_webhook,
    subscribe,
)

router = APIRouter(include_in_schema=False)
router.include_router(status_pages.router)
router.include_router(ping.router)
router.include_router(feeds.router)
router.include_router(history.router)
router.include_router(badges.router)
router.include_router(subscribe.router)
router.include_router(branding.router)
router.include_router(domains.router)
router.include_router(metrics.router)
router.include_router(stripe_webhook.router)
