"""Every check leaves copies out by default: a query's own flagging example, moved into an archive folder, finds nothing."""

from __future__ import annotations

import pytest

from analyzer import queries
from tests.queries.conftest import run_on_files

ARCHIVE = "ARCHIVEDONTUSE/"  # a copy folder holding whole machine roots, as real trees keep them
# The ZeroMQ port checks leave copies out with the port resolution that goes with them (docs/copies.md).
PORT_CHECKS = {"port-collisions", "orphan-connects", "socket-kind-mismatch", "cross-machine-ports",
               "config-port-collision", "config-port-mismatch", "zmq-topology"}
CHECKS = [q for q in queries.load_all()
          if "include_copies" in q.params and q.id not in PORT_CHECKS and any(e.flags for e in q.examples())]


def test_every_detection_but_the_copies_own_takes_include_copies():
    without = sorted(q.id for q in queries.load_all() if q.kind == "detection" and "include_copies" not in q.params)
    assert set(without) <= {"dead-code-on-path", *PORT_CHECKS}, without  # dead-code-on-path reports the copies


@pytest.mark.slow
@pytest.mark.parametrize("query", CHECKS, ids=lambda q: q.id)
def test_a_flagging_example_moved_into_an_archive_folder_finds_nothing(query, tmp_path):
    example = next(e for e in query.examples() if e.flags)
    archived = {(path if path == "pyproject.toml" else ARCHIVE + path): text for path, text in example.files.items()}
    rows = run_on_files(query, archived, {k: v for k, v in example.params.items() if k != "include_copies"}, tmp_path)
    assert rows == []
