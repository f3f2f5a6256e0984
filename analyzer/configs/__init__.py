"""The system's own deployment configs in the graph: startup configs, ports.yaml, compose, .env.

    deployment, links = read_and_resolve(repo, scan_config, files)   # after resolve_repository
    add_deployment(graph, deployment, links)                         # after build_snapshot

Readers use pyyaml's node API so every agent, port and dependency keeps its
line; a malformed file becomes a ConfigFile with parse_status "error" (and the
`config-malformed` finding), never an exception. See docs/configs.md.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from analyzer.config import ScanConfig
from analyzer.configs.deployment import read_deployment
from analyzer.configs.graph import add_deployment
from analyzer.configs.model import PARSE_ERROR, Deployment
from analyzer.configs.ports import CONFIG_SOURCES, PortLink, resolve_endpoint_ports
from analyzer.facts import FileFacts

__all__ = ["add_deployment", "read_and_resolve", "summary", "Deployment", "PortLink"]

# Endpoint.port_source -> summary bucket. `none` (ipc://, inproc://) has no port and no bucket.
CODE_SOURCES = ("literal", "constant", "imported_constant", "self_attr", "default_arg", "env_default")


def read_and_resolve(
    repo: Path, config: ScanConfig, files: list[FileFacts], cache_dir: str | None = None
) -> tuple[Deployment, dict[tuple[str, int], PortLink]]:
    """Read every config (what each file declares cached by content under `cache_dir`), then give
    endpoints the ports the configs supply (in place)."""
    deployment = read_deployment(repo, config, (f.path for f in files), cache_dir)
    return deployment, resolve_endpoint_ports(files, deployment)


def summary(files: list[FileFacts], deployment: Deployment) -> dict:
    """ScanReport fields: where endpoint ports come from, and what the configs hold."""
    sources = Counter(e.port_source for f in files for e in f.endpoints)
    return {
        "endpoints_literal": sum(sources[s] for s in CODE_SOURCES),
        "endpoints_config_resolved": sum(sources[s] for s in CONFIG_SOURCES),
        "endpoints_unknown": sources["dynamic"],
        "config_files": len(deployment.files),
        "config_errors": sorted(f.path for f in deployment.files if f.parse_status == PARSE_ERROR),
        "configured_agents": len(deployment.agents),
    }
