"""What a new password must be: long enough, not common, and not the user's own email or organization.

Guessability is judged by zxcvbn (Dropbox's estimator, maintained on PyPI as ``zxcvbn``): it knows the
common-password lists, keyboard walks, repeats, dates and l33t spellings, which no hand-typed list
would. It is a pure computation (no I/O), so the policy stays a domain rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from statusping.domain.accounts import check_password
from statusping.domain.errors import InvalidInput

# zxcvbn's scores: 0 "too guessable" (< 10^3 guesses), 1 "very guessable" (< 10^6), 2 "somewhat
# guessable" (< 10^8). With the login throttle an online attacker gets a few dozen tries an hour, so
# 10^6 guesses is out of reach; asking for more mostly makes people write passwords down.
MIN_SCORE = 2
# zxcvbn's cost grows with length and it refuses more than 72 characters; the first 72 characters
# of a password are plenty to judge it.
ESTIMATE_PREFIX = 72
# Shorter pieces of a name ("io", "acme") are too common to refuse on sight; zxcvbn still weighs them.
MIN_PERSONAL_LENGTH = 4

_NOT_ALNUM = re.compile(r"[\W_]+")


def _compact(text: str) -> str:
    return _NOT_ALNUM.sub("", text.casefold())


def personal_words(email: str, org_names: Iterable[str] = ()) -> list[str]:
    """What an attacker who knows the account would try first: the email, its local part, the org."""
    local = email.split("@", 1)[0]
    words = [email, local, *re.split(r"[._+\-]+", local)]
    for name in org_names:
        words += [name, _compact(name), *name.split()]
    return [w.casefold() for w in words if len(w) >= MIN_PERSONAL_LENGTH]


def check_new_password(password: str, *, email: str, org_names: Iterable[str] = ()) -> None:
    """Raise ``InvalidInput`` (field ``password``) saying why a chosen password is refused."""
    check_password(password)
    words = personal_words(email, org_names)
    compact = _compact(password)
    if compact and any(compact == _compact(w) for w in words):
        raise InvalidInput("password must not be your email address or organization name", field="password")
    result = zxcvbn(password[:ESTIMATE_PREFIX], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return
    if any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"]):
        raise InvalidInput(
            "password is too easy to guess: it is built from your email address or organization name",
            field="password",
        )
    warning = str(result["feedback"].get("warning") or "").rstrip(".")
    reason = warning[:1].lower() + warning[1:] if warning else "add another word or two"
    raise InvalidInput(f"password is too easy to guess: {reason}", field="password")
