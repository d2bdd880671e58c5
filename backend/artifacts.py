"""The artifact store: a run's checkpoint, log, metric files and evaluation videos.

Keys are ``runs/<run_id>/<name>``, and only names matching ``ARTIFACT_NAME`` exist, so a
request can never reach outside a run's artifacts (no path traversal: an id and a known name).
The local store also refuses anything but a regular file under such a name, so a symbolic
link (or a FIFO) planted in a run's folder exposes nothing and blocks nothing.

* ``LocalStore`` (default): ``data_dir/runs/<id>/<name>``, the very folder the worker trains
  in, so storing is free and the API reads what the engine writes (one machine, or several
  sharing ``data_dir`` on a network volume).
* ``S3Store`` (``RLBOARD_ARTIFACT_URL=s3://bucket/prefix``): any S3-compatible store (MinIO
  with ``RLBOARD_S3_ENDPOINT_URL``), keys under the prefix; the worker uploads every
  ``artifact_sync_interval_s`` and when the run ends, and downloads the checkpoint before a
  resume on a machine that lacks it.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlparse

from backend.settings import Settings

#: Every artifact name there is: the engine's files and the evaluations' results.
ARTIFACT_NAME = re.compile(
    r"(log\.txt|checkpoint\.pt|metrics\.jsonl|progress\.csv|summary\.json|spec\.json"
    r"|eval-\d{1,12}\.(?:mp4|gif|json))"
)
#: What a resume on another machine needs (the engine cuts the metric files back itself).
RESUME_FILES = ("checkpoint.pt", "metrics.jsonl", "progress.csv")
#: What the worker uploads while a run trains, and again at its end.
RUN_FILES = ("log.txt", "checkpoint.pt", "metrics.jsonl", "progress.csv", "spec.json",
             "summary.json")
CHUNK = 1 << 20
#: Content-Type of each kind of artifact, by extension (nothing is left to sniffing).
CONTENT_TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".pt": "application/octet-stream",
    ".jsonl": "application/x-ndjson",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".mp4": "video/mp4",
    ".gif": "image/gif",
}


class ArtifactError(ValueError):
    """An unknown artifact name, or a store that is configured wrongly."""


@dataclass(frozen=True)
class ArtifactInfo:
    name: str
    size: int
    modified: datetime


def check_name(name: str) -> str:
    """``name`` if it is an artifact name, else ArtifactError."""
    if not ARTIFACT_NAME.fullmatch(name):
        raise ArtifactError(f"unknown artifact {name!r}")
    return name


def content_type(name: str) -> str:
    """The Content-Type of the artifact ``name``."""
    return CONTENT_TYPES[Path(check_name(name)).suffix]


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file, not a symbolic link; else
    FileNotFoundError (O_NONBLOCK: opening a FIFO must not hang the request)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:  # ELOOP for a link, ENOENT, ...
        raise FileNotFoundError(str(path)) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FileNotFoundError(str(path))
    return os.fdopen(fd, "rb")


def artifact_key(run_id: int, name: str) -> str:
    """The store key of ``name`` of run ``run_id``: ``runs/<run_id>/<name>``."""
    return f"runs/{int(run_id)}/{check_name(name)}"


class ArtifactStore(Protocol):
    def put(self, run_id: int, name: str, source: Path) -> None:
        """Store the file ``source`` as ``name`` of the run (replacing it)."""

    def fetch(self, run_id: int, name: str, destination: Path) -> bool:
        """Copy ``name`` of the run to ``destination``; False if the run has no such artifact."""

    def list(self, run_id: int) -> list[ArtifactInfo]:
        """The run's artifacts, by name."""

    def read(self, run_id: int, name: str, start: int, end: int | None) -> tuple[bytes, int]:
        """Bytes ``[start, end)`` of ``name`` (to its end if ``end`` is None) and its size;
        FileNotFoundError if it does not exist."""

    def stream(self, run_id: int, name: str) -> Iterator[bytes]:
        """The whole of ``name`` in chunks; FileNotFoundError if it does not exist."""


class LocalStore:
    """Artifacts in ``root/runs/<id>/<name>``; ``root`` is the data directory."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def path(self, run_id: int, name: str) -> Path:
        return self.root / artifact_key(run_id, name)

    def put(self, run_id: int, name: str, source: Path) -> None:
        target = self.path(run_id, name)
        if Path(source).resolve() == target:  # the run's own folder: already in place
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{name}.tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)

    def fetch(self, run_id: int, name: str, destination: Path) -> bool:
        source = self.path(run_id, name)
        if not source.is_file() or source.is_symlink():
            return False
        if source != Path(destination).resolve():
            Path(destination).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        return True

    def list(self, run_id: int) -> list[ArtifactInfo]:
        folder = self.root / "runs" / str(int(run_id))
        if not folder.is_dir():
            return []
        infos = []
        for path in sorted(folder.iterdir()):
            info = path.lstat()
            if ARTIFACT_NAME.fullmatch(path.name) and stat.S_ISREG(info.st_mode):
                infos.append(ArtifactInfo(path.name, info.st_size,
                                          datetime.fromtimestamp(info.st_mtime, UTC)))
        return infos

    def read(self, run_id: int, name: str, start: int, end: int | None) -> tuple[bytes, int]:
        with _open_regular(self.path(run_id, name)) as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(start)
            return f.read(max(0, (size if end is None else min(end, size)) - start)), size

    def stream(self, run_id: int, name: str) -> Iterator[bytes]:
        f = _open_regular(self.path(run_id, name))  # raises here, before the response starts

        def chunks() -> Iterator[bytes]:
            with f:
                while chunk := f.read(CHUNK):
                    yield chunk

        return chunks()


class S3Store:
    """Artifacts in an S3-compatible bucket under ``prefix``: ``prefix/runs/<id>/<name>``."""

    def __init__(self, url: str, endpoint_url: str | None = None, client: Any = None):
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ArtifactError(f"artifact URL {url!r}: expected s3://bucket[/prefix]")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        if client is None:
            import boto3  # only a deployment with an S3 store needs it loaded

            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client

    def key(self, run_id: int, name: str) -> str:
        key = artifact_key(run_id, name)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, run_id: int, name: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, self.key(run_id, name))

    def fetch(self, run_id: int, name: str, destination: Path) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(run_id, name))
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        Path(destination).parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, self.key(run_id, name), str(destination))
        return True

    def list(self, run_id: int) -> list[ArtifactInfo]:
        folder = self.key(run_id, "log.txt").rsplit("/", 1)[0] + "/"
        infos = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=folder
        ):
            for item in page.get("Contents", []):
                name = item["Key"][len(folder):]
                if ARTIFACT_NAME.fullmatch(name):
                    infos.append(ArtifactInfo(name, item["Size"], item["LastModified"]))
        return sorted(infos, key=lambda info: info.name)

    def _get(self, run_id: int, name: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(run_id, name),
                                          **kwargs)
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(name) from exc

    def read(self, run_id: int, name: str, start: int, end: int | None) -> tuple[bytes, int]:
        size = self._get_size(run_id, name)
        stop = size if end is None else min(end, size)
        if stop <= start:
            return b"", size
        body = self._get(run_id, name, Range=f"bytes={start}-{stop - 1}")["Body"]
        return body.read(), size

    def _get_size(self, run_id: int, name: str) -> int:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(run_id, name))
        except self.client.exceptions.ClientError as exc:
            raise FileNotFoundError(name) from exc
        return int(head["ContentLength"])

    def stream(self, run_id: int, name: str) -> Iterator[bytes]:
        return self._get(run_id, name)["Body"].iter_chunks(CHUNK)


def artifact_store(settings: Settings) -> ArtifactStore:
    """The store ``settings`` configure: S3 for an ``artifact_url``, else the data directory."""
    if settings.artifact_url:
        return S3Store(settings.artifact_url, settings.s3_endpoint_url)
    return LocalStore(settings.data_dir)
