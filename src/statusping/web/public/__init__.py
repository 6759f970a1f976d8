from fastapi import APIRouter

from statusping.web.public import status_pages

router = APIRouter(include_in_schema=False)
router.include_router(status_pages.router)
