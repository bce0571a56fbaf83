"""How a route describes one of its methods for openapi.json: what it takes and what it answers."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class Op:
    """One method of a route. ``reply``: the model of its JSON answer (None: no body, or not JSON: ``media``);
    ``query``, ``body`` (JSON) and ``form`` (multipart): the models of what it takes; ``raw``: it takes the bytes
    of a file; ``auth``: False for the two signed URLs."""

    summary: str
    reply: type[BaseModel] | None = None
    status: int = 200
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    form: type[BaseModel] | None = None
    raw: bool = False
    media: tuple[str, ...] = ("application/json",)
    auth: bool = True
