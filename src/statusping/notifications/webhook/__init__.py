"""Webhook channel: the event as signed JSON, POSTed through the engine's guarded HTTP client."""
