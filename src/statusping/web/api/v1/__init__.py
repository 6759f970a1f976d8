from fastapi import APIRouter

from statusping.web.api.v1 import (
    alerting,
    api_keys,
    auth,
    billing,
    maintenances,
    me,
    members,
    monitor_pings,
    monitor_views,
    monitors,
    organization,
    status_incidents,
    status_pages,
)

router = APIRouter(prefix="/api/v1")
router.include_router(auth.router)
router.include_router(me.router)
router.include_router(members.router)
router.include_router(organization.router)
router.include_router(monitors.router)
router.include_router(monitor_views.router)
router.include_router(monitor_pings.router)
router.include_router(maintenances.router)
router.include_router(alerting.router)
router.include_router(status_pages.router)
router.include_router(status_incidents.router)
router.include_router(api_keys.router)
router.include_router(billing.router)
