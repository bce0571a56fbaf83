"""Request and response schemas of the API, declared once with pydantic: they validate requests, shape replies
and are the source of openapi.json (``server/openapi.py``) and of the lab extension's TypeScript types."""

from ._fields import validate

__all__ = ["validate"]
