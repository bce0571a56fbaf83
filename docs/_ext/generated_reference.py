"""Reference sections generated at build time from the code itself, so the docs cannot drift from it:

- ``{magics-help}``: each magic's own ``%%magic?`` text (its docstring and argparse help);
- ``{traits} module:Class``: the configurable settings of a traitlets class (``InferMagics``, ``JupyterInfer``);
- ``{cli-help}``: ``jupyter-infer --help`` and every subcommand's help;
- ``{openapi-routes}``: every route of the server's ``openapi.json`` (jupyter_infer/server/_openapi.py).

Each directive writes MyST Markdown and parses it in place, in the page that uses it.
"""

from __future__ import annotations

import importlib
import textwrap
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


class _Generated(SphinxDirective):
    has_content = False

    def rst(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(self.rst(), source=f"<{self.name}>"), node)
        return node.children


def _literal(text: str) -> list[str]:
    return ["```text", *text.rstrip().splitlines(), "```", ""]


def _heading(text: str, level: int = 3) -> list[str]:
    return ["#" * level + " " + text, ""]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return [*out, *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows), ""]


class MagicsHelp(_Generated):
    """Every magic's help, as ``%%infer?`` prints it."""

    def rst(self) -> list[str]:
        from jupyter_infer.notebook._magics import InferMagics

        out: list[str] = []
        for name, prefix in (("infer_train", "%%"), ("infer", "%%"), ("infer_status", "%"), ("infer_models", "%")):
            doc = textwrap.dedent(getattr(InferMagics, name).__doc__ or "").strip()
            doc = doc.removeprefix("::").strip("\n")
            out += _heading(f"`{prefix}{name}`")
            out += _literal(textwrap.dedent(doc))
        return out


class Traits(_Generated):
    """A table of a traitlets class's settings: name, default, help."""

    required_arguments = 1

    def rst(self) -> list[str]:
        module, _, cls_name = self.arguments[0].rpartition(".")
        cls = getattr(importlib.import_module(module), cls_name)
        rows = [[f"`{name}`", f"`{trait.default_value_repr()}`", trait.help or ""]
                for name, trait in sorted(cls.class_traits(config=True).items())]  # fmt: skip
        return _table(["name", "default", "what"], rows)


class CliHelp(_Generated):
    """``jupyter-infer --help`` and each subcommand's ``--help``."""

    def rst(self) -> list[str]:
        from jupyter_infer.cli import parser

        p = parser()
        out = _literal(p.format_help())
        sub = next(a for a in p._actions if a.dest == "command")
        for name, sp in sub.choices.items():  # type: ignore[union-attr]
            out += _heading(f"`jupyter-infer {name}`")
            out += _literal(sp.format_help())
        return out


class OpenApiRoutes(_Generated):
    """One section per route of ``openapi.json``: summary, parameters, body fields."""

    def rst(self) -> list[str]:
        from jupyter_infer.server._openapi import openapi

        spec: dict[str, Any] = openapi()
        out: list[str] = []
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                out += _heading(f"`{method.upper()} {path}`")
                out += [op.get("summary", ""), ""]
                if not op.get("security", True):
                    out += ["*No auth header: the URL carries its own signed token.*", ""]
                params = [(p["name"], p["in"], _type(p.get("schema", {})), p.get("description", ""))
                          for p in op.get("parameters", [])]  # fmt: skip
                body = op.get("requestBody", {}).get("content", {})
                for ctype, media in body.items():
                    schema = media.get("schema", {})
                    required = set(schema.get("required", []))
                    for field, fs in schema.get("properties", {}).items():
                        where = "body (" + ctype.split("/")[-1] + ")"
                        params.append((field, where, _type(fs), "required" if field in required else ""))
                if params:
                    out += _table(["name", "in", "type", "notes"], [[f"`{n}`", w, t, d] for n, w, t, d in params])
                codes = ", ".join(sorted(op.get("responses", {})))
                out += [f"Responses: {codes}.", ""]
        return out


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " or ".join(f"`{v}`" for v in schema["enum"])
    t = schema.get("type", "any")
    if schema.get("format") == "binary":
        return "file"
    bounds = [f"{k} {schema[k]}" for k in ("minimum", "maximum") if k in schema]
    return f"{t} ({', '.join(bounds)})" if bounds else str(t)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("magics-help", MagicsHelp)
    app.add_directive("traits", Traits)
    app.add_directive("cli-help", CliHelp)
    app.add_directive("openapi-routes", OpenApiRoutes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
