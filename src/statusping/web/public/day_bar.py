"""The 90-day bar of a status page component, as HTML built in Python.

A page of 50 components has 4,500 cells; looping over them in Jinja (an attribute lookup, an
escape and a macro frame per cell) was most of the template's time. Here each distinct cell is
written once per render and reused: a quiet day reads the same in every component's bar.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from statusping.domain.status_page import DayCell


def day_bar(days: Sequence[DayCell]) -> Markup:
    """``<li title="…" data-level="…"></li>`` per day, oldest first; the title is the tooltip."""
    return Markup("".join([_cell(cell.summary, cell.level) for cell in days]))  # noqa: S704 - parts escaped in _cell


_CELLS: dict[tuple[str, str], str] = {}


def _cell(summary: str, level: str) -> str:
    key = (summary, level)
    found = _CELLS.get(key)
    if found is None:
        if len(_CELLS) >= 20_000:
            _CELLS.clear()  # a bound, not an eviction policy: days move on, old ones are never asked again
        found = _CELLS[key] = f'<li title="{escape(summary)}" data-level="{escape(level)}"></li>'
    return found
