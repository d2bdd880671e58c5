"""Artifacts and logs through the API (the local store, for real), evaluation requests, and
the S3 store's key layout and configuration errors (against a recording stand-in client:
there is no S3 server here, so uploads to a real store are not tested)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.artifacts import ArtifactError, LocalStore, S3Store, artifact_key, artifact_store
from backend.settings import Settings
from tests.backend.factories import create_experiment


@pytest.fixture
def run_dir(client: TestClient, settings: Settings) -> tuple[int, Path]:
    run_id = create_experiment(client, seeds=[0])["runs"][0]["id"]
    folder = settings.data_dir / "runs" / str(run_id)
    folder.mkdir(parents=True)
    return run_id, folder


def test_artifacts_are_listed_and_downloaded_by_known_name_only(
    client: TestClient, run_dir: tuple[int, Path], settings: Settings
) -> None:
    run_id, folder = run_dir
    (folder / "checkpoint.pt").write_bytes(b"\x00weights" * 1000)
    (folder / "eval-3.gif").write_bytes(b"GIF89a")
    (folder / "notes.secret").write_text("not an artifact")
    (settings.data_dir / "rlboard-secret.txt").write_text("outside")

    listed = client.get(f"/api/v1/runs/{run_id}/artifacts").json()
    assert [(a["name"], a["size"]) for a in listed] == [("checkpoint.pt", 8000),
                                                        ("eval-3.gif", 6)]
    download = client.get(f"/api/v1/runs/{run_id}/artifacts/checkpoint.pt")
    assert download.status_code == 200 and download.content == b"\x00weights" * 1000
    assert f'run-{run_id}-checkpoint.pt' in download.headers["content-disposition"]
    assert client.get(f"/api/v1/runs/{run_id}/artifacts/eval-3.gif").headers[
        "content-type"] == "image/gif"

    assert client.get(f"/api/v1/runs/{run_id}/artifacts/summary.json").status_code == 404
    assert client.get("/api/v1/runs/999/artifacts").status_code == 404
    for name in ("notes.secret", "..%2F..%2Frlboard-secret.txt", "...", "%2Fetc%2Fpasswd",
                 "log.txt%00.gif"):
        response = client.get(f"/api/v1/runs/{run_id}/artifacts/{name}")
        assert response.status_code in (404, 422), (name, response.status_code)
        assert b"outside" not in response.content and b"not an artifact" not in response.content


def test_the_log_is_read_as_a_tail_or_a_byte_range(
    client: TestClient, run_dir: tuple[int, Path]
) -> None:
    run_id, folder = run_dir
    url = f"/api/v1/runs/{run_id}/logs"
    assert client.get(url).json() == {"offset": 0, "next_offset": 0, "size": 0, "text": ""}
    text = "".join(f"line {i}\n" for i in range(1000))
    (folder / "log.txt").write_text(text)
    size = len(text)

    tail = client.get(url, params={"limit": 14}).json()
    assert tail == {"offset": size - 14, "next_offset": size, "size": size,
                    "text": " 998\nline 999\n"}
    head = client.get(url, params={"offset": 0, "limit": 7}).json()
    assert (head["text"], head["next_offset"]) == ("line 0\n", 7)
    # Following a live log: ask from next_offset, get what was appended.
    with (folder / "log.txt").open("a") as f:
        f.write("done\n")
    follow = client.get(url, params={"offset": size}).json()
    assert (follow["text"], follow["next_offset"], follow["size"]) == ("done\n", size + 5,
                                                                       size + 5)
    assert client.get(url, params={"limit": 0}).status_code == 422


def test_an_evaluation_needs_a_checkpoint_and_is_queued_on_the_runs_queue(
    client: TestClient, run_dir: tuple[int, Path]
) -> None:
    run_id, folder = run_dir
    url = f"/api/v1/runs/{run_id}/evaluations"
    assert client.post(url, json={"episodes": 3}).status_code == 409
    (folder / "checkpoint.pt").write_bytes(b"x")
    response = client.post(url, json={"episodes": 3, "video": False})
    assert response.status_code == 202, response.text
    evaluation = response.json()
    assert (evaluation["status"], evaluation["episodes"], evaluation["video"]) == (
        "queued", 3, False)
    assert [e["id"] for e in client.get(url).json()] == [evaluation["id"]]
    assert client.post(url, json={"episodes": 0}).status_code == 422


def test_local_store_copies_in_and_out_and_skips_files_in_place(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "data")
    source = tmp_path / "video.gif"
    source.write_bytes(b"GIF")
    store.put(4, "eval-1.gif", source)
    assert store.path(4, "eval-1.gif").read_bytes() == b"GIF"
    store.put(4, "eval-1.gif", store.path(4, "eval-1.gif"))  # already there: a no-op
    assert store.fetch(4, "eval-1.gif", tmp_path / "copy.gif")
    assert (tmp_path / "copy.gif").read_bytes() == b"GIF"
    assert not store.fetch(4, "checkpoint.pt", tmp_path / "none.pt")
    with pytest.raises(ArtifactError):
        store.put(4, "../escape.txt", source)


class RecordingS3:
    """Records what an S3 client is asked to do (no S3 server exists here)."""

    class exceptions:  # noqa: N801 - boto3's attribute name
        class ClientError(Exception):
            response = {"Error": {"Code": "404"}}

        NoSuchKey = ClientError

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def upload_file(self, filename: str, bucket: str, key: str) -> None:
        self.calls.append(("upload", (bucket, key)))

    def head_object(self, Bucket: str, Key: str) -> dict:  # noqa: N803 - boto3's names
        self.calls.append(("head", (Bucket, Key)))
        raise self.exceptions.ClientError()


def test_s3_store_keys_and_configuration_errors(tmp_path: Path) -> None:
    client = RecordingS3()
    store = S3Store("s3://rlboard-artifacts/team/a/", client=client)
    source = tmp_path / "log.txt"
    source.write_text("hello")
    store.put(12, "log.txt", source)
    assert not store.fetch(12, "checkpoint.pt", tmp_path / "c.pt")
    assert client.calls == [("upload", ("rlboard-artifacts", "team/a/runs/12/log.txt")),
                            ("head", ("rlboard-artifacts", "team/a/runs/12/checkpoint.pt"))]
    assert S3Store("s3://bucket", client=client).key(3, "eval-9.mp4") == "runs/3/eval-9.mp4"
    assert artifact_key(5, "summary.json") == "runs/5/summary.json"

    for url in ("http://bucket/prefix", "s3:///prefix", "bucket"):
        with pytest.raises(ArtifactError, match="expected s3://bucket"):
            S3Store(url, client=client)
    with pytest.raises(ArtifactError):
        store.key(1, "../../other/log.txt")
    with pytest.raises(ArtifactError, match="expected s3://bucket"):
        artifact_store(Settings(data_dir=tmp_path, artifact_url="minio://x"))
    assert isinstance(artifact_store(Settings(data_dir=tmp_path)), LocalStore)


def test_no_traversal_link_or_fifo_reaches_outside_a_runs_artifacts(
    client: TestClient, run_dir: tuple[int, Path], settings: Settings
) -> None:
    run_id, folder = run_dir
    secret = settings.data_dir / "rlboard.secret"
    secret.write_text("outside")
    (folder / "log.txt").symlink_to(secret)
    (folder / "summary.json").symlink_to("/etc/passwd")
    os.mkfifo(folder / "progress.csv")  # opening it for reading would block
    (folder / "metrics.jsonl").write_text('{"step": 1}\n')

    url = f"/api/v1/runs/{run_id}/artifacts"
    assert [a["name"] for a in client.get(url).json()] == ["metrics.jsonl"]
    for name in ("log.txt", "summary.json", "progress.csv"):
        response = client.get(f"{url}/{name}")
        assert response.status_code == 404, name
        assert b"outside" not in response.content and b"root:" not in response.content
    assert client.get(f"/api/v1/runs/{run_id}/logs").json()["text"] == ""
    for name in ("..%2f..%2frlboard.secret", "%2e%2e%2f%2e%2e%2frlboard.secret",
                 "%252e%252e%252frlboard.secret", "%2Fetc%2Fpasswd", "log.txt%2F..%2F..",
                 "checkpoint.pt%00", "eval-1.mp4%0a", "LOG.TXT"):
        response = client.get(f"{url}/{name}")
        assert response.status_code in (404, 422), (name, response.status_code)
        assert b"outside" not in response.content, name
    # Dot segments are resolved by the client or the router: never to a file outside.
    for path in (f"{url}/..", f"{url}/../../../rlboard.secret", f"{url}/%2e%2e/%2e%2e/%2e%2e/rlboard.secret",
                 "/api/v1/runs/..%2f..%2f/artifacts/log.txt", "/../../etc/passwd",
                 "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd"):
        response = client.get(path)
        assert b"outside" not in response.content and b"root:" not in response.content, path


def test_artifacts_have_explicit_content_types(
    client: TestClient, run_dir: tuple[int, Path]
) -> None:
    run_id, folder = run_dir
    expected = {
        "log.txt": "text/plain; charset=utf-8", "checkpoint.pt": "application/octet-stream",
        "metrics.jsonl": "application/x-ndjson", "progress.csv": "text/csv; charset=utf-8",
        "summary.json": "application/json", "eval-2.mp4": "video/mp4", "eval-2.gif": "image/gif",
    }
    for name, content_type in expected.items():
        (folder / name).write_bytes(b"<script>alert(1)</script>")
        response = client.get(f"/api/v1/runs/{run_id}/artifacts/{name}")
        assert response.headers["content-type"] == content_type, name
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"].startswith("attachment;")
