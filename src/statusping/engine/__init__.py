"""The check engine: decides what is due, runs checks through one guarded HTTP seam, records results."""
