"""Apprise channel: one URL reaches Slack, Discord, Teams, Telegram, PagerDuty, ntfy and 100+ more."""
