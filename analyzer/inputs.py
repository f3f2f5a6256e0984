"""What a snapshot is built from, known before any file is parsed: the inputs and their keyed fingerprint.

A scan compares this fingerprint with the current snapshot's to recognise an unchanged tree, and `check`
keys the report it saves with it. This module imports neither the parser nor the graph libraries, so both
answer an unchanged tree without loading them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from analyzer.cache import graph_version, keyed_digest
from analyzer.config import ScanConfig, load_scan_config
from analyzer.configs.discover import config_files_digest
from analyzer.credentials import CredentialScan, find_credentials
from analyzer.discover import SourceFile, list_files, one_listing
from analyzer.requirements import RequirementsScan, find_requirements
from analyzer.schema import schema_digest


@dataclass
class Inputs:
    config: ScanConfig
    sources: list[SourceFile]
    hashes: list[str]  # each source's content hash, in order ("" for one that cannot be read)
    credentials: CredentialScan  # literal secrets in config files (keys and lines only)
    requirements: RequirementsScan  # requirements / constraints / pyproject dependency lists
    fingerprint: str

    def source_hashes_by_path(self) -> dict[str, str]:
        return {source.path: sha for source, sha in zip(self.sources, self.hashes)}


def read_inputs(repo: Path, roots: list[str] | None = None, exclude: list[str] | None = None) -> Inputs:
    """Every input of a scan of `repo` (resolved), hashed; nothing is parsed."""
    config = load_scan_config(repo, roots, exclude)
    with one_listing():
        sources = list_files(repo, config)
        hashes = source_hashes(repo, sources)
        credentials = find_credentials(repo, config)
        requirements = find_requirements(repo, config)
        extra = config_files_digest(repo, config) + credentials.digest + requirements.digest
    return Inputs(config, sources, hashes, credentials, requirements, fingerprint(sources, hashes, config, extra))


def source_hashes(repo: Path, sources: list[SourceFile]) -> list[str]:
    """Each source's content hash; "" for one that cannot be read (its facts then say why)."""
    hashes = []
    for source in sources:
        try:
            hashes.append(hashlib.sha256(source.location(repo).read_bytes()).hexdigest())
        except OSError:
            hashes.append("")
    return hashes


def fingerprint(sources: list[SourceFile], hashes: list[str], config: ScanConfig, extra: str = "") -> str:
    """What a snapshot was built from, keyed with this user's local key: a snapshot planted in the store by
    the scanned repository cannot pass for an unchanged one."""
    # Every [tool.analyzer] setting, not a hand-kept list of the ones the graph depends on: a setting
    # forgotten here would give a stale "unchanged" scan; one that only `check` reads costs a rewrite.
    settings = json.dumps(config.raw, sort_keys=True, default=str)
    digest = hashlib.sha256(
        f"{graph_version()}|{schema_digest()}|{sorted(config.roots)}|{config.max_file_bytes}|{config.copies}|"
        f"{sorted(config.exclude)}|{settings}".encode("utf-8", "surrogateescape"))
    digest.update(extra.encode("utf-8", "surrogateescape"))  # deployment configs' paths and hashes
    for source, sha in zip(sources, hashes):
        digest.update(f"{source.path}\0{sha}\0{source.machine}\n".encode("utf-8", "surrogateescape"))
    return keyed_digest(digest.hexdigest())
