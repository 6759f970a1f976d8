"""Outbound connections every driver shares: the guarded HTTP seam and its failure wording.

The engine's checks, the dispatcher's webhooks and the web's check-now all connect through here, so the
SSRF guard and the timing breakdown hold the same everywhere."""
