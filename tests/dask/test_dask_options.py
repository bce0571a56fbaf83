"""Choosing the executor: executor and scheduler from a call, an HTTP request or $JUPYTER_INFER_DASK_SCHEDULER, and
the LocalCluster's names ("local-cluster", and "local", its older spelling)."""

from __future__ import annotations

import pytest

import jupyter_infer as ji


def test_http_batch_route_takes_executor_in_params() -> None:
    """``POST /models/{id}/infer-batch`` with ``{"params": {"executor": "dask", "scheduler": ...}}`` (or the same
    fields at the top level, as the HTTP client sends them)."""
    from jupyter_infer.server.routes._options import executor_of as _executor

    assert _executor({"params": {"executor": "dask", "scheduler": "tcp://10.0.0.5:8786"}}) == (
        "dask",
        "tcp://10.0.0.5:8786",
    )
    assert _executor({"executor": "dask", "scheduler": "tcp://h:1"}) == ("dask", "tcp://h:1")
    assert _executor({"params": {"contamination": 0.1}}) == ("local", None)
    with pytest.raises(ji.OptionError, match="executor"):
        _executor({"params": {"executor": "ray"}})


def test_http_batch_route_defaults_to_the_servers_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's own $JUPYTER_INFER_DASK_SCHEDULER is the default for requests that choose nothing; a request
    that names "local" (executor) or a LocalCluster (scheduler "local") keeps its choice."""
    from jupyter_infer.server.routes._options import executor_of as _executor

    monkeypatch.setenv("JUPYTER_INFER_DASK_SCHEDULER", "tcp://10.0.0.9:8786")
    assert _executor({}) == ("dask", "tcp://10.0.0.9:8786")
    assert _executor({"params": {"executor": "dask"}}) == ("dask", "tcp://10.0.0.9:8786")
    assert _executor({"executor": "local"}) == ("local", None)
    assert _executor({"executor": "dask", "scheduler": "local"}) == ("dask", None)
    assert _executor({"executor": "dask", "scheduler": "local-cluster"}) == ("dask", None)
    assert _executor({"scheduler": "tcp://h:1"}) == ("dask", "tcp://h:1")


@pytest.mark.parametrize(
    ("asked", "default", "expected"),
    [
        ((None, None), None, (None, None)),  # nothing chosen: the process running the job decides
        ((None, None), "tcp://d:1", ("dask", "tcp://d:1")),
        (("local", None), "tcp://d:1", ("local", None)),  # explicit local beats the default
        (("dask", None), None, ("dask", None)),  # a LocalCluster
        (("dask", None), "tcp://d:1", ("dask", "tcp://d:1")),
        (("dask", "local"), "tcp://d:1", ("dask", None)),  # "local" names the LocalCluster explicitly
        ((None, "tcp://s:2"), "tcp://d:1", ("dask", "tcp://s:2")),  # a scheduler alone implies dask
        ((None, None), "local", ("dask", None)),
        (("dask", "local-cluster"), "tcp://d:1", ("dask", None)),  # the LocalCluster's own name
        ((None, "local-cluster"), None, ("dask", None)),
        ((None, None), "local-cluster", ("dask", None)),
    ],
)
def test_executor_resolution(asked: tuple, default: str | None, expected: tuple) -> None:
    from jupyter_infer.engine.options import resolve_executor

    assert resolve_executor(*asked, default) == expected


def test_executor_resolution_errors_name_the_option() -> None:
    from jupyter_infer.engine.options import resolve_executor

    with pytest.raises(ji.OptionError, match=r'Unknown executor "dsak".*Did you mean "dask"'):
        resolve_executor("dsak", None)
    with pytest.raises(ji.OptionError, match='scheduler "tcp://h:1" applies to executor="dask"'):
        resolve_executor("local", "tcp://h:1")
    with pytest.raises(ji.OptionError, match="scheduler must be an address string"):
        resolve_executor("dask", 8786)  # type: ignore[arg-type]
