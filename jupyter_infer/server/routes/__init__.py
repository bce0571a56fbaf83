"""The route table of the API: every path (an OpenAPI template), the handler that serves it, in the order tornado
matches them. Each handler module is one resource; each handler's ``ops`` say what its methods take and answer,
and openapi.json is made from this table and those.

To add a route: a handler in the module of its resource (a method that parses the request with its schema, calls
one method of the client's local backend and replies through its response model), its ``ops``, and a line here.
"""

from __future__ import annotations

import re

from tornado import web

from .datasets import DatasetHandler, DatasetPreviewHandler, DatasetsHandler, DatasetVersionsHandler
from .files import FileColumnsHandler
from .infer import InferAsyncHandler, InferBatchHandler, InferHandler
from .jobs import JobCancelHandler, JobHandler, JobsHandler, JobsPruneHandler
from .meta import NotFoundRoute, OpenAPIHandler, StatusHandler
from .models import ModelHandler, ModelsHandler, ModelVersionsHandler, TrainHandler
from .results import JobResultDownloadHandler, JobResultFileHandler, JobResultRowsHandler, JobResultsHandler
from .uploads import DatasetCompleteHandler, DatasetUploadHandler, UploadPutHandler

# path -> handler; a path parameter ({name}) matches one path segment
API: list[tuple[str, type[web.RequestHandler]]] = [
    ("/openapi.json", OpenAPIHandler),
    ("/status", StatusHandler),
    ("/files/columns", FileColumnsHandler),
    ("/datasets", DatasetsHandler),
    ("/datasets/upload", DatasetUploadHandler),
    ("/datasets/uploads/{version_id}", UploadPutHandler),
    ("/datasets/{version_id}/complete", DatasetCompleteHandler),
    ("/datasets/{dataset_id}/preview", DatasetPreviewHandler),
    ("/datasets/{dataset_id}/versions", DatasetVersionsHandler),
    ("/datasets/{dataset_id}", DatasetHandler),
    ("/models/train", TrainHandler),
    ("/models", ModelsHandler),
    ("/models/{model_id}/versions", ModelVersionsHandler),
    ("/models/{model_id}/infer", InferHandler),
    ("/models/{model_id}/infer-async", InferAsyncHandler),
    ("/models/{model_id}/infer-batch", InferBatchHandler),
    ("/models/{model_id}", ModelHandler),
    ("/jobs", JobsHandler),
    ("/jobs/prune", JobsPruneHandler),
    ("/jobs/{job_id}/cancel", JobCancelHandler),
    ("/jobs/{job_id}/results", JobResultsHandler),
    ("/jobs/{job_id}/results/rows", JobResultRowsHandler),
    ("/jobs/{job_id}/results/file", JobResultFileHandler),
    ("/jobs/{job_id}/results/download", JobResultDownloadHandler),
    ("/jobs/{job_id}", JobHandler),
]


def pattern(path: str) -> str:
    """The tornado pattern of an OpenAPI path template."""
    return re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(path))


# what tornado serves under the API's prefix: the table, then a 404 in the API's shape for anything else
ROUTES: list[tuple[str, type[web.RequestHandler]]] = [(pattern(p), h) for p, h in API] + [(r"(?:/.*)?", NotFoundRoute)]
