"""The generated openapi.json means what the hand-written one meant before the restructuring (issue 13): the same
paths and methods, parameters, request body fields, response status codes and fields, auth and links.

``openapi-before-restructuring.json`` is that document as main served it. Its answers were plain objects, so a
response field it names must be in the generated document with its type; the generated one may name more (it
now declares every field). Mutating the baseline proves the comparison fails when anything it covers goes.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_infer.server.openapi import openapi

BASELINE = Path(__file__).with_name("openapi-before-restructuring.json")


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema


def shape(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """What a schema says, without its wording: type, format, choices, fields (with their shapes) and which are
    required. ``X or null`` is X (nullability is JSON Schema 2020-12's spelling, not a change of meaning)."""
    schema = _resolve(doc, schema)
    branches = [b for b in schema.get("anyOf", []) if _resolve(doc, b).get("type") != "null"]
    if len(branches) == 1:
        return shape(doc, branches[0])
    out: dict[str, Any] = {}
    if "type" in schema:
        out["type"] = schema["type"]
    for key in ("format", "enum"):
        if key in schema:
            out[key] = sorted(schema[key]) if key == "enum" else schema[key]
    if "properties" in schema:
        out["fields"] = {name: shape(doc, s) for name, s in schema["properties"].items()}
        out["required"] = sorted(schema.get("required", []))
    if "items" in schema:
        out["items"] = shape(doc, schema["items"])
    return out


def facts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``"METHOD /path"`` -> its parameters, request bodies, responses, auth and links, as shapes (a parameter or
    response given as a ``$ref`` to ``components`` is the one it refers to)."""
    out: dict[str, dict[str, Any]] = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            params = {
                f"{p['in']}:{p['name']}": {"required": bool(p.get("required")), **shape(doc, p.get("schema", {}))}
                for p in (_resolve(doc, p) for p in op.get("parameters", []))
            }
            body = {ctype: shape(doc, media.get("schema", {}))
                    for ctype, media in op.get("requestBody", {}).get("content", {}).items()}  # fmt: skip
            answers = {status: _resolve(doc, r) for status, r in op["responses"].items()}
            responses = {status: {ctype: shape(doc, media.get("schema", {}))
                                  for ctype, media in r.get("content", {}).items()}
                         for status, r in answers.items()}  # fmt: skip
            links = {status: {name: link["parameters"] for name, link in r.get("links", {}).items()}
                     for status, r in answers.items() if r.get("links")}  # fmt: skip
            out[f"{method.upper()} {path}"] = {"parameters": params, "body": body, "responses": responses,
                                               "auth": op.get("security") != [], "links": links}  # fmt: skip
    return out


def _fields_kept(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    """What of the ``old`` answer's shape the ``new`` one lacks or changed: the type, and every field the old
    one named (recursively); the new one may name more."""
    problems = []
    if old.get("type") != new.get("type"):
        problems.append(f"{where}: type {old.get('type')} is now {new.get('type')}")
    for name, field in old.get("fields", {}).items():
        if name not in new.get("fields", {}):
            problems.append(f"{where}: the field {name} is gone")
        else:
            problems += _fields_kept(field, new["fields"][name], f"{where}.{name}")
    if "items" in old:
        problems += _fields_kept(old["items"], new.get("items", {}), f"{where}[]")
    return problems


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Every way ``after`` does not mean what ``before`` meant (empty: the same meaning)."""
    old, new = facts(before), facts(after)
    problems = [f"{op} is gone" for op in old if op not in new] + [f"{op} is new" for op in new if op not in old]
    for op in old.keys() & new.keys():
        o, n = old[op], new[op]
        for aspect in ("parameters", "body", "auth", "links"):
            if o[aspect] != n[aspect]:
                problems.append(f"{op}: its {aspect} changed: {o[aspect]} -> {n[aspect]}")
        if set(o["responses"]) != set(n["responses"]):
            problems.append(f"{op}: status codes {sorted(o['responses'])} are now {sorted(n['responses'])}")
        for status in o["responses"].keys() & n["responses"].keys():
            for ctype, schema in o["responses"][status].items():
                if ctype not in n["responses"][status]:
                    problems.append(f"{op} {status}: no {ctype} answer any more")
                else:
                    problems += _fields_kept(schema, n["responses"][status][ctype], f"{op} {status} {ctype}")
    return problems


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return json.loads(BASELINE.read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    return json.loads(json.dumps(openapi("/jupyter-infer/api")))  # as served: JSON, no Python objects


def test_the_generated_document_means_what_the_hand_written_one_meant(baseline: dict[str, Any],
                                                                      generated: dict[str, Any]) -> None:  # fmt: skip
    assert differences(baseline, generated) == []
    assert len(facts(generated)) == len(facts(baseline)) == 28  # every operation was compared


def test_the_answers_now_declare_their_fields(generated: dict[str, Any]) -> None:
    """Before, every answer was "an object"; now each JSON answer lists its fields (the lab extension's types
    are generated from them)."""
    ops = facts(generated)
    job = ops["GET /jobs/{job_id}"]["responses"]["200"]["application/json"]
    assert {"id", "status", "progress", "rows_done", "output_path", "model", "resources"} <= set(job["fields"])
    assert job["fields"]["model"]["fields"].keys() == {"id", "version_id", "version_number", "name"}
    assert ops["GET /jobs"]["responses"]["200"]["application/json"]["fields"]["items"]["items"] == job
    for op, f in ops.items():
        for status, media in f["responses"].items():
            if status.startswith("2") and "application/json" in media:
                assert media["application/json"].get("fields"), f"{op} {status} declares no field"


def _mutations(doc: dict[str, Any]) -> dict[str, Any]:
    """Each a copy of ``doc`` with one thing changed, as the generated document would look if it lost it."""
    job = doc["paths"]["/jobs"]["get"]
    train = doc["paths"]["/models/train"]["post"]
    cases: dict[str, Any] = {}

    def case(name: str) -> dict[str, Any]:
        cases[name] = copy.deepcopy(doc)
        return cases[name]  # type: ignore[no-any-return]

    case("a path")["paths"]["/models/{model_id}/explain"] = {"get": copy.deepcopy(job)}
    case("a method")["paths"]["/jobs"]["delete"] = copy.deepcopy(job)
    case("a query parameter")["paths"]["/jobs"]["get"]["parameters"].append(
        {"name": "owner", "in": "query", "required": False, "schema": {"type": "string"}}
    )
    case("a parameter's type")["paths"]["/jobs"]["get"]["parameters"][1]["schema"]["type"] = "string"
    d = case("a parameter's choices")
    p = next(p for p in d["paths"]["/jobs/{job_id}/results/file"]["get"]["parameters"] if p["name"] == "output_type")
    p["schema"]["enum"].append("xml")
    case("a required parameter")["paths"]["/jobs/{job_id}"]["get"]["parameters"][0]["required"] = False
    d = case("a request body field")
    d["paths"]["/models/train"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"][
        "warm_start"] = {"type": "boolean"}  # fmt: skip
    d = case("a multipart field")
    d["paths"]["/datasets"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"][
        "sheet"] = {"type": "string"}  # fmt: skip
    d = case("a required body field")
    d["paths"]["/jobs/prune"]["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] = []
    d = case("a response field")
    d["paths"]["/jobs/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object", "properties": {"status": {"type": "string"}, "priority": {"type": "integer"}}}  # fmt: skip
    d = case("a response field's type")
    d["paths"]["/jobs/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object", "properties": {"progress": {"type": "string"}}}  # fmt: skip
    responses = case("a status code")["paths"]["/models/train"]["post"]["responses"]
    responses["200"] = responses.pop("201")
    case("an answer's content type")["paths"]["/jobs/{job_id}/results/file"]["get"]["responses"]["200"]["content"][
        "text/csv"] = {"schema": {}}  # fmt: skip
    case("the auth")["paths"]["/jobs/{job_id}/results/download"]["get"].pop("security")
    d = case("a link")
    d["paths"]["/models/train"]["post"]["responses"]["201"]["links"]["GET /jobs/job_id/results/download"] = {
        "operationRef": "#/paths/~1jobs~1{job_id}~1results~1download/get", "parameters": {"job_id": "$x"}}  # fmt: skip
    assert train is doc["paths"]["/models/train"]["post"]  # the original is untouched
    return cases


def test_the_comparison_fails_when_anything_it_covers_goes(baseline: dict[str, Any],
                                                           generated: dict[str, Any]) -> None:  # fmt: skip
    mutated = _mutations(baseline)
    assert len(mutated) == 15
    for what, doc in mutated.items():
        assert differences(doc, generated), f"losing {what} went unnoticed"
    # and the other way round: what the generated document would say if a route lost a path or a field
    fewer = copy.deepcopy(generated)
    del fewer["paths"]["/datasets/upload"]
    fewer["components"]["schemas"]["TrainBody"]["properties"].pop("label_column")
    found = differences(baseline, fewer)
    assert any("/datasets/upload is gone" in d for d in found) and any("label_column" in d for d in found), found
