"""The system's own deployment configs in the graph: startup configs, ports.yaml, compose, .env.

    deployment = read_deployment(repo, scan_config, files)       # then analyzer.endpoints.resolve_endpoints
    add_deployment(graph, deployment, endpoints)                 # after build_snapshot

Readers use pyyaml's node API so every agent, port and dependency keeps its
line; a malformed file becomes a ConfigFile with parse_status "error" (and the
`config-malformed` finding), never an exception. See docs/configs.md.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.config import ScanConfig
from analyzer.configs import deployment as _deployment
from analyzer.configs.discover import config_files_digest
from analyzer.configs.graph import add_deployment
from analyzer.configs.model import PARSE_ERROR, Deployment
from analyzer.facts import FileFacts

__all__ = ["add_deployment", "config_files_digest", "read_deployment", "summary", "Deployment"]


def read_deployment(repo: Path, config: ScanConfig, files: list[FileFacts], cache_dir: str | None = None) -> Deployment:
    """Read every config (what each file declares cached by content under `cache_dir`) and link it to the modules."""
    return _deployment.read_deployment(repo, config, (f.path for f in files), cache_dir, {f.machine for f in files})


def summary(deployment: Deployment) -> dict:
    """ScanReport fields: what the configs hold."""
    return {
        "config_files": len(deployment.files),
        "config_errors": sorted(f.path for f in deployment.files if f.parse_status == PARSE_ERROR),
        "configured_agents": len(deployment.agents),
    }
