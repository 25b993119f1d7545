"""Pydantic models of the HTTP API, one module per resource: ``XCreate`` (or
``XPut``) in, ``XOut`` out, ``XPage`` for lists."""
