"""Arithmetic on time spans: merge, clip, subtract, measure. The base of honest uptime figures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

Span = tuple[datetime, datetime]


def merge(spans: Iterable[Span]) -> list[Span]:
    ordered = sorted((s, e) for s, e in spans if e > s)
    merged: list[Span] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip(spans: Iterable[Span], start: datetime, end: datetime) -> list[Span]:
    return merge((max(s, start), min(e, end)) for s, e in spans if e > start and s < end)


def subtract(spans: Iterable[Span], holes: Iterable[Span]) -> list[Span]:
    result: list[Span] = []
    cut = merge(holes)
    for start, end in merge(spans):
        cursor = start
        for h_start, h_end in cut:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                result.append((cursor, h_start))
            cursor = max(cursor, h_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def total_seconds(spans: Iterable[Span]) -> float:
    return sum((e - s).total_seconds() for s, e in merge(spans))
