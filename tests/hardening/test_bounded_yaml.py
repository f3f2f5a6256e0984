"""YAML a repository wrote is read within the runtime's bounds (tests/runtime covers the loader itself):
alias bombs, recursive aliases and huge files are findings, and ordinary anchors still work."""

from __future__ import annotations

import time

import pytest
import yaml
from agent_runtime.boundedyaml import DEFAULT_MAX_BYTES as MAX_YAML_BYTES
from agent_runtime.boundedyaml import compose_bounded_yaml

from analyzer.config import ScanConfig
from analyzer.configs.deployment import read_deployment
from analyzer.credentials import credentials_in
from tests.conftest import write_repo
from tests.hardening.hostile import RECURSIVE_ALIAS, alias_bomb

DEPLOYMENT_FILES = ("main_pc_code/config/startup_config.yaml", "config/ports.yaml", "docker-compose.yml")


def test_ordinary_anchors_still_work():
    text = "defaults: &d {restart: always, port: 5}\nservices:\n  a: {<<: *d, image: x}\n  b: {<<: *d}\n"
    [document] = compose_bounded_yaml(text)
    assert yaml.SafeLoader("").construct_document(document)["services"]["a"] == {"restart": "always", "port": 5,
                                                                                 "image": "x"}


@pytest.mark.parametrize("hostile", ["bomb", "recursive", "huge"])
def test_every_deployment_config_reports_a_hostile_file_as_malformed(tmp_path, hostile):
    text = {"bomb": alias_bomb(), "recursive": RECURSIVE_ALIAS, "huge": "k: v\n" * (MAX_YAML_BYTES // 5 + 1)}[hostile]
    repo = write_repo(tmp_path, {name: text for name in DEPLOYMENT_FILES})
    started = time.perf_counter()
    deployment = read_deployment(repo, ScanConfig(), [], str(tmp_path / "cache"))
    assert time.perf_counter() - started < 5
    kinds = {f.path: (f.parse_status, f.error_kind) for f in deployment.files}
    assert kinds == {name: ("error", "PortRegistryError" if name == "config/ports.yaml" else "YamlLimitError")
                     for name in DEPLOYMENT_FILES}  # registries go through the runtime's own bounded parser


def test_the_credential_reader_is_bounded_too():
    started = time.perf_counter()
    assert credentials_in(alias_bomb() + "password: hunter2\n", "yaml") == []
    assert credentials_in(RECURSIVE_ALIAS, "yaml") == []
    assert time.perf_counter() - started < 0.5
    assert credentials_in("db: {password: hunter2}\n", "yaml") == [(1, "db.password")]
