"""``GET /openapi.json``, generated: the paths and methods from the route table (``routes.API``), what each method
takes and answers from its handler's ``ops`` and the pydantic schemas. ``python -m jupyter_infer.server.openapi``
prints it (the lab extension's TypeScript types are generated from that).

OpenAPI 3.1, whose schemas are JSON Schema 2020-12, the dialect pydantic writes. In request schemas null is left
out: a field sent as null counts as not sent, as one left out does.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema

from .._version import __version__
from .routes import API
from .routes._op import Op
from .schemas.responses import Error

REF = "#/components/schemas/{model}"
PATH_PARAMS = {
    "model_id": "a model id, version id or name",
    "dataset_id": "a dataset id, version id or name",
    "version_id": "the dataset version id",
    "job_id": "a job id",
}
MEDIA_SCHEMA = {"text/csv": {"type": "string"}, "application/octet-stream": {"type": "string", "format": "binary"}}
# What every operation shares is declared once, in components, and referenced
ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
ERROR_REF = {"$ref": "#/components/responses/Error"}
PARAM_REF = "#/components/parameters/{name}"


class _Schema(GenerateJsonSchema):
    """pydantic's JSON Schema, without a title on every field, and with request fields not nullable (null means
    "not given") and without a default of null."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def nullable_schema(self, schema: core_schema.NullableSchema) -> Any:
        if self.mode == "validation":
            return self.generate_inner(schema["schema"])
        return super().nullable_schema(schema)

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> Any:
        if self.mode == "validation" and schema.get("default", ...) is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)


def _ops() -> list[tuple[str, str, Op]]:
    return [(path, method, op) for path, handler in API for method, op in getattr(handler, "ops", {}).items()]


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    seen: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for _path, _method, op in _ops():
        for model in (op.body, op.form):
            if model is not None:
                seen[(model, "validation")] = None
        if op.reply is not None:
            seen[(op.reply, "serialization")] = None
    return list(seen)


def _path_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": PATH_PARAMS[name],
    }


def _parameters(path: str, op: Op) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [{"$ref": PARAM_REF.format(name=name)} for name in re.findall(r"\{([^}]+)\}", path)]
    if op.query is not None:
        schema = op.query.model_json_schema(schema_generator=_Schema)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", "")
            prop.pop("default", None)
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop, "description": description}
            )
    return params


def _operation(path: str, op: Op, refs: dict[Any, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for media in op.media:
        if media == "application/json":
            content[media] = {"schema": refs[(op.reply, "serialization")] if op.reply is not None else {}}
        else:
            content[media] = {"schema": MEDIA_SCHEMA.get(media, {}) if op.reply is not None else {}}
    ok: dict[str, Any] = {"description": "Deleted" if op.status == 204 else "OK"}
    if content:
        ok["content"] = content
    out: dict[str, Any] = {
        "summary": op.summary,
        "parameters": _parameters(path, op),
        "responses": {str(op.status): ok, "4XX": ERROR_REF},
    }
    body: dict[str, Any] = {}
    if op.form is not None:
        body["multipart/form-data"] = {"schema": refs[(op.form, "validation")]}
    if op.body is not None:
        body["application/json"] = {"schema": refs[(op.body, "validation")]}
    if op.raw:
        body["application/octet-stream"] = {"schema": {"type": "string", "format": "binary"}}
    if body:
        out["requestBody"] = {"required": True, "content": body}
    if not op.auth:
        out["security"] = []
    return out


# ---- links: the id a route's answer carries is the parameter of the routes that use it ------------------------
_DATASET_USES = [("/datasets/{dataset_id}", "get"), ("/datasets/{dataset_id}/preview", "get"),
                 ("/datasets/{dataset_id}/versions", "get"), ("/datasets/{dataset_id}", "delete")]  # fmt: skip
_MODEL_USES = [("/models/{model_id}", "get"), ("/models/{model_id}/versions", "get"), ("/models/{model_id}/infer", "post"),
               ("/models/{model_id}/infer-async", "post"), ("/models/{model_id}/infer-batch", "post"),
               ("/models/{model_id}", "delete")]  # fmt: skip
_JOB_USES = [("/jobs/{job_id}", "get"), ("/jobs/{job_id}/results", "get"), ("/jobs/{job_id}/results/rows", "get"),
             ("/jobs/{job_id}/results/file", "get"), ("/jobs/{job_id}/cancel", "post")]  # fmt: skip
LINKS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("/datasets", "dataset_id", "dataset_id", _DATASET_USES),
    ("/datasets", "job_id", "job_id", _JOB_USES),
    ("/datasets/upload", "version_id", "version_id", [("/datasets/{version_id}/complete", "post")]),
    ("/datasets/upload", "job_id", "job_id", _JOB_USES),
    ("/models/train", "model_id", "model_id", _MODEL_USES),
    ("/models/train", "job_id", "job_id", _JOB_USES),
    ("/models/{model_id}/infer-async", "job_id", "job_id", _JOB_USES),
    ("/models/{model_id}/infer-batch", "job_id", "job_id", _JOB_USES),
]


def _link(paths: dict[str, Any], producer: str, field: str, param: str, uses: list[tuple[str, str]]) -> None:
    """OpenAPI links: ``field`` of the answer of ``POST producer`` is the ``param`` of each use (clients and
    stateful testers follow them from a created resource to the routes that use it)."""
    responses = paths[producer]["post"]["responses"]
    ok = next(code for code in responses if code.startswith("2"))
    links = responses[ok].setdefault("links", {})
    for path, method in uses:
        name = f"{method.upper()} {path}".replace("{", "").replace("}", "")
        ref = "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method
        links[name] = {"operationRef": ref, "parameters": {param: f"$response.body#/{field}"}}


def openapi(api_base: str = "/jupyter-infer/api") -> dict[str, Any]:
    """The description of every route of the API served at ``api_base``."""
    refs, top = models_json_schema(_models(), ref_template=REF, schema_generator=_Schema)
    paths: dict[str, dict[str, Any]] = {}
    for path, method, op in _ops():
        paths.setdefault(path, {})[method] = _operation(path, op, refs)
    for producer, field, param, uses in LINKS:
        _link(paths, producer, field, param, uses)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "jupyter-infer",
            "version": __version__,
            "description": "A Wood Wide AI-compatible API served by the Jupyter server. Authenticate with the "
            "Jupyter token (Authorization: token|Bearer <token>). Wherever a path takes a model or dataset id it "
            "also takes its name.",
        },
        "servers": [{"url": api_base}],
        "security": [{"jupyterToken": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"jupyterToken": {"type": "http", "scheme": "bearer"}},
            "schemas": top.get("$defs", {}),
            "responses": {"Error": ERROR},
            "parameters": {name: _path_parameter(name) for name in sorted(PATH_PARAMS)},
        },
    }


def main() -> None:
    """Print the document (sorted keys, stable: the lab extension's types are generated from it)."""
    json.dump(openapi(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
