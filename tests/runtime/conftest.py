"""Shared fixtures for the runtime tests: a stand-in NVML and a ports.yaml writer."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from runtime_fakes import GIB, make_fake_nvml


@pytest.fixture
def fake_gpus() -> list[dict]:
    return [
        {"name": "NVIDIA H100", "uuid": "GPU-0000", "total": 80 * GIB, "used": 20 * GIB, "util": 37,
         "procs": [(4242, 19 * GIB)]},
        {"name": "NVIDIA H100", "uuid": "GPU-0001", "total": 80 * GIB, "used": 1 * GIB, "util": None},
    ]


@pytest.fixture
def fake_nvml(fake_gpus: list[dict]) -> types.SimpleNamespace:
    return make_fake_nvml(fake_gpus)


@pytest.fixture
def ports_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a ports.yaml under tmp_path/config and point ANALYZER_PORTS_FILE at it."""
    for name in list(os.environ):
        if name.startswith("PORT_"):
            monkeypatch.delenv(name)

    def write(text: str) -> Path:
        path = tmp_path / "config" / "ports.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text))
        monkeypatch.setenv("ANALYZER_PORTS_FILE", str(path))
        return path

    return write
