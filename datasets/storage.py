"""Dataset files in the configured storage (a local folder or S3), under server keys.

Processing and previews need a local path (pyarrow memory-maps Parquet, readers seek), so
files in remote storage are copied to a local cache under `var/cache/`, keyed by storage key.
Keys are never derived from user input.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage

CHUNK = 1024 * 1024


def cache_dir() -> Path:
    path = Path(settings.VAR_DIR) / "cache" / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_local() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def save_stream(key: str, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Write `chunks` to `key` without holding the whole file in memory; return (size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=cache_dir(), delete=False, suffix=".part") as tmp:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            tmp.write(chunk)
    try:
        save_file(key, tmp.name)
    finally:
        os.unlink(tmp.name)
    return size, digest.hexdigest()


def save_file(key: str, path: str | os.PathLike) -> None:
    """Store the local file at `path` under exactly `key` (keys are unique by construction)."""
    if is_local():
        target = Path(default_storage.path(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return
    with open(path, "rb") as handle:
        saved = default_storage.save(key, handle)
    if saved != key:  # pragma: no cover - file_overwrite=False renames only on a key collision
        raise RuntimeError(f"Storage stored {key} as {saved}")


def local_path(key: str) -> Path:
    """A local path to read `key` from: the file itself, or a cached copy of the remote one."""
    if is_local():
        return Path(default_storage.path(key))
    cached = cache_dir() / hashlib.sha256(key.encode()).hexdigest()
    if cached.exists():
        os.utime(cached)  # most recently used: evicted last
        return cached
    with (
        default_storage.open(key, "rb") as remote,
        tempfile.NamedTemporaryFile(dir=cache_dir(), delete=False, suffix=".part") as tmp,
    ):
        shutil.copyfileobj(remote, tmp, CHUNK)
    os.replace(tmp.name, cached)
    evict_cache(keep=cached)
    return cached


def evict_cache(*, keep: Path | None = None) -> None:
    """Delete the least recently used cached copies until the cache fits its budget.

    Copies of remote files are only a speed-up (they are fetched again when needed); an open
    file stays readable after its name is removed, so eviction never breaks a reader."""
    budget = settings.DATASET_CACHE_BYTES
    files = []
    for path in cache_dir().iterdir():
        if path.is_file() and path.suffix != ".part":
            stat = path.stat()
            files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files):
        if total <= budget:
            break
        if path != keep:
            path.unlink(missing_ok=True)
            total -= size


def drop_cached(key: str) -> None:
    """Forget this process's local copy of a remote file (the stored file stays)."""
    (cache_dir() / hashlib.sha256(key.encode()).hexdigest()).unlink(missing_ok=True)


def read_bytes(key: str) -> bytes:
    with default_storage.open(key, "rb") as handle:
        return handle.read()


def delete_keys(keys: Iterable[str]) -> None:
    """Delete stored files and their cached copies; missing ones are fine."""
    keys = [key for key in keys if key]
    for key in keys:
        if default_storage.exists(key):
            default_storage.delete(key)
        cached = cache_dir() / hashlib.sha256(key.encode()).hexdigest()
        cached.unlink(missing_ok=True)
    if is_local():
        _remove_empty_dirs(keys)


def _remove_empty_dirs(keys: Iterable[str]) -> None:
    root = Path(default_storage.location)
    for key in keys:
        parent = (root / key).parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
