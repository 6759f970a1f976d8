"""Queries, one module per aggregate. Repositories flush, never commit: the caller owns the unit of work."""
