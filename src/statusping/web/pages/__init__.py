from fastapi import APIRouter

from statusping.web.pages import (
    api_keys,
    auth,
    billing,
    channels,
    dashboard,
    incidents,
    landing,
    live,
    maintenance,
    monitors,
    plan_keep,
    security,
    settings,
    status_incidents,
    status_page_admin,
    team,
)

router = APIRouter(include_in_schema=False)
router.include_router(landing.router)
router.include_router(auth.router)
router.include_router(dashboard.router)
router.include_router(live.router)
router.include_router(monitors.router)
router.include_router(channels.router)
router.include_router(maintenance.router)
router.include_router(incidents.router)
router.include_router(settings.router)
router.include_router(billing.router)
router.include_router(api_keys.router)
router.include_router(team.router)
router.include_router(security.router)
router.include_router(plan_keep.router)
router.include_router(status_page_admin.router)
router.include_router(status_incidents.router)
