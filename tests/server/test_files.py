"""``GET /files/columns``: a data file's column names from its header, confined to the server root (issue 14: the
"Run inference..." dialog ranks the models by the columns a file has)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from jupyter_infer.client import _file_columns as _files
from tests.server.conftest import Api, Live

FRAME = pd.DataFrame({"tenure": [1.5, 2.0], "plan, tier": ["basic", "pro"], "spend": [10, 20]})
COLUMNS = ["tenure", "plan, tier", "spend"]


async def columns(api: Api, path: str, expect: int = 200) -> dict:
    return await api.json("GET", "/files/columns", params={"path": path}, expect=expect)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("a.csv", lambda p: FRAME.to_csv(p, index=False)),
        ("bom.csv", lambda p: p.write_bytes(b"\xef\xbb\xbf" + FRAME.to_csv(index=False).encode())),
        ("a.parquet", lambda p: FRAME.to_parquet(p)),  # pandas' index is not a column
        ("records.json", lambda p: FRAME.to_json(p, orient="records")),
        ("columns.json", lambda p: FRAME.to_json(p, orient="columns")),
        ("lines.jsonl", lambda p: FRAME.to_json(p, orient="records", lines=True)),
        ("envelope.json", lambda p: p.write_text(json.dumps({"data": FRAME.to_dict(orient="list"), "job_id": "x"}))),
    ],
)
async def test_the_columns_of_each_format_come_from_its_header(api: Api, jp_root_dir: Path, name, write) -> None:
    (jp_root_dir / "data").mkdir()
    write(jp_root_dir / "data" / name)
    got = await columns(api, f"data/{name}")
    assert got["columns"] == COLUMNS and got["path"] == f"data/{name}" and got["note"] is None
    assert got["format"] == {"csv": "csv", "parquet": "parquet"}.get(name.rsplit(".", 1)[1], "json")


async def test_a_big_csv_is_not_read_past_its_header(api: Api, jp_root_dir: Path) -> None:
    with open(jp_root_dir / "big.csv", "w") as f:
        f.write("a,b\n")
        f.write("1,2\n" * 600_000)
        f.write("not,a,csv,row,at,all\n")  # a full read would notice this row
    assert (await columns(api, "big.csv"))["columns"] == ["a", "b"]


async def test_a_header_longer_than_the_window_is_read_in_part_and_says_so(api: Api, jp_root_dir: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(_files, "HEAD_BYTES", 64)
    names = [f"column_{i:03d}" for i in range(40)]
    (jp_root_dir / "wide.csv").write_text(",".join(names) + "\n" + ",".join("1" * 40) + "\n")
    got = await columns(api, "wide.csv")
    assert got["columns"] == names[: len(got["columns"])] and 0 < len(got["columns"]) < 40
    assert "header is longer than" in got["note"]


async def test_column_oriented_json_past_the_first_megabyte(api: Api, jp_root_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    big = {"x": list(range(300_000)), "y": list(range(300_000))}
    (jp_root_dir / "cols.json").write_text(json.dumps(big))
    assert (await columns(api, "cols.json"))["columns"] == ["x", "y"]
    monkeypatch.setattr(_files, "JSON_WHOLE_BYTES", 1 << 20)  # over the cap: unknown, and the note says why
    got = await columns(api, "cols.json")
    assert got["columns"] is None and "larger than 1 MiB" in got["note"]


async def test_paths_outside_the_root_and_bad_files_are_refused_by_name(api: Api, jp_root_dir: Path) -> None:
    outside = jp_root_dir.parent / "outside.csv"
    outside.write_text("secret,columns\n1,2\n")
    (jp_root_dir / "link.csv").symlink_to(outside)
    for path in ("../outside.csv", str(outside), "sub/../../outside.csv", "link.csv", "/etc/passwd"):
        r = await api("GET", "/files/columns", params={"path": path})
        assert r.code == 403, (path, r.code, r.body)
        assert "outside the server root" in json.loads(r.body)["detail"] and b"secret" not in r.body
    (jp_root_dir / "notes.txt").write_text("a,b\n")
    (jp_root_dir / "empty.csv").write_text("")
    (jp_root_dir / "fake.parquet").write_text("a,b\n1,2\n")
    (jp_root_dir / "folder.csv").mkdir()
    for path, code, says in [
        ("missing.csv", 404, "missing.csv"),
        ("notes.txt", 422, "unsupported file type .txt"),
        ("empty.csv", 422, "empty.csv is empty"),
        ("fake.parquet", 422, "fake.parquet is not a Parquet file"),
        ("folder.csv", 422, "folder.csv is a directory"),
        ("", 422, "?path="),
    ]:
        r = await api("GET", "/files/columns", params={"path": path} if path else {})
        assert r.code == code and says in json.loads(r.body)["detail"], (path, r.code, r.body)


def test_a_real_server_answers_only_with_its_token(live: Live) -> None:
    (live.root / "new.csv").write_text("tenure,spend,plan\n1,2,basic\n")
    with live.http() as c:
        r = c.get("/files/columns", params={"path": "new.csv"})
        assert r.status_code == 200 and r.json()["columns"] == ["tenure", "spend", "plan"]
    with live.http(token=None) as c:
        r = c.get("/files/columns", params={"path": "new.csv"})
        assert r.status_code in (401, 403) and "tenure" not in r.text
