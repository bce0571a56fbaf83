"""``%infer_status [JOB_ID]``: a live table of recent jobs, or one job in detail (``--wait``, ``--cancel``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.display import display

from .._exceptions import InputError, OptionError
from ..client import InferenceResult
from ._display import ResultView
from ._progress import BACKGROUND, Watcher
from ._status import JobCard, JobsTable

if TYPE_CHECKING:
    from argparse import Namespace

    from ._magics import InferMagics


def run(magics: InferMagics, args: Namespace) -> Any:
    client = magics.client
    if args.job_id is None:
        if args.wait or args.cancel:
            raise OptionError("--wait and --cancel need a JOB_ID (see %infer_status for the ids).")
        table = JobsTable(client, magics.status_page_size, all_jobs=args.all, poll=max(0.5, magics.poll_interval))
        display(table)
        if table.active():
            table.start()
        return None
    if args.all:
        raise OptionError("--all lists jobs; it does not go with a JOB_ID.")
    if args.wait and args.cancel:
        raise OptionError("Choose one of --wait and --cancel.")
    job = client.jobs.get(args.job_id)
    if args.cancel:
        job.cancel()
        note = "Cancel requested; the job stops at its next check." if not job.done else ""
        display(JobCard(job.refresh(), note))
        return None
    if job.done and not args.wait:
        display(JobCard(job))
        return None
    if not job.done:
        what = f"{job.type} job" + (f" on {job.model_name!r}" if job.model_name else "")
        view, watcher, dh = magics.watch(job, what)
        if not args.wait:
            return None
        try:
            record = wait_no_cancel(watcher)
        finally:  # an interrupt too: the stored text/plain shows where the job is, not where it was first seen
            magics.final(view, dh)
    else:
        record = dict(job.refresh().record)
    background = BACKGROUND.get(job.id)
    if background is not None:  # started here with --background: its DEST is assigned before we return
        wait_no_cancel(background)
    job.raise_for_status()
    value = job.result()
    if isinstance(value, InferenceResult):
        return ResultView(value, value.to_pandas(), None, record, magics.max_rows, charts=magics.charts)
    return value  # the Model of a training job, the Dataset of an ingest


def wait_no_cancel(watcher: Watcher) -> dict[str, Any]:
    """``%infer_status JOB --wait``: an interrupt stops waiting and leaves the job running."""
    try:
        while not watcher.done.wait(0.1):
            pass
    except KeyboardInterrupt:
        raise InputError(
            f"Stopped waiting; job {watcher.job.id} is still running. Cancel it with %infer_status {watcher.job.id} "
            "--cancel."
        ) from None
    if watcher.error is not None:
        raise watcher.error
    return watcher.record
