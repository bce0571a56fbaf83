"""openapi.json is true to the route table, and a bounded schemathesis run finds no 5xx, no 4xx without detail and no\nanswer that differs from its schema."""

from __future__ import annotations

import re

import httpx
import pytest
from tornado import web

from jupyter_infer.server.openapi import openapi
from jupyter_infer.server.routes import ROUTES
from jupyter_infer.server.routes.meta import NotFoundRoute
from tests._server import start_server
from tests.server.conftest import Live

METHODS = ("get", "post", "put", "delete", "patch")
PATHS = openapi()["paths"]


def implemented(cls: type[web.RequestHandler]) -> set[str]:
    return {
        m
        for m in METHODS
        if getattr(cls, m) is not getattr(web.RequestHandler, m) and not getattr(getattr(cls, m), "refusal", False)
    }


def test_every_route_is_described_and_every_description_is_a_route() -> None:
    routes = [(re.compile(pattern + "$"), cls) for pattern, cls in ROUTES if cls is not NotFoundRoute]
    matched: set[int] = set()
    for path, ops in PATHS.items():
        sample = re.sub(r"\{[^}]+\}", "x_1", path)
        hits = [i for i, (rx, _cls) in enumerate(routes) if rx.match(sample)]
        assert hits, f"{path} is described but no route serves it"
        i = hits[0]  # tornado takes the first match
        matched.add(i)
        assert set(ops) == implemented(routes[i][1]), (
            f"{path}: described {set(ops)}, served {implemented(routes[i][1])}"
        )
    unmatched = [ROUTES[i][0] for i in range(len(routes)) if i not in matched]
    assert not unmatched, f"routes missing from openapi.json: {unmatched}"


def test_the_server_publishes_the_same_description(live: Live) -> None:
    with live.http() as c:
        got = c.get("/openapi.json").json()
    assert got == openapi("/jupyter-infer/api")
    assert got["openapi"].startswith("3.") and "/models/{model_id}/infer" in got["paths"]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, penguins):
    """A server of its own: generated requests may delete or prune whatever they find."""
    home = tmp_path_factory.mktemp("fuzz-store")
    root = tmp_path_factory.mktemp("fuzz-root")
    api, token, stop = start_server(home, root)
    try:
        # something to find: a dataset and a model named as generated strings often are not
        import jupyter_infer as ji

        c = ji.connect(api, token=token)
        c.models.train(penguins, "clustering", name="m", params={"training_mode": "fast"})
        yield api, token
    finally:
        stop()


def test_schemathesis_finds_no_server_errors(fuzz_server: tuple[str, str]) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import response_schema_conformance

    api, token = fuzz_server
    schema = schemathesis.openapi.from_dict(openapi("/jupyter-infer/api"))
    headers = {"Authorization": f"token {token}"}
    problems: list[str] = []
    n_ops = 0
    for result in schema.get_all_operations():
        op = result.ok()
        n_ops += 1

        @settings(max_examples=12, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=op.as_strategy())
        def run(case) -> None:  # type: ignore[no-untyped-def]
            resp = case.call(base_url=api, headers=headers, timeout=60)
            where = f"{case.method} {case.formatted_path} -> {resp.status_code}"
            if resp.status_code >= 500:
                problems.append(f"{where}: {resp.text[:200]}")
            elif resp.status_code >= 400:
                try:
                    detail = resp.json().get("detail")
                except ValueError:
                    detail = None
                if not isinstance(detail, str) or not detail:
                    problems.append(f"{where} without a detail: {resp.text[:200]}")
            try:  # the answer is what openapi.json says it is (its fields, their types)
                case.validate_response(resp, checks=[response_schema_conformance])
            except BaseExceptionGroup as e:  # schemathesis's FailureGroup
                problems.append(f"{where} does not match its schema: {str(e.exceptions[0])[:300]}")

        run()
    assert n_ops == sum(len(ops) for ops in PATHS.values())
    assert not problems, "\n".join(problems[:20])
    # and the server still answers
    assert httpx.get(f"{api}/status", headers=headers).status_code == 200


def _problem(method: str, path: str, resp) -> str | None:  # type: ignore[no-untyped-def]
    """What is wrong with an answer: a 5xx, or a 4xx without a ``detail``."""
    where = f"{method} {path} -> {resp.status_code}"
    if resp.status_code >= 500:
        return f"{where}: {resp.text[:200]}"
    if resp.status_code >= 400:
        try:
            detail = resp.json().get("detail")
        except (ValueError, AttributeError):
            detail = None
        if not isinstance(detail, str) or not detail:
            return f"{where} without a detail: {resp.text[:200]}"
    return None


def test_schemathesis_stateful_finds_no_server_errors(fuzz_server: tuple[str, str]) -> None:
    """Sequences that follow the links of openapi.json (a dataset or model made, then read, scored, deleted; a job
    started, then polled, cancelled, its results fetched): no 5xx, every 4xx with a detail."""
    import schemathesis
    from hypothesis import HealthCheck, settings

    api, token = fuzz_server
    schema = schemathesis.openapi.from_dict(openapi("/jupyter-infer/api"))
    # the links openapi.json declares, only: schemathesis would infer more from the response schemas, whose
    # sequences depend on what earlier examples left on the server (hypothesis calls that flaky generation)
    schema.config.phases.stateful.inference.algorithms = []
    problems: list[str] = []
    calls: list[str] = []

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case):  # type: ignore[no-untyped-def]
            case.headers = {**(case.headers or {}), "Authorization": f"token {token}"}  # never a generated one

        def get_call_kwargs(self, case):  # type: ignore[no-untyped-def]
            return {"base_url": api, "timeout": 60}

        def call(self, case, **kwargs):  # type: ignore[no-untyped-def]
            try:
                return super().call(case, **kwargs)
            except Exception as e:  # a dropped connection, a timeout: what a client would see as a server failure
                problems.append(f"{case.method} {case.formatted_path}: {type(e).__name__}: {e}")
                raise

        def validate_response(self, response, case, additional_checks=None, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(f"{case.method} {case.operation.path} {response.status_code}")
            problem = _problem(case.method, case.formatted_path, response)
            if problem:
                problems.append(problem)

    config = settings(max_examples=60, stateful_step_count=8, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
    Machine.run(settings=config)
    assert not problems, "\n".join(problems[:20])
    linked = [c for c in calls if "{" in c and not c.endswith((" 404", " 422"))]
    assert linked, f"no step reached a resource through a link: {calls[:30]}"
    assert httpx.get(f"{api}/status", headers={"Authorization": f"token {token}"}).status_code == 200
