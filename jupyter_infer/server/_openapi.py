"""``GET /openapi.json``: every route, its parameters and bodies (a test keeps this and the route table in step)."""

from __future__ import annotations

from typing import Any

from .._version import __version__

_ERR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_OBJ = {"type": "object", "additionalProperties": True}


def _q(name: str, schema: dict[str, Any], desc: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}


def _p(name: str, desc: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": desc}


def _json_body(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _multipart(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}, **props},
                    "required": ["file"],
                },
            }
        },
    }


def _op(
    summary: str,
    ok: str = "200",
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    ok_type: str = "application/json",
    security: bool = True,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        ok: {"description": "OK", "content": {ok_type: {"schema": _OBJ if ok_type == "application/json" else {}}}},
        "4XX": _ERR,
    }
    if ok == "204":
        responses[ok] = {"description": "Deleted"}
    op: dict[str, Any] = {"summary": summary, "parameters": params or [], "responses": responses}
    if body:
        op["requestBody"] = body
    if not security:
        op["security"] = []
    return op


_STR = {"type": "string"}
_INT1 = {"type": "integer", "minimum": 1}
_BOOL = {"type": "boolean"}
_OUT = {"type": "string", "enum": ["json", "csv", "parquet"]}
_INFER_FIELDS = {
    "output_type": _OUT,
    "anomaly_format": {"type": "string", "enum": ["ids_only", "per_row"]},
    "k": _INT1,
    "exclude_self_matches": _BOOL,
    "model_version_id": _STR,
    "id_column": _STR,
    "factor_scores": _BOOL,
    "prob_columns": _BOOL,
}
_SYNC_FIELDS = {**_INFER_FIELDS, "response_format": _OUT}
# where a background job runs (also accepted inside "params"); unset: the server's $JUPYTER_INFER_DASK_SCHEDULER,
# else the embedded engine
_EXECUTOR_FIELDS = {
    "executor": {"type": "string", "enum": ["local", "dask"]},
    "scheduler": {"type": "string", "description": "a Dask scheduler address (tcp://host:port), or local"},
    "params": {"type": "object"},
}
_ASYNC_FORM_FIELDS = {
    **_INFER_FIELDS,
    "executor": _EXECUTOR_FIELDS["executor"],
    "scheduler": _EXECUTOR_FIELDS["scheduler"],
}
_LIST = [_q("cursor", _STR), _q("limit", {"type": "integer", "minimum": 1, "maximum": 200}), _q("q", _STR)]
_MID = _p("model_id", "a model id, version id or name")
_DID = _p("dataset_id", "a dataset id, version id or name")
_JID = _p("job_id", "a job id")

PATHS: dict[str, dict[str, Any]] = {
    "/openapi.json": {"get": _op("This description")},
    "/status": {"get": _op("The store, the worker process and the queue")},
    "/files/columns": {
        "get": _op(
            "The column names of a csv/parquet/json file under the server root, from its header (CSV first line, "
            "Parquet schema, JSON keys): {path, format, columns, note}; columns is null when only reading the whole "
            "file would tell, and note says why",
            params=[{**_q("path", _STR, "the file, relative to the server root"), "required": True}],
        )
    },
    "/datasets": {
        "get": _op("List datasets", params=_LIST),
        "post": _op(
            "Create a dataset (or a new version) from a CSV/Parquet/JSON file up to the body cap",
            "201",
            body=_multipart({"dataset_name": _STR, "description": _STR, "dataset_id": _STR, "override": _BOOL}),
        ),
    },
    "/datasets/upload": {
        "post": _op(
            "Prepare a signed-URL upload for a large file",
            "201",
            body=_json_body(
                {
                    "file": {
                        "type": "object",
                        "properties": {"filename": _STR, "bytes": _INT1, "content_type": _STR},
                        "required": ["filename", "bytes"],
                    },
                    "dataset_name": _STR,
                    "dataset_id": _STR,
                    "description": _STR,
                    "override": _BOOL,
                },
                ["file"],
            ),
        ),
    },
    "/datasets/uploads/{version_id}": {
        "put": _op(
            "Upload the file (the signed upload_url; no Authorization header)",
            params=[_p("version_id", "the dataset version"), _q("token", _STR)],
            body={
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            security=False,
        ),
    },
    "/datasets/{version_id}/complete": {
        "post": _op("Start ingesting an uploaded file", params=[_p("version_id", "the dataset version id")]),
    },
    "/datasets/{dataset_id}": {
        "get": _op("A dataset", params=[_DID]),
        "delete": _op("Delete a dataset and its files", "204", params=[_DID]),
    },
    "/datasets/{dataset_id}/preview": {
        "get": _op(
            "The first rows (from offset: extension)",
            params=[
                _DID,
                _q("max_rows", {"type": "integer", "minimum": 1, "maximum": 10000}),
                _q("offset", {"type": "integer", "minimum": 0}, "rows to skip first (extension)"),
            ],
        ),
    },
    "/datasets/{dataset_id}/versions": {"get": _op("A dataset's versions, newest first", params=[_DID])},
    "/models/train": {
        "post": _op(
            "Train a model (a new version when the name exists)",
            "201",
            body=_json_body(
                {
                    "model_type": {
                        "type": "string",
                        "enum": ["prediction", "clustering", "anomaly", "embedding", "search", "factors"],
                    },
                    "dataset_id": _STR,
                    "dataset_version_id": _STR,
                    "label_column": _STR,
                    "input_columns": {"type": "array", "items": _STR},
                    "training_mode": {"type": "string", "enum": ["fast", "best"]},
                    "params": _OBJ,
                    "model_name": _STR,
                    "model_id": _STR,
                    "id_column": _STR,
                    "force_retrain": _BOOL,
                },
                ["model_type"],
            ),
        ),
    },
    "/models": {"get": _op("List models", params=_LIST)},
    "/models/{model_id}": {
        "get": _op("A model", params=[_MID]),
        "delete": _op("Delete a model and all its versions", "204", params=[_MID]),
    },
    "/models/{model_id}/versions": {"get": _op("A model's versions, newest first", params=[_MID])},
    "/models/{model_id}/infer": {
        "post": _op(
            "Sync inference on an uploaded file (≤ the body cap); csv by default",
            params=[_MID],
            body=_multipart(_SYNC_FIELDS),
        ),
    },
    "/models/{model_id}/infer-async": {
        "post": {
            **_op(
                "Async inference on an uploaded file, or on a file under the server root (JSON)", "202", params=[_MID]
            ),
            "requestBody": {
                "required": True,
                "content": {
                    **_multipart(_ASYNC_FORM_FIELDS)["content"],
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["path"],
                            "properties": {"path": _STR, "output_path": _STR, **_INFER_FIELDS, **_EXECUTOR_FIELDS},
                        }
                    },
                },
            },
        },
    },
    "/models/{model_id}/infer-batch": {
        "post": _op(
            "Batch inference on a stored dataset",
            "202",
            params=[_MID],
            body=_json_body(
                {
                    "dataset_id": _STR,
                    "dataset_version_id": _STR,
                    "force_rerun": _BOOL,
                    **_INFER_FIELDS,
                    **_EXECUTOR_FIELDS,
                }
            ),
        ),
    },
    "/jobs": {
        "get": _op(
            "List jobs of every process, newest first",
            params=[
                _q("cursor", _STR),
                _q("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                _q("status", _STR),
                _q("type", _STR),
                _q("model_id", _STR),
                _q("model_version_id", _STR),
                _q("dataset_version_id", _STR),
                _q("dataset_id", _STR),
            ],
        ),
    },
    "/jobs/prune": {
        "post": _op(
            "Delete finished jobs and their results older than a number of days",
            body=_json_body(
                {"older_than_days": {"type": "number", "minimum": 0, "maximum": 36500}}, ["older_than_days"]
            ),
        ),
    },
    "/jobs/{job_id}": {"get": _op("A job (JobDetail)", params=[_JID])},
    "/jobs/{job_id}/cancel": {"post": _op("Cancel a queued or running job", params=[_JID])},
    "/jobs/{job_id}/results": {"get": _op("Result metadata and a signed download URL", params=[_JID])},
    "/jobs/{job_id}/results/rows": {
        "get": _op(
            "A page of result rows",
            params=[
                _JID,
                _q("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                _q("offset", {"type": "integer", "minimum": 0}),
                _q("columns", _STR),
                _q("search", _STR),
                _q("filter_column", _STR),
                _q("filter_value", _STR),
                _q("sort_by", _STR),
                _q("sort_dir", {"type": "string", "enum": ["asc", "desc"]}),
            ],
        ),
    },
    "/jobs/{job_id}/results/file": {
        "get": _op(
            "The result in any format", params=[_JID, _q("output_type", _OUT)], ok_type="application/octet-stream"
        ),
    },
    "/jobs/{job_id}/results/download": {
        "get": _op(
            "The result file (inference_results_uri; signed token, no Authorization header)",
            params=[_JID, _q("output_type", _OUT), _q("token", _STR)],
            ok_type="application/octet-stream",
            security=False,
        ),
    },
}


def _ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _link(producer: str, method: str, expr: str, param: str, consumers: list[tuple[str, str]]) -> None:
    """OpenAPI links: the value at ``expr`` of the producer's answer is the ``param`` of each consumer (clients and
    stateful testers follow them from a created resource to the routes that use it)."""
    op = PATHS[producer][method]
    ok = next(code for code in op["responses"] if code.startswith("2"))
    links = op["responses"][ok].setdefault("links", {})
    for path, m in consumers:
        name = f"{m.upper()} {path}".replace("{", "").replace("}", "")
        links[name] = {"operationRef": _ref(path, m), "parameters": {param: expr}}


_DATASET_USES = [
    ("/datasets/{dataset_id}", "get"),
    ("/datasets/{dataset_id}/preview", "get"),
    ("/datasets/{dataset_id}/versions", "get"),
    ("/datasets/{dataset_id}", "delete"),
]
_MODEL_USES = [
    ("/models/{model_id}", "get"),
    ("/models/{model_id}/versions", "get"),
    ("/models/{model_id}/infer", "post"),
    ("/models/{model_id}/infer-async", "post"),
    ("/models/{model_id}/infer-batch", "post"),
    ("/models/{model_id}", "delete"),
]
_JOB_USES = [("/jobs/{job_id}", "get"), ("/jobs/{job_id}/results", "get"), ("/jobs/{job_id}/results/rows", "get"),
             ("/jobs/{job_id}/results/file", "get"), ("/jobs/{job_id}/cancel", "post")]  # fmt: skip
_link("/datasets", "post", "$response.body#/dataset_id", "dataset_id", _DATASET_USES)
_link("/datasets", "post", "$response.body#/job_id", "job_id", _JOB_USES)
_link(
    "/datasets/upload",
    "post",
    "$response.body#/version_id",
    "version_id",
    [("/datasets/{version_id}/complete", "post")],
)
_link("/datasets/upload", "post", "$response.body#/job_id", "job_id", _JOB_USES)
_link("/models/train", "post", "$response.body#/model_id", "model_id", _MODEL_USES)
_link("/models/train", "post", "$response.body#/job_id", "job_id", _JOB_USES)
for _producer in ("/models/{model_id}/infer-async", "/models/{model_id}/infer-batch"):
    _link(_producer, "post", "$response.body#/job_id", "job_id", _JOB_USES)


def openapi(api_base: str = "/jupyter-infer/api") -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "jupyter-infer",
            "version": __version__,
            "description": "A Wood Wide AI-compatible API served by the Jupyter server. Authenticate with the "
            "Jupyter token (Authorization: token|Bearer <token>). Wherever a path takes a model or dataset id it "
            "also takes its name.",
        },
        "servers": [{"url": api_base}],
        "security": [{"jupyterToken": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"jupyterToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
            },
        },
    }
