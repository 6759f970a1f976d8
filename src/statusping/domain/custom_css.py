"""What a status page's custom CSS (Business) may hold: a stylesheet that styles, never loads or runs.

The CSS is served on its own as ``/s/{slug}/custom.css`` (``text/css``, never inlined in the page),
so it cannot end a ``<style>`` element; the page's Content-Security-Policy (``style-src 'self'``,
``img-src 'self' data:``, ``font-src 'self'``) would also stop any load it tried. On top of that
the text is checked here and refused — not silently rewritten — so the owner sees what was wrong:

- at most ``MAX_LENGTH`` characters, no control characters, no ``<`` (no ``</style``, ``<!--``,
  ``<script``) and balanced ``{ }``;
- no ``@import``, ``@font-face`` or ``@namespace`` (they load things);
- no function that can fetch: ``url()`` only with an inline ``data:image/png|jpeg|gif|webp;base64``
  image (nothing leaves the page), no ``image-set()``, ``image()``, ``src()``, ``cross-fade()``,
  ``element()``;
- no ``expression(``, ``javascript:``, ``vbscript:``, ``behavior:``, ``-moz-binding`` (old
  browsers' ways of running code from CSS).

Every check runs on a normalised copy — comments removed, CSS escapes (``\\69 mport``) decoded,
lower case — so an escape or a comment cannot hide a forbidden word.
"""

from __future__ import annotations

import re

from statusping.domain.errors import InvalidInput

MAX_LENGTH = 20_000
FIELD = "custom_css"

_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)
_FORBIDDEN = (
    ("@import", "@import is not allowed: custom CSS cannot load other stylesheets"),
    ("@font-face", "@font-face is not allowed: custom CSS cannot load fonts"),
    ("@namespace", "@namespace is not allowed"),
    ("expression(", "expression() is not allowed: it runs script in old browsers"),
    ("javascript:", "javascript: is not allowed in custom CSS"),
    ("vbscript:", "vbscript: is not allowed in custom CSS"),
    ("-moz-binding", "-moz-binding is not allowed: it runs script in old browsers"),
    ("image-set(", "image-set() is not allowed: custom CSS cannot load images from elsewhere"),
    ("cross-fade(", "cross-fade() is not allowed: custom CSS cannot load images from elsewhere"),
    ("element(", "element() is not allowed in custom CSS"),
)
_LOADING_FUNCTION = re.compile(r"(?<![\w-])(image|src)\(")
_BEHAVIOR = re.compile(r"(?<![\w-])behavior\s*:")
_URL = re.compile(r"(?<![\w-])url\(")
_DATA_IMAGE = re.compile(r"""\s*(["']?)data:image/(png|jpeg|gif|webp);base64,[a-z0-9+/=\s]*\1\s*\)""")


def _unescape(match: re.Match[str]) -> str:
    if match.group(1):
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return match.group(2)


def normalised(css: str) -> str:
    """The text as a browser reads its tokens: no comments, escapes decoded, lower case."""
    # Comments go without a trace: "@im/**/port" is not an import to a browser, but refusing it costs
    # nobody anything and leaves no reading of the text under which a forbidden word hides.
    return _ESCAPE.sub(_unescape, _COMMENT.sub("", css)).lower()


def _refuse(detail: str) -> InvalidInput:
    return InvalidInput(detail, field=FIELD)


def clean_css(value: object) -> str | None:
    """The stored form of ``custom_css`` (None when blank) or ``InvalidInput`` saying what is refused."""
    text = str(value or "").replace("\r\n", "\n").strip()
    if not text:
        return None
    if len(text) > MAX_LENGTH:
        raise _refuse(f"custom CSS may be at most {MAX_LENGTH:,} characters (this is {len(text):,})")
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise _refuse("control characters are not allowed")
    plain = normalised(text)
    if "<" in plain:
        raise _refuse("“<” is not allowed: custom CSS cannot contain HTML such as </style>")
    if any(ord(c) < 32 and c not in "\n\t" for c in plain):
        raise _refuse("control characters are not allowed")
    for word, detail in _FORBIDDEN:
        if word in plain:
            raise _refuse(detail)
    if _BEHAVIOR.search(plain):
        raise _refuse("behavior is not allowed: it runs script in old browsers")
    if _LOADING_FUNCTION.search(plain):
        raise _refuse("image() and src() are not allowed: custom CSS cannot load anything")
    for found in _URL.finditer(plain):
        if not _DATA_IMAGE.match(plain, found.end()):
            raise _refuse(
                "url() may only hold an inline data:image/png, jpeg, gif or webp (base64): "
                "custom CSS cannot load anything from elsewhere"
            )
    depth = 0
    for c in _strings_removed(plain):
        depth += (c == "{") - (c == "}")
        if depth < 0:
            break
    if depth != 0:
        raise _refuse("the braces { } do not balance")
    return text


_STRING = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")


def _strings_removed(css: str) -> str:
    return _STRING.sub('""', css)
