"""The routes after the restructuring (issue 13), attacked as a hostile or careless user would, against a real
server: what the server before it answered, it still answers (a multipart preamble), and what it answered with a
500 is now a 4xx that says why (a path too long for the filesystem)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests._helpers import csv_bytes
from tests.faults._hostile import Server, detail_of, server_fixture  # noqa: F401 - the server fixture

BOUNDARY = "b0undary-of-the-test"
LONG_NAME = "a" * 300 + ".csv"  # longer than a file name may be (255 bytes on Linux and macOS): ENAMETOOLONG


@pytest.fixture(scope="module")
def model(server: Server, penguins: pd.DataFrame) -> str:
    server.client().models.train(penguins, "clustering", name="routes-cl", params={"training_mode": "fast"})
    return "routes-cl"


def with_preamble(data: bytes, filename: str = "small.csv") -> bytes:
    """A multipart body whose first boundary follows a preamble, which RFC 2046 (5.1.1) says to ignore."""
    return (
        b"This is a preamble: a reader of multipart bodies ignores it.\r\n"
        + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode()
        + b"Content-Type: text/csv\r\n\r\n"
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


@pytest.mark.parametrize("route,status", [("/datasets", 201), ("/models/routes-cl/infer", 200),
                                          ("/models/routes-cl/infer-async", 202)])  # fmt: skip
def test_a_multipart_preamble_is_ignored_as_before(
    server: Server, model: str, penguins: pd.DataFrame, route: str, status: int
) -> None:
    """The server before the restructuring accepted it (201/200/202); python-multipart alone answers 400."""
    body = with_preamble(csv_bytes(penguins.head(20)))
    with server.http() as c:
        r = c.post(route, content=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        assert r.status_code == status, r.text[:300]
        job = r.json()["job_id"] if status != 200 else r.headers["Content-Disposition"].split('"')[1].split(".")[0]
    assert server.wait(job)["status"] == "succeeded"


def test_a_preamble_without_any_boundary_is_a_400(server: Server) -> None:
    with server.http() as c:
        r = c.post("/datasets", content=b"no boundary here\r\n" * 1000,
                   headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})  # fmt: skip
    assert r.status_code == 400
    assert "boundary" in detail_of(r)


@pytest.mark.parametrize(
    "method,route,body",
    [
        ("GET", f"/files/columns?path={LONG_NAME}", None),
        ("POST", "/models/routes-cl/infer-async", {"path": LONG_NAME}),
        ("POST", "/models/routes-cl/infer-async", {"path": "small.csv", "output_path": LONG_NAME}),
    ],
    ids=["columns", "infer-async-path", "infer-async-output-path"],
)
def test_a_path_too_long_for_the_filesystem_is_a_4xx(
    server: Server, model: str, penguins: pd.DataFrame, method: str, route: str, body: dict[str, str] | None
) -> None:
    """Was a 500 "internal error: OSError: [Errno 36] File name too long" (before the restructuring too), which
    the client then sent three more times."""
    (server.root / "small.csv").write_bytes(csv_bytes(penguins.head(20)))
    with server.http() as c:
        r = c.request(method, route, json=body)
    assert 400 <= r.status_code < 500, r.text[:300]
    detail = detail_of(r)
    assert "too long" in detail and "internal error" not in detail
    assert r.headers.get("x-should-retry") == "false"


def multipart_file(data: bytes, filename: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'.encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def test_a_part_header_up_to_16_kib_is_read_as_before(server: Server, penguins: pd.DataFrame) -> None:
    """The server before the restructuring read part headers up to 16 KiB; python-multipart's default (4 KiB
    a line since 0.0.27, none before) answered a 5,000-character file name with 400."""
    with server.http() as c:
        r = c.post("/datasets", content=multipart_file(csv_bytes(penguins.head(20)), "n" * 5000 + ".csv"),
                   headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})  # fmt: skip
        assert r.status_code == 201, r.text[:300]
        assert server.wait(r.json()["job_id"])["status"] == "succeeded"
        r = c.post("/datasets", content=multipart_file(b"a,b\n1,2\n", "n" * (20 << 10) + ".csv"),
                   headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})  # fmt: skip
    assert r.status_code == 400
    assert "header" in detail_of(r)


def test_two_file_parts_with_one_filename_keep_their_own_bytes(tmp_path) -> None:
    """Each file part is written to a file of its own: a second part named ``a.csv`` used to overwrite the first
    part's file on disk, so the ``file`` part was read with the other part's bytes."""
    from jupyter_infer.server._multipart import FormStream

    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nx,y\n1,2\n\r\n'
        b'--B\r\nContent-Disposition: form-data; name="other"; filename="a.csv"\r\n\r\nEVIL\r\n--B--\r\n'
    )
    form = FormStream(b"B", tmp_path)
    form.feed(body)
    form.close()
    assert form.complete
    assert form.files["file"].path.read_bytes() == b"x,y\n1,2\n" and form.files["file"].size == 8
    assert form.files["other"].path.read_bytes() == b"EVIL"
