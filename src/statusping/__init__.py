"""StatusPing: uptime monitoring with public status pages."""

__version__ = "0.1.0"
