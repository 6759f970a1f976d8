"""Use-cases that combine domain rules and storage. They flush; the caller commits."""
