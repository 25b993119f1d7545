"""The HTTP API (API.md), thin over the service handlers.

- ``app.py``: ``create_app(store, settings)``; ``app_from_env`` for uvicorn.
- ``routes/``: one router per resource; ``schemas/``: their Pydantic models.
- ``commands.py``: runs a handler in one transaction with its
  ``Idempotency-Key`` record (``idempotency.py``) and maps the outcome once.
- ``problems.py``: every error as an RFC 9457 problem document.
- ``middleware.py``: API keys and the body size limit; ``jobs.py``: the daily
  jobs of an unfrozen calendar; ``server.py`` / ``__main__.py``: serving.
"""
