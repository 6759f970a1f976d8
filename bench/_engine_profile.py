"""Reading a py-spy profile (``--format raw``: collapsed stacks) into shares of the engine's CPU."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

# py-spy frames look like "record (statusping/services/recording.py:77)"; --threads adds a thread frame.
_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")
PACKAGES = (
    ("statusping", "statusping"),
    ("sqlalchemy", "sqlalchemy"),
    ("aiosqlite", "aiosqlite"),
    ("asyncpg", "asyncpg"),
    ("aiohttp", "aiohttp"),
    ("aiohappyeyeballs", "aiohttp"),
    ("yarl", "aiohttp"),
    ("multidict", "aiohttp"),
    ("asyncio", "asyncio"),
    ("selectors", "asyncio"),
    ("socket", "asyncio"),
    ("ssl", "asyncio"),
)


def _name(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame)
    if match is None:
        return frame, ""
    file = match["file"]
    short = "/".join(file.split("/")[-2:])
    return f"{match['func']} ({short})", file


def _package(file: str) -> str:
    for marker, group in PACKAGES:
        if f"/{marker}/" in file or file.startswith(f"{marker}/") or f"/{marker}.py" in file:
            return group
    return "other" if file else "native/thread"


def summarize_collapsed(path: Path, top: int = 25) -> str:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_name(f) for f in stack.split(";")]
        leaf, leaf_file = frames[-1]
        self_time[leaf] += count
        by_package[_package(leaf_file)] += count
        for name in {name for name, _ in frames}:
            inclusive[name] += count
    if total == 0:
        return "py-spy: no samples"

    def share(n: int) -> str:
        return f"{n / total:6.1%}"

    lines = [f"py-spy: {total} samples of the engine process (all threads)", "", "self time by package:"]
    lines += [f"  {share(n)}  {name}" for name, n in by_package.most_common()]
    lines += ["", f"top {top} functions by self time:"]
    lines += [f"  {share(n)}  {name}" for name, n in self_time.most_common(top)]
    lines += ["", f"top {top} functions by inclusive time:"]
    lines += [f"  {share(n)}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)
