"""Mails to status page subscribers: the confirmation and page notices, with one-click unsubscribe."""
