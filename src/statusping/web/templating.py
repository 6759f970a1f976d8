from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from statusping.config import Settings
from statusping.web.markdown import render_markdown
from statusping.web.public.day_bar import day_bar

TEMPLATES_DIR = Path(__file__).with_name("templates")


def create_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.globals["app_name"] = "StatusPing"
    templates.env.globals["base_url"] = settings.base_url
    templates.env.filters["markdown"] = render_markdown
    templates.env.filters["day_bar"] = day_bar  # the status page's 90-day bars
    return templates
