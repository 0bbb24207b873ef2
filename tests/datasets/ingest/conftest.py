"""Fixtures for the pure ingestion tests: every corpus file is generated in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes | str], str]:
    """write(name, content) -> path of a new file named `name` holding `content`."""

    def _write(name: str, content: bytes | str, encoding: str = "utf-8") -> str:
        path = tmp_path / name
        path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
        return str(path)

    return _write
