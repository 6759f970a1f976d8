"""What a status page's address, branding and custom domain may be: pure checks and the theme.

Each ``clean_*`` returns the stored form or raises ``InvalidInput`` naming the API field.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from statusping.domain.errors import InvalidInput

SLUG_MIN, SLUG_MAX = 3, 60
LOGO_URL_MAX = 500
# Words that read as part of the product, not a customer's page (and paths we may want one day).
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "badge", "badges", "billing", "dashboard", "docs", "help",
        "internal", "login", "logout", "mail", "metrics", "new", "ping", "settings", "signup",
        "static", "status", "statusping", "support", "www",
    }
)  # fmt: skip
VERIFY_PREFIX = "_statusping"

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_COLOR = re.compile(r"#[0-9a-f]{6}")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def clean_slug(value: object) -> str:
    text = str(value or "").strip().lower()
    if not SLUG_MIN <= len(text) <= SLUG_MAX or not _SLUG.fullmatch(text):
        raise InvalidInput(
            f"slug must be {SLUG_MIN}–{SLUG_MAX} lowercase letters, digits and hyphens, "
            "starting and ending with a letter or digit",
            field="slug",
        )
    if text in RESERVED_SLUGS:
        raise InvalidInput(f"the slug {text!r} is reserved: choose another", field="slug")
    return text


def clean_color(value: object) -> str | None:
    text = str(value or "").strip().lower()
    if not text:
        return None
    if not _COLOR.fullmatch(text):
        raise InvalidInput("brand_color must be a colour like #1d4ed8", field="brand_color")
    return text


def clean_logo_url(value: object) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) > LOGO_URL_MAX:
        raise InvalidInput(f"logo_url must be at most {LOGO_URL_MAX} characters", field="logo_url")
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise InvalidInput("logo_url must be an https:// address of an image", field="logo_url")
    if any(c in text for c in " \"'<>\\") or not text.isprintable():
        raise InvalidInput("logo_url contains characters a URL cannot hold", field="logo_url")
    return text


def logo_origin(url: str) -> str:
    """``https://host[:port]``, as a Content-Security-Policy source."""
    parts = urlsplit(url)
    return f"https://{parts.netloc.lower()}"


def clean_domain(value: object, our_host: str) -> str | None:
    """A hostname of at least two labels, not an address, not ours (nor under ours)."""
    text = str(value or "").strip().lower().rstrip(".")
    if not text:
        return None
    labels = text.split(".")
    if (
        len(text) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidInput(
            "custom_domain must be a host name such as status.example.com", field="custom_domain"
        )
    ours = our_host.lower().rstrip(".")
    if ours and (text == ours or text.endswith("." + ours)):
        raise InvalidInput(f"custom_domain cannot be {ours} or a name under it", field="custom_domain")
    return text


def verification_name(domain: str) -> str:
    return f"{VERIFY_PREFIX}.{domain}"


def _luminance(color: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def theme_css(color: str) -> str:
    """The page's stylesheet for a brand colour: a band behind the page's header in that colour with
    text in white or near-black (whichever reads better), and the colour on links where it keeps
    4.5:1 against the light background. No value here comes from anything but ``#rrggbb``."""
    color = clean_color(color) or "#0f172a"
    text = "#ffffff" if contrast(color, "#ffffff") >= contrast(color, "#0f172a") else "#0f172a"
    lines = [
        f":root{{--brand:{color};--brand-text:{text}}}",
        ".brand-header{background:var(--brand);color:var(--brand-text);border-color:var(--brand)}",
        ".brand-header *{color:inherit}",
    ]
    if contrast(color, "#ffffff") >= 4.5:
        # Public pages follow the system's scheme (no class on <html>); a light one has the contrast.
        lines.append("@media (prefers-color-scheme: light){.brand-links a{color:var(--brand)}}")
    return "\n".join(lines) + "\n"
