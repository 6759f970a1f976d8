"""The alerting routes in one router, so mounting them is one line in ``api/v1/__init__.py``."""

from fastapi import APIRouter

from statusping.web.api.v1 import channels, monitor_alerts, notifications

router = APIRouter()
router.include_router(channels.router)
router.include_router(notifications.router)
router.include_router(monitor_alerts.router)
