"""The routes of SPEC §8: Wood Wide's, with their response shapes, and our extensions."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from tornado import web

from .._exceptions import ConflictError, InferError, InputError, NotFoundError, OptionError, TooLargeError
from ..engine import outputs
from ..engine.model import validate_training
from ..engine.options import (
    DASK_SCHEDULER_ENV,
    MODEL_TYPES,
    OUTPUT_TYPES,
    InferOptions,
    check_model_type,
    check_params,
    did_you_mean,
    resolve_executor,
)
from ..store import TERMINAL, new_id
from ..store._db import ago
from ..store._errors import read_stored_table, stored_file
from ..store._lifecycle import LISTED_JOB_TYPES as JOB_TYPES
from ..store._lifecycle import LISTED_STATUSES as JOB_STATUSES
from . import _shapes as S
from ._base import (
    KNOWN_EXT,
    BaseHandler,
    ScrubbedLogs,
    authenticated,
    dumps,
    error_reply,
    parse_bool,
    parse_int,
    safe_filename,
    with_known_extension,
)
from ._files import FileColumnsHandler

CHUNK = 1 << 20
ROWS_MAX = 500


# ---- shared helpers ---------------------------------------------------------------------------------------------
def _cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        n = int(cursor)
    except ValueError:
        raise OptionError(f'cursor "{cursor}" is not one this server gave out.') from None
    if not 0 <= n <= 10**12:
        raise OptionError(f'cursor "{cursor}" is not one this server gave out.')
    return n


def _page(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    page = items[offset : offset + limit]
    nxt = str(offset + limit) if len(items) > offset + limit else None
    return {"items": page, "next_cursor": nxt}


def infer_options(src: dict[str, Any], default_output: str) -> tuple[InferOptions, str | None]:
    """Inference options from a form or JSON body (strings or typed values), and the pinned model version."""
    out = src.get("output_type") or default_output
    if not isinstance(out, str) or out not in OUTPUT_TYPES:
        raise OptionError(f'Unknown output_type "{out}". Use json, csv or parquet.')
    af = src.get("anomaly_format") or None
    if af is not None and not isinstance(af, str):
        raise OptionError("anomaly_format must be a string: ids_only or per_row.")
    idc = src.get("id_column") or None
    if idc is not None and not isinstance(idc, str):
        raise OptionError("id_column must be a column name.")
    mv = src.get("model_version_id") or None
    if mv is not None and not isinstance(mv, str):
        raise OptionError("model_version_id must be a string.")
    opts = InferOptions.build(
        output_type=out,
        anomaly_format=af,
        k=parse_int("k", src.get("k"), lo=1, hi=10_000),
        exclude_self_matches=parse_bool("exclude_self_matches", src.get("exclude_self_matches")),
        id_column=idc,
        factor_scores=parse_bool("factor_scores", src.get("factor_scores")),
        prob_columns=parse_bool("prob_columns", src.get("prob_columns")),
    )
    return opts, mv


def _executor(src: dict[str, Any]) -> tuple[str, str | None]:
    """executor/scheduler of a request, at the top level or inside "params"; what is not chosen falls back to
    this server's $JUPYTER_INFER_DASK_SCHEDULER, else the local engine."""
    raw = src.get("params")  # {"params": {"executor": "dask", "scheduler": ...}} as well as top-level fields
    params: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ex = src.get("executor") or params.get("executor") or None
    sched = src.get("scheduler") or params.get("scheduler") or None
    if ex is not None and not isinstance(ex, str):
        raise OptionError(f'executor must be "local" or "dask", not {ex!r}.')
    executor, scheduler = resolve_executor(ex, sched, os.environ.get(DASK_SCHEDULER_ENV))
    return executor or "local", scheduler


def _str_field(body: dict[str, Any], key: str) -> str | None:
    v = body.get(key)
    if v is None or v == "":
        return None
    if not isinstance(v, str):
        raise OptionError(f"{key} must be a string.")
    return v


def _result_path(job: dict[str, Any]) -> Path:
    if job["status"] != "succeeded":
        raise ConflictError(f"Job {job['id']} has no results: it is {job['status']}.")
    if job["type"] not in ("infer_sync", "infer_batch"):
        raise ConflictError(f"Job {job['id']} is a {job['type']} job; only inference jobs have result files.")
    p = job.get("result_path")
    if not p or not Path(p).exists():
        raise NotFoundError(f"The result of job {job['id']} is no longer stored (pruned or deleted).")
    with _result_file(job):  # a damaged file is a 409 naming the job, before any byte of it is sent
        if Path(p).is_dir():  # a Dask job's Parquet dataset of parts
            pads.dataset(p, format="parquet").count_rows()
        else:
            pq.ParquetFile(p).close()
    return Path(p)


def _result_file(job: dict[str, Any]) -> Any:
    return stored_file(f"the result of job {job['id']}", "run the job again")


# ---- meta -------------------------------------------------------------------------------------------------------
class OpenAPIHandler(BaseHandler):
    @authenticated
    def get(self) -> None:
        from ._openapi import openapi

        self.reply(openapi(self.ctx.api_base))


class StatusHandler(BaseHandler):
    """Extension: the store, the worker process and the queue at a glance."""

    @authenticated
    def get(self) -> None:
        from .._version import __version__

        ctx = self.ctx
        sup = ctx.supervisor
        worker: dict[str, Any] = {"mode": "threads"}
        if sup is not None:
            alive = sup.proc is not None and sup.proc.poll() is None
            worker = {"mode": "process", "pid": sup.pid, "alive": alive, "restarts": sup.restarts}
        counts = {s: ctx.store.count_jobs(status=s) for s in ("queued", "running", "waiting_for_upload")}
        self.reply({"version": __version__, "store": str(ctx.store.home), "root_dir": str(ctx.root), "worker": worker,
                    "jobs": counts, "max_body_bytes": ctx.max_body_bytes})  # fmt: skip


class NotFoundRoute(BaseHandler):
    body = "none"

    def _nf(self, *args: Any) -> None:
        raise web.HTTPError(404, f"No route {self.request.method} {self.request.path} in the jupyter-infer API.")

    get = post = put = delete = patch = authenticated(_nf)


# ---- datasets ---------------------------------------------------------------------------------------------------
class DatasetsHandler(BaseHandler):
    body = "multipart"

    @authenticated
    def get(self) -> None:
        limit = parse_int("limit", self.get_query_argument("limit", None), lo=1, hi=200, default=50) or 50
        offset = _cursor(self.get_query_argument("cursor", None))
        q = self.get_query_argument("q", None)
        items = [S.dataset_out(d) for d in self.ctx.store.list_datasets(q=q, limit=10_000)]
        self.reply(_page(items, offset, limit))

    @authenticated
    def post(self) -> None:
        """Direct upload (multipart ``file`` ≤ the body cap): a new dataset, or a new version of ``dataset_id``."""
        fields, files = self.form()
        f = files.get("file")
        if f is None or not f.get("size"):
            raise InputError('The multipart body needs a non-empty "file" part (CSV, Parquet or JSON).')
        path = with_known_extension(Path(f["path"]))
        out = create_ingest(self, fields, f.get("filename") or path.name, path, status="queued")
        self.keep_upload()
        self.reply(out, 201)


def create_ingest(
    h: BaseHandler, body: dict[str, Any], filename: str, source: Path, status: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    ctx = h.ctx
    st = ctx.store
    ds_ref = _str_field(body, "dataset_id")
    name = _str_field(body, "dataset_name") or _str_field(body, "name")
    if ds_ref:
        name = st.get_dataset(ds_ref)["name"]
    name = name or Path(safe_filename(filename, "dataset")).stem
    description = _str_field(body, "description")
    job_id = new_id("job_")
    ds_id, dsv_id, version = st.create_dataset_version(name, description, filename, job_id)
    request = {"op": "ingest", "source": str(source), "dataset_version_id": dsv_id, "delete_source": True,
               **(extra or {})}  # fmt: skip
    job = st.create_job(
        "dataset_ingest", status=status, id=job_id, dataset_id=ds_id, dataset_name=name, dataset_version_id=dsv_id,
        dataset_version=version, input_filename=filename, owner=ctx.queue.runner.owner, request=request,
    )  # fmt: skip
    if status == "queued":
        ctx.dispatch(job)
    return {
        "id": ds_id, "dataset_id": ds_id, "version_id": dsv_id, "dataset_version_id": dsv_id, "job_id": job_id,
        "status": status, "name": name, "dataset": S.dataset_ref(ds_id, dsv_id, version, name),
    }  # fmt: skip


class DatasetUploadHandler(BaseHandler):
    """Prepare a signed-URL upload: a dataset version and its ingest job, ``waiting_for_upload``."""

    @authenticated
    def post(self) -> None:
        body = self.json_body()
        f = body.get("file")
        if not isinstance(f, dict):
            raise OptionError('The body needs "file": {"filename", "bytes", "content_type"}.')
        filename = f.get("filename")
        if not isinstance(filename, str) or not filename.strip():
            raise OptionError("file.filename must be a non-empty string.")
        size = parse_int("file.bytes", f.get("bytes"), lo=1, hi=1 << 50)
        if size is None:
            raise OptionError("file.bytes (the file size) is required.")
        cap = self.ctx.max_upload_bytes
        if cap is not None and size > cap:
            raise TooLargeError(f"The file is {size} bytes, over this server's upload limit of {cap} bytes.")
        ctype = f.get("content_type") or "application/octet-stream"
        if not isinstance(ctype, str):
            raise OptionError("file.content_type must be a string.")
        safe = safe_filename(filename)
        updir = self.ctx.store.path("uploads", new_id("up_"))
        with self.ctx.store.writing("uploads/"):
            updir.mkdir(parents=True, exist_ok=True)
        source = updir / safe
        seconds = self.ctx.config.signed_url_seconds
        out = create_ingest(self, body, filename, source, status="waiting_for_upload",
                            extra={"expected_bytes": size, "content_type": ctype,
                                   "upload_expires_at": ago(-seconds)})  # fmt: skip
        dsv = out["version_id"]
        token = self.ctx.signer.sign("upload", dsv, seconds)
        out["upload"] = {
            "filename": filename, "bytes": size, "content_type": ctype,
            "upload_url": self.api_url(f"/datasets/uploads/{dsv}?token={token}"),
        }  # fmt: skip
        self.reply(out, 201)


@web.stream_request_body
class UploadPutHandler(ScrubbedLogs):
    """``PUT upload_url``: no Authorization header (the SDK sends none); the signed token in the URL is the
    credential. The body streams to disk and may not exceed the size declared when the upload was prepared."""

    def check_xsrf_cookie(self) -> None:  # the signed token is the credential, not a cookie
        return

    @property
    def ctx(self) -> Any:
        return self.settings["jupyter_infer"]

    def prepare(self) -> None:
        self._file: Any = None
        self._tmp: Path | None = None
        self._received = 0
        self._too_large = False
        self._deferred: BaseException | None = None
        self.set_header("Cache-Control", "no-store")
        try:
            self._prepare_upload()
        except (web.HTTPError, InferError) as e:
            # answered when the method runs, after the body was read and dropped (see BaseHandler.prepare)
            self._deferred = e
            self._too_large = False
            self._file = None
            self._expected = 1 << 20
            self.request.connection.set_max_body_size(1 << 20)  # type: ignore[union-attr]

    def _prepare_upload(self) -> None:
        if self.request.method != "PUT":
            raise web.HTTPError(405, f"{self.request.method} is not allowed here; PUT the file.")
        dsv = self.path_args[0] if self.path_args else ""
        why = self.ctx.signer.check("upload", dsv, self.get_query_argument("token", None))
        if why:
            raise web.HTTPError(403, f"Forbidden: {why}.")
        row = self.ctx.store.db.one("SELECT ingest_job_id FROM dataset_versions WHERE id=?", (dsv,))
        if row is None or not row["ingest_job_id"]:
            raise NotFoundError(f'No upload is waiting for dataset version "{dsv}".')
        job = self.ctx.store.get_job(row["ingest_job_id"])
        if job["status"] != "waiting_for_upload":
            raise ConflictError(f"The upload for {dsv} is already complete (its ingest job is {job['status']}).")
        self._job = job
        self._expected = int(job["request"].get("expected_bytes") or 0)
        self.request.connection.set_max_body_size(self._expected + (1 << 20))  # type: ignore[union-attr]
        length = self.request.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self._expected:
            self._too_large = True
            return
        final = Path(job["request"]["source"])
        self._tmp = final.with_name(f".{final.name}.part-{new_id('')}")  # two PUTs racing each write their own
        with self.ctx.store.writing("uploads/"):
            self._file = open(self._tmp, "wb")  # noqa: SIM115 - closed in put / on_connection_close

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._too_large or self._deferred is not None:
            return
        if self._received > self._expected:
            self._too_large = True
            self._cleanup()
            return
        if self._file is not None:
            try:
                with self.ctx.store.writing("uploads/"):
                    self._file.write(chunk)
            except InferError as e:  # a full disk: answered (507) once the body has been read, not a reset
                self._deferred = e
                self._cleanup()

    def _refuse(self, *args: Any) -> None:
        raise self._deferred or web.HTTPError(405, f"{self.request.method} is not allowed here; PUT the file.")

    _refuse.refusal = True  # type: ignore[attr-defined]  # answers 405 (or the deferred refusal), not a route
    get = post = patch = delete = _refuse

    def put(self, dsv: str) -> None:
        if self._deferred is not None:
            raise self._deferred
        if self._too_large:
            raise TooLargeError(
                f"The upload is larger than the {self._expected} bytes declared in POST /datasets/upload; "
                "prepare a new upload with the right size."
            )
        assert self._file is not None and self._tmp is not None
        with self.ctx.store.writing("uploads/"):
            self._file.close()
        self._file = None
        if not self.ctx.store.accept_upload(self._job["id"], self._tmp, Path(self._job["request"]["source"])):
            job = self.ctx.store.get_job(self._job["id"])
            raise ConflictError(
                f"The upload for {dsv} is already complete or ended (its ingest job is {job['status']}); this PUT "
                "was not used. Prepare a new upload to send the file again."
            )
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"version_id": dsv, "bytes": self._received, "status": "uploaded"}))

    def _cleanup(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:  # a full disk fails the flush too; the part is removed below
                pass
            self._file = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)

    def on_connection_close(self) -> None:
        self._cleanup()

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, InferError):
            status_code = exc.status
        self._cleanup()
        super().send_error(status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error_reply(self, status_code, (kwargs.get("exc_info") or (None, None, None))[1])

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, InferError | web.HTTPError):
            return
        super().log_exception(typ, value, tb)


class DatasetCompleteHandler(BaseHandler):
    @authenticated
    def post(self, ref: str) -> None:
        self.json_body()  # no body expected; a stray one must still be valid
        st = self.ctx.store
        if ref.startswith("dsv_"):
            v = st.db.one("SELECT * FROM dataset_versions WHERE id=?", (ref,))
        else:  # a dataset id or name: its newest version
            d = st.get_dataset(ref)
            v = st.db.one("SELECT * FROM dataset_versions WHERE dataset_id=? ORDER BY version DESC LIMIT 1", (d["id"],))
        if v is None or not v["ingest_job_id"]:
            raise NotFoundError(f'No dataset version "{ref}" is waiting for an upload.')
        job = st.get_job(v["ingest_job_id"])
        if job["status"] == "waiting_for_upload":
            req = dict(job["request"])
            src = Path(req["source"])
            got = src.stat().st_size if src.exists() else 0
            want = int(req.get("expected_bytes") or 0)
            if got == 0 or (want and got != want):
                raise ConflictError(
                    f"The upload for {v['id']} is incomplete: {got} of {want} bytes arrived. PUT the file to its "
                    "upload_url first."
                )
            req["source"] = str(with_known_extension(src))
            queued = st.queue_upload(job["id"], req)
            job = st.get_job(job["id"])
            if queued:
                self.ctx.dispatch(job)
        if job["status"] in ("failed", "canceled"):  # canceled, or its upload URL expired, before /complete
            raise ConflictError(f"The upload for {v['id']} ended {job['status']}: {job['error_message']}.")
        row = st.db.one("SELECT name FROM datasets WHERE id=?", (v["dataset_id"],))
        name = row["name"] if row else None
        self.reply({
            "id": v["dataset_id"], "dataset_id": v["dataset_id"], "version_id": v["id"], "dataset_version_id": v["id"],
            "job_id": job["id"], "status": job["status"],
            "dataset": S.dataset_ref(v["dataset_id"], v["id"], v["version"], name),
        })  # fmt: skip


class DatasetHandler(BaseHandler):
    @authenticated
    def get(self, ref: str) -> None:
        self.reply(S.dataset_out(self.ctx.store.get_dataset(ref)))

    @authenticated
    def delete(self, ref: str) -> None:
        self.ctx.store.delete_dataset(ref)  # its queued and running work is canceled first
        self.set_status(204)
        self.finish()


class DatasetPreviewHandler(BaseHandler):
    @authenticated
    def get(self, ref: str) -> None:
        n = parse_int("max_rows", self.get_query_argument("max_rows", None), lo=1, hi=10_000, default=10) or 10
        offset = parse_int("offset", self.get_query_argument("offset", None), lo=0, hi=10**12, default=0) or 0
        self.reply(self.ctx.sync.preview_dataset(ref, n, offset))


class DatasetVersionsHandler(BaseHandler):
    @authenticated
    def get(self, ref: str) -> None:
        self.reply({"items": [S.dataset_version_out(v) for v in self.ctx.store.dataset_versions(ref)]})


# ---- models -----------------------------------------------------------------------------------------------------
class TrainHandler(BaseHandler):
    @authenticated
    async def post(self) -> None:
        body = self.json_body()
        ctx = self.ctx
        st = ctx.store
        model_type = _str_field(body, "model_type")
        retrain = _str_field(body, "model_id")
        label = _str_field(body, "label_column")
        name = _str_field(body, "model_name") or _str_field(body, "name")
        if retrain:
            m = st.get_model(retrain)
            name = m["name"]
            model_type = model_type or m["model_type"]
            label = label or m["label_column"]
        if not model_type:
            raise OptionError(f"model_type is required: one of {', '.join(MODEL_TYPES)}.")
        check_model_type(model_type)
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise OptionError("params must be an object of training parameters.")
        params = dict(params)
        mode = body.get("training_mode")
        if mode is not None:
            params["training_mode"] = mode
        check_params(model_type, params)
        cols = body.get("input_columns")
        if cols is not None and (not isinstance(cols, list) or not all(isinstance(c, str) for c in cols)):
            raise OptionError("input_columns must be a list of column names.")
        id_column = _str_field(body, "id_column")
        dsv_ref = _str_field(body, "dataset_version_id")
        ds_ref = _str_field(body, "dataset_id") or _str_field(body, "dataset_name")
        if not dsv_ref and not ds_ref:
            raise OptionError("Name the training data: dataset_id (or its name) or dataset_version_id.")
        dsv = st.dataset_version(ds_ref or dsv_ref or "", dsv_ref)
        if dsv["status"] != "ready":
            raise ConflictError(f"Dataset version {dsv['id']} is not ready ({dsv['status']}).")

        # every check that can fail the request, before a model version or job exists (as the embedded engine)
        def validate() -> None:
            validate_training(read_stored_table(dsv), model_type, label, cols, params, id_column)

        await asyncio.get_running_loop().run_in_executor(ctx.pool, validate)
        name = name or f"{model_type}-{dsv['dataset_name']}"
        job_id = new_id("job_")
        mdl_id, mdlv_id, version = st.create_model_version(
            name, model_type, label, dataset_id=dsv["dataset_id"], dataset_version_id=dsv["id"],
            dataset_name=dsv["dataset_name"], training_job_id=job_id, params=params,
        )  # fmt: skip
        job = st.create_job(
            "train", id=job_id, model_id=mdl_id, model_name=name, model_version_id=mdlv_id, model_version=version,
            model_type=model_type, dataset_id=dsv["dataset_id"], dataset_name=dsv["dataset_name"],
            dataset_version_id=dsv["id"], dataset_version=dsv["version"], owner=ctx.queue.runner.owner,
            request={
                "op": "train", "dataset_version_id": dsv["id"], "model_version_id": mdlv_id, "model_type": model_type,
                "label_column": label, "input_columns": cols, "params": params, "id_column": id_column,
            },
        )  # fmt: skip
        ctx.dispatch(job)
        self.reply({
            "id": mdl_id, "model_id": mdl_id, "version_id": mdlv_id, "model_version_id": mdlv_id, "job_id": job_id,
            "status": job["status"], "name": name, "woodwide_runtime_version": S.RUNTIME_VERSION,
            "model": S.model_ref(mdl_id, mdlv_id, version, name),
        }, 201)  # fmt: skip


class ModelsHandler(BaseHandler):
    @authenticated
    def get(self) -> None:
        limit = parse_int("limit", self.get_query_argument("limit", None), lo=1, hi=200, default=50) or 50
        offset = _cursor(self.get_query_argument("cursor", None))
        q = self.get_query_argument("q", None)
        items = [S.model_out(m) for m in self.ctx.store.list_models(q=q, limit=10_000)]
        self.reply(_page(items, offset, limit))


class ModelHandler(BaseHandler):
    @authenticated
    def get(self, ref: str) -> None:
        self.reply(S.model_out(self.ctx.store.get_model(ref)))

    @authenticated
    def delete(self, ref: str) -> None:
        self.ctx.store.delete_model(ref)  # its queued and running work is canceled first
        self.set_status(204)
        self.finish()


class ModelVersionsHandler(BaseHandler):
    @authenticated
    def get(self, ref: str) -> None:
        self.reply({"items": [S.model_version_out(v) for v in self.ctx.store.model_versions(ref)]})


class InferHandler(BaseHandler):
    """Sync inference on an uploaded CSV/Parquet/JSON file (≤ the body cap). It runs in the server process on a
    small thread pool, so it never blocks the event loop; larger inputs belong on the async path."""

    body = "multipart"

    @authenticated
    async def post(self, ref: str) -> None:
        fields, files = self.form()
        f = files.get("file")
        if f is None or not f.get("size"):
            raise InputError('The multipart body needs a non-empty "file" part (CSV, Parquet or JSON).')
        opts, mv = infer_options(fields, default_output="csv")
        # extension: the body's encoding when it differs from the output_type recorded on the job (our remote
        # client always takes parquet, whose types survive the trip)
        wire = fields.get("response_format") or opts.output_type
        if wire not in OUTPUT_TYPES:
            raise OptionError(f'Unknown response_format "{wire}". Use json, csv or parquet.')
        ctx = self.ctx
        m, v = ctx.store.model_version(ref, mv)
        opts.resolve(m["model_type"])
        path = with_known_extension(Path(f["path"]))
        t0 = time.monotonic()
        loop = asyncio.get_running_loop()
        cfg = ctx.config
        from ._limits import check_sync

        # rows and output size, known before any decoding or scoring (the body cap bounds compressed bytes only)
        await loop.run_in_executor(ctx.pool, check_sync, path, m, v, opts.resolve(m["model_type"]),
                                   cfg.max_sync_rows, int(cfg.max_sync_output_mb * (1 << 20)))  # fmt: skip

        def run() -> tuple[Any, bytes]:
            res = ctx.sync.infer(m["id"], str(path), opts, v["id"])
            if wire == "json":
                return res, b""
            return res, res.encode(wire)

        res, data = await loop.run_in_executor(ctx.pool, run)
        if wire == "json":
            meta = res.meta

            def envelope() -> str:
                env: dict[str, Any] = {
                    "data": res.to_json(), "model_id": meta.get("model_id"), "model_name": meta.get("model_name"),
                    "model_version_id": meta.get("model_version_id"), "model_type": meta.get("model_type"),
                    "job_id": meta.get("job_id"), "status": "succeeded",
                    "latency_ms": round(1000 * (time.monotonic() - t0), 1),
                    "reconciliation": res.reconciliation, "rows": len(res),
                }  # fmt: skip
                env.update(res.descriptions)
                return dumps(env)

            text = await loop.run_in_executor(ctx.pool, envelope)
            self.finish(text)
        elif wire == "csv":
            self.set_header("Content-Disposition", f'attachment; filename="{res.job_id}.csv"')
            self.finish(data, set_content_type="text/csv; charset=utf-8")
        else:
            self.set_header("Content-Disposition", f'attachment; filename="{res.job_id}.parquet"')
            self.finish(data, set_content_type="application/octet-stream")


class InferAsyncHandler(BaseHandler):
    """A background ``infer_batch`` job on an uploaded file (multipart, streamed to disk) or, our extension, on a
    file under the server root (JSON ``{"path": ..., "output_path": ...}``)."""

    body = "either"

    def prepare(self) -> Any:  # type: ignore[override]
        self.body_limit = self.ctx.max_upload_bytes or (1 << 62)
        return super().prepare()

    @authenticated
    def post(self, ref: str) -> None:
        ctx = self.ctx
        if self._mode() == "multipart":
            fields, files = self.form()
            f = files.get("file")
            if f is None or not f.get("size"):
                raise InputError('The multipart body needs a non-empty "file" part (CSV, Parquet or JSON).')
            opts, mv = infer_options(fields, default_output="parquet")
            executor, scheduler = _executor(fields)
            m, _v = ctx.store.model_version(ref, mv)
            opts.resolve(m["model_type"])
            path = with_known_extension(Path(f["path"]))
            job = ctx.queue._infer_job(
                m["id"], {"path": str(path), "delete_after": True}, f.get("filename") or path.name, opts, mv,
                executor, scheduler,
            )  # fmt: skip
            self.keep_upload()
        else:
            body = self.json_body()
            rel = body.get("path")
            if not isinstance(rel, str) or not rel:
                raise OptionError('Send a multipart "file" or JSON {"path": "<file under the server root>"}.')
            opts, mv = infer_options(body, default_output="parquet")
            executor, scheduler = _executor(body)
            m, _v = ctx.store.model_version(ref, mv)
            opts = opts.resolve(m["model_type"])
            src = ctx.resolve_in_root(rel, "path")
            if not src.is_file():
                raise InputError(f"{rel} is a directory, not a data file.")
            if src.suffix.lower() not in KNOWN_EXT:
                raise InputError(f"{rel}: unsupported file type {src.suffix or '(none)'}; use .csv, .parquet or .json.")
            out_rel = body.get("output_path")
            if out_rel is None or out_rel == "":
                dest = free_output_name(src, m["name"], opts.output_type)
            else:
                if not isinstance(out_rel, str):
                    raise OptionError("output_path must be a path under the server root.")
                dest = ctx.resolve_in_root(out_rel, "output_path", must_exist=False)
                if dest.exists():
                    raise ConflictError(f"Output file exists: {out_rel}")
                if not dest.parent.is_dir():
                    raise NotFoundError(f"The folder of output_path does not exist: {Path(out_rel).parent}")
            # the root travels with the job: the worker opens both paths again from it, following no link
            job = ctx.queue._infer_job(
                m["id"], {"path": str(src)}, src.name, opts, mv, executor, scheduler,
                extra={"output_path": str(dest), "root": str(ctx.root)},
            )  # fmt: skip
        self.reply(_infer_job_reply(job), 202)


def free_output_name(src: Path, model_name: str, fmt: str) -> Path:
    """``<stem>.<model name>.<format>`` beside the input, or ``-1``, ``-2``, ... when taken."""
    safe = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in model_name)
    for n in range(10_000):
        cand = src.with_name(f"{src.stem}.{safe}{'' if n == 0 else f'-{n}'}.{fmt}")
        if not cand.exists():
            return cand
    raise ConflictError(f"No free output file name next to {src.name}.")


def _infer_job_reply(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "job_id": job["id"], "id": job["id"], "status": job["status"], "model_version_id": job["model_version_id"],
        "model": S.model_ref(job["model_id"], job["model_version_id"], job.get("model_version") or 0, job["model_name"]),
        "type": job["type"],
    }  # fmt: skip


class InferBatchHandler(BaseHandler):
    @authenticated
    def post(self, ref: str) -> None:
        body = self.json_body()
        ctx = self.ctx
        st = ctx.store
        opts, mv = infer_options(body, default_output="parquet")
        executor, scheduler = _executor(body)
        dsv_ref = _str_field(body, "dataset_version_id")
        ds_ref = _str_field(body, "dataset_id") or _str_field(body, "dataset_name")
        if not dsv_ref and not ds_ref:
            raise OptionError("Name the data to score: dataset_id (or its name) or dataset_version_id.")
        m, v = st.model_version(ref, mv)
        opts = opts.resolve(m["model_type"])
        dsv = st.dataset_version(ds_ref or dsv_ref or "", dsv_ref)
        if dsv["status"] != "ready":
            raise ConflictError(f"Dataset version {dsv['id']} is not ready ({dsv['status']}).")
        if not parse_bool("force_rerun", body.get("force_rerun")):
            for j in st.list_jobs(type="infer_batch", limit=200, model_id=m["id"]):
                r = j.get("request") or {}
                if (j["status"] in ("queued", "running", "succeeded") and j["model_version_id"] == v["id"]
                        and (r.get("source") or {}).get("dataset_version_id") == dsv["id"]
                        and r.get("options") == opts.to_dict() and r.get("executor", "local") == executor):  # fmt: skip
                    self.reply(_infer_job_reply(j), 200)
                    return
        job = ctx.queue._infer_job(
            m["id"], {"dataset_version_id": dsv["id"]}, dsv["dataset_name"], opts, v["id"], executor, scheduler
        )
        self.reply(_infer_job_reply(job), 202)


# ---- jobs -------------------------------------------------------------------------------------------------------
class JobsHandler(BaseHandler):
    @authenticated
    def get(self) -> None:
        st = self.ctx.store
        limit = parse_int("limit", self.get_query_argument("limit", None), lo=1, hi=200, default=50) or 50
        offset = _cursor(self.get_query_argument("cursor", None))
        where, args = [], []
        status = self.get_query_argument("status", None)
        if status:
            if status not in JOB_STATUSES:
                raise OptionError(
                    f'Unknown job status "{status}"; use one of {", ".join(JOB_STATUSES)}.'
                    + did_you_mean(status, JOB_STATUSES)
                )
            where.append("status=?")
            args.append(status)
        typ = self.get_query_argument("type", None)
        if typ:
            if typ not in JOB_TYPES:
                raise OptionError(
                    f'Unknown job type "{typ}"; use one of {", ".join(JOB_TYPES)}.' + did_you_mean(typ, JOB_TYPES)
                )
            where.append("type=?")
            args.append(typ)
        model = self.get_query_argument("model_id", None)
        if model:
            where.append("model_id=?")
            args.append(model if model.startswith("mdl_") else st.get_model(model)["id"])
        for col in ("model_version_id", "dataset_version_id", "dataset_id"):
            val = self.get_query_argument(col, None)
            if val:
                where.append(f"{col}=?")
                args.append(val)
        st.sweep_stale()
        sql = "SELECT * FROM jobs" + (f" WHERE {' AND '.join(where)}" if where else "")
        rows = st.db.query(sql + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", [*args, limit + 1, offset])
        items = [S.job_out(st._job_dict(r), self.ctx) for r in rows[:limit]]
        self.reply({"items": items, "next_cursor": str(offset + limit) if len(rows) > limit else None})


class JobsPruneHandler(BaseHandler):
    @authenticated
    def post(self) -> None:
        body = self.json_body()
        days = body.get("older_than_days")
        if isinstance(days, bool) or not isinstance(days, int | float) or not 0 <= days <= 36_500:
            raise OptionError("older_than_days must be a number of days from 0 to 36500.")
        self.reply({"deleted": self.ctx.store.prune_jobs(float(days))})


class JobHandler(BaseHandler):
    @authenticated
    def get(self, job_id: str) -> None:
        self.reply(S.job_out(self.ctx.store.get_job(job_id), self.ctx))


class JobCancelHandler(BaseHandler):
    @authenticated
    def post(self, job_id: str) -> None:
        self.json_body()
        job = self.ctx.store.get_job(job_id)
        if job["status"] in TERMINAL:
            raise ConflictError(f"Job {job_id} already ended: it is {job['status']}.")
        # sets this process's cancel event too (sync jobs run here); a job waiting for its upload ends at once,
        # its dataset version failed and its bytes removed
        self.ctx.sync.cancel_job(job_id)
        self.reply(S.job_out(self.ctx.store.get_job(job_id), self.ctx))


class JobResultsHandler(BaseHandler):
    @authenticated
    def get(self, job_id: str) -> None:
        job = self.ctx.store.get_job(job_id)
        if job["status"] != "succeeded":
            raise ConflictError(f"Job {job_id} has no results: it is {job['status']}.")
        out: dict[str, Any] = {"job_type": job["type"], "job_id": job_id, "status": job["status"]}
        if job["type"] == "train":
            v = self.ctx.store.model_version(job["model_id"], job["model_version_id"])[1]
            out["training_results"] = {"metrics": v.get("metrics"), "model_id": job["model_id"],
                                       "model_version_id": job["model_version_id"]}  # fmt: skip
        elif job["type"] == "dataset_ingest":
            v = self.ctx.store.dataset_version(job["dataset_version_id"])
            out["dataset_ingest_results"] = {"row_count": v.get("row_count"), "byte_size": v.get("byte_size"),
                                             "schema": v.get("schema_json")}  # fmt: skip
        else:
            path = _result_path(job)
            fmt = job.get("output_type") or "parquet"
            token = self.ctx.signer.sign("result", f"{job_id}:{fmt}", self.ctx.config.signed_url_seconds)
            out["inference_results_uri"] = self.api_url(
                f"/jobs/{job_id}/results/download?output_type={fmt}&token={token}"
            )
            out["output_type"] = fmt
            out["row_paginatable"] = True
            with _result_file(job):
                out["summary"] = {"total_row_count": pads.dataset(str(path), format="parquet").count_rows()}
            meta = job.get("result_meta") or {}
            out["descriptions"] = {k: json.dumps(v) for k, v in (meta.get("descriptions") or {}).items()}
            out["reconciliation"] = meta.get("reconciliation")
            out["output_path"] = S.job_out(job, self.ctx)["output_path"]
        self.reply(out)


class _ResultFile:
    """Streams a stored result in a format: parquet as stored, csv batch by batch, json whole."""

    async def send_result(self, h: web.RequestHandler, job: dict[str, Any], fmt: str, pool: Any) -> None:
        if fmt not in OUTPUT_TYPES:
            raise OptionError(f'Unknown output_type "{fmt}". Use json, csv or parquet.')
        path = _result_path(job)
        h.set_header("Content-Disposition", f'attachment; filename="{job["id"]}.{fmt}"')
        loop = asyncio.get_running_loop()
        if fmt == "parquet":
            h.set_header("Content-Type", "application/octet-stream")
            if path.is_dir():  # a Dask job's Parquet dataset (parts + _common_metadata): sent as one file
                t = await loop.run_in_executor(pool, outputs.read_result_table, path)
                body = outputs.to_parquet_bytes(t, outputs.read_metadata(t.schema.metadata))
                h.set_header("Content-Length", str(len(body)))
                h.write(body)
            else:
                h.set_header("Content-Length", str(path.stat().st_size))
                with open(path, "rb") as f:
                    while chunk := f.read(CHUNK):
                        h.write(chunk)
                        await h.flush()
        elif fmt == "csv":
            h.set_header("Content-Type", "text/csv; charset=utf-8")
            pf = pads.dataset(str(path), format="parquet")  # one file, or a Dask job's directory of parts
            first = True
            for rb in pf.to_batches(batch_size=65_536):
                data = outputs.to_csv_bytes(pa.Table.from_batches([rb]))
                if not first:
                    data = data[data.find(b"\n") + 1 :]
                first = False
                h.write(data)
                await h.flush()
            if first:  # no rows: the header alone
                h.write(outputs.to_csv_bytes(pf.schema.empty_table()))
        else:
            h.set_header("Content-Type", "application/json")

            def encode() -> bytes:
                with _result_file(job):
                    t = outputs.read_result_table(path)  # a file, or a Dask job's directory of parts
                meta = outputs.read_metadata(t.schema.metadata)
                return outputs.encode(t.replace_schema_metadata(None), {**meta, "model_type": job.get("model_type")},
                                      "json")  # fmt: skip

            h.write(await loop.run_in_executor(pool, encode))
        h.finish()


class JobResultFileHandler(BaseHandler, _ResultFile):
    @authenticated
    async def get(self, job_id: str) -> None:
        job = self.ctx.store.get_job(job_id)
        fmt = self.get_query_argument("output_type", None) or job.get("output_type") or "parquet"
        await self.send_result(self, job, fmt, self.ctx.pool)

    def finish(self, *args: Any, **kwargs: Any) -> Any:  # keep the content type set for the format
        return web.RequestHandler.finish(self, *args, **kwargs)


class JobResultDownloadHandler(ScrubbedLogs, _ResultFile):
    """``inference_results_uri``: the one route without Jupyter auth; its signed, expiring token names the job
    and the format (the SDK fetches it with a bare HTTP client)."""

    @property
    def ctx(self) -> Any:
        return self.settings["jupyter_infer"]

    async def get(self, job_id: str) -> None:
        fmt = self.get_query_argument("output_type", None) or "parquet"
        why = self.ctx.signer.check("result", f"{job_id}:{fmt}", self.get_query_argument("token", None))
        if why:
            raise web.HTTPError(403, f"Forbidden: {why}.")
        self.set_header("Cache-Control", "no-store")
        await self.send_result(self, self.ctx.store.get_job(job_id), fmt, self.ctx.pool)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, InferError):
            status_code = exc.status
        super().send_error(status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error_reply(self, status_code, (kwargs.get("exc_info") or (None, None, None))[1])

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, InferError | web.HTTPError):
            return
        super().log_exception(typ, value, tb)


class JobResultRowsHandler(BaseHandler):
    @authenticated
    async def get(self, job_id: str) -> None:
        job = self.ctx.store.get_job(job_id)
        path = _result_path(job)
        limit = parse_int("limit", self.get_query_argument("limit", None), lo=1, default=100) or 100
        limit = min(limit, ROWS_MAX)
        offset = parse_int("offset", self.get_query_argument("offset", None), lo=0, hi=10**12, default=0) or 0
        columns: list[str] = []
        for c in self.get_query_arguments("columns"):
            columns += [x.strip() for x in c.split(",") if x.strip()]
        search = self.get_query_argument("search", None) or None
        fcol = self.get_query_argument("filter_column", None) or None
        fval = self.get_query_argument("filter_value", None)
        sort_by = self.get_query_argument("sort_by", None) or None
        sort_dir = (self.get_query_argument("sort_dir", None) or "asc").lower()
        if sort_dir not in ("asc", "desc", "ascending", "descending"):
            raise OptionError(f'sort_dir must be asc or desc, not "{sort_dir}".')

        def run() -> dict[str, Any]:
            with _result_file(job):
                t = pq.read_table(path).replace_schema_metadata(None)
            total = t.num_rows
            mask = None
            if fcol and fcol in t.column_names and fval is not None:
                mask = _eq_str(t[fcol], fval)
            if search:
                hit = None
                for name in t.column_names:
                    col = _as_str(t[name])
                    if col is None:
                        continue
                    m = pc.fill_null(pc.match_substring(col, search, ignore_case=True), False)
                    hit = m if hit is None else pc.or_(hit, m)
                hit = hit if hit is not None else pa.array([False] * total)
                mask = hit if mask is None else pc.and_(mask, hit)
            if mask is not None:
                t = t.filter(mask)
            if sort_by and sort_by in t.column_names:
                order = "descending" if sort_dir.startswith("desc") else "ascending"
                try:
                    t = t.take(pc.sort_indices(t, sort_keys=[(sort_by, order)]))
                except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
                    raise OptionError(f'Cannot sort by "{sort_by}" (its values are not comparable).') from None
            keep = [c for c in columns if c in t.column_names]
            if keep:
                t = t.select(keep)
            page = t.slice(offset, limit)
            return {"rows": page.to_pylist(), "limit": limit, "offset": offset, "total": total,
                    "total_filtered": t.num_rows, "columns": t.column_names}  # fmt: skip

        out = await asyncio.get_running_loop().run_in_executor(self.ctx.pool, run)
        self.reply(out)


def _as_str(col: Any) -> Any:
    try:
        return pc.cast(col, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return None


def _eq_str(col: Any, value: str) -> Any:
    s = _as_str(col)
    if s is None:
        return pa.array([False] * len(col))
    if pa.types.is_boolean(col.type):
        value = value.lower()
    return pc.fill_null(pc.equal(s, value), False)


# ---- the route table ----------------------------------------------------------------------------------------------
ID = r"([^/]+)"
ROUTES: list[tuple[str, type[web.RequestHandler]]] = [
    (r"/openapi\.json", OpenAPIHandler),
    (r"/status", StatusHandler),
    (r"/files/columns", FileColumnsHandler),
    (r"/datasets", DatasetsHandler),
    (r"/datasets/upload", DatasetUploadHandler),
    (rf"/datasets/uploads/{ID}", UploadPutHandler),
    (rf"/datasets/{ID}/complete", DatasetCompleteHandler),
    (rf"/datasets/{ID}/preview", DatasetPreviewHandler),
    (rf"/datasets/{ID}/versions", DatasetVersionsHandler),
    (rf"/datasets/{ID}", DatasetHandler),
    (r"/models/train", TrainHandler),
    (r"/models", ModelsHandler),
    (rf"/models/{ID}/versions", ModelVersionsHandler),
    (rf"/models/{ID}/infer", InferHandler),
    (rf"/models/{ID}/infer-async", InferAsyncHandler),
    (rf"/models/{ID}/infer-batch", InferBatchHandler),
    (rf"/models/{ID}", ModelHandler),
    (r"/jobs", JobsHandler),
    (r"/jobs/prune", JobsPruneHandler),
    (rf"/jobs/{ID}/cancel", JobCancelHandler),
    (rf"/jobs/{ID}/results", JobResultsHandler),
    (rf"/jobs/{ID}/results/rows", JobResultRowsHandler),
    (rf"/jobs/{ID}/results/file", JobResultFileHandler),
    (rf"/jobs/{ID}/results/download", JobResultDownloadHandler),
    (rf"/jobs/{ID}", JobHandler),
    (r"(?:/.*)?", NotFoundRoute),
]
