"""Incident posts as safe HTML: CommonMark with raw HTML off, links that pass no rank and no opener.

markdown-it escapes every ``<`` of the source (``html: False``) and refuses ``javascript:``,
``vbscript:``, ``file:`` and ``data:`` link targets. Images are not rendered (the strict CSP would
block a third-party image anyway, and a page should not make its visitors fetch one): ``![alt](url)``
shows as ``!`` and a link. Rendering is cached per text: the same posts are rendered for every visitor.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def _link_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


_md.add_render_rule("link_open", _link_open)


@lru_cache(maxsize=2048)
def _render(text: str) -> str:
    html: str = _md.render(text)
    return html


def render_markdown(text: Any) -> Markup:
    """HTML for a post's markdown (the result is safe to insert into a page as is)."""
    return Markup(_render(str(text or "")))  # noqa: S704 - markdown-it escapes the source (html off)
