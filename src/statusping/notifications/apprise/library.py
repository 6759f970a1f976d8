"""The Apprise import, kept in one place.

Apprise loads its plugins lazily and one of them imports the deprecated ``imghdr`` module; that
DeprecationWarning is Apprise's to fix, so it is silenced here, once, while the plugins load, and
nowhere else (the test suite turns every other warning into an error).
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import apprise
    from apprise.manager_plugins import NotificationManager

    NotificationManager().load_modules()  # type: ignore[no-untyped-call]

__all__ = ["apprise"]
