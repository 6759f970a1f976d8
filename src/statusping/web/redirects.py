"""Where a page may send the browser after sign-in: only back into this site."""

from __future__ import annotations

DEFAULT_AFTER_LOGIN = "/dashboard"
MAX_NEXT_LENGTH = 2000


def is_local_path(target: str) -> bool:
    """A same-origin path: one leading ``/``, no backslash, no whitespace or control character.

    Browsers drop tabs and newlines from URLs and read ``\\`` as ``/``, so ``/\\t/evil.example`` and
    ``/\\evil.example`` both become ``//evil.example``: another site. Refusing every such character
    (rather than cleaning them) leaves nothing for a browser to reinterpret.
    """
    return (
        0 < len(target) <= MAX_NEXT_LENGTH
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()  # no control, format or separator characters
        and not any(ch.isspace() for ch in target)
    )


def safe_next(target: str | None, default: str = DEFAULT_AFTER_LOGIN) -> str:
    return target if target is not None and is_local_path(target) else default
