"""``/jobs``: the jobs of every process (filtered, paged by cursor), one job, cancel, prune."""

from __future__ import annotations

from typing import Annotated

from .._handler import BaseHandler, authenticated
from ..schemas import requests as Q
from ..schemas import responses as R
from ..schemas._fields import Request, Str, Whole
from ._op import Op
from ._replies import job_detail


class JobsQuery(Request):
    cursor: Str = None
    limit: Annotated[int | None, Whole(1, 200, 50)] = 50
    status: Str = None
    type: Str = None
    model_id: Str = None
    model_version_id: Str = None
    dataset_version_id: Str = None
    dataset_id: Str = None


class JobsHandler(BaseHandler):
    ops = {"get": Op("List jobs of every process, newest first", R.JobPage, query=JobsQuery)}

    @authenticated
    def get(self) -> None:
        q = self.parse_query(JobsQuery)
        page = self.ctx.queue.jobs_page(
            q.cursor,
            q.limit or 50,
            q.status,
            q.type,
            q.model_id,
            model_version_id=q.model_version_id,
            dataset_version_id=q.dataset_version_id,
            dataset_id=q.dataset_id,
        )
        self.reply(R.JobPage, {**page, "items": [job_detail(j, self.ctx) for j in page["items"]]})


class JobsPruneHandler(BaseHandler):
    ops = {"post": Op("Delete finished jobs and their results older than a number of days", R.Pruned, body=Q.PruneBody)}

    @authenticated
    def post(self) -> None:
        body = self.parse_body(Q.PruneBody)
        self.reply(R.Pruned, {"deleted": self.ctx.queue.prune_jobs(body.older_than_days)})


class JobHandler(BaseHandler):
    ops = {"get": Op("A job (JobDetail)", R.Job)}

    @authenticated
    def get(self, job_id: str) -> None:
        self.reply(R.Job, job_detail(self.ctx.queue.get_job(job_id), self.ctx))


class JobCancelHandler(BaseHandler):
    ops = {"post": Op("Cancel a queued or running job", R.Job)}

    @authenticated
    def post(self, job_id: str) -> None:
        self.json_body()  # no body expected; a stray one must still be valid
        # the server's sync jobs run on this process's runner: its cancel event is set too
        self.reply(R.Job, job_detail(self.ctx.sync.cancel_open_job(job_id), self.ctx))
