"""HTTP: the JSON API, the server-rendered pages and the public surface. Only this package imports FastAPI."""
