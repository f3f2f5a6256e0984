"""The socket-kind-mismatch query's table of valid pairs, read from the query text itself."""

from __future__ import annotations

import re

from analyzer import queries
from analyzer.extract.zmq import SOCKET_KINDS

# Kinds whose peers the table decides; STREAM talks to plain TCP peers, never to a ZeroMQ socket kind.
PAIRED_KINDS = SOCKET_KINDS - {"STREAM"}


def _valid_pairs() -> set[tuple[str, str]]:
    cypher = queries.get("socket-kind-mismatch").cypher
    table = cypher.split("NOT (b.socket_kind + '-' + c.socket_kind) IN [", 1)[1].split("]", 1)[0]
    return {tuple(pair.split("-")) for pair in re.findall(r"'([A-Z]+-[A-Z]+)'", table)}


def _kind_lists() -> list[set[str]]:
    cypher = queries.get("socket-kind-mismatch").cypher
    return [set(re.findall(r"'([A-Z]+)'", found)) for found in re.findall(r"socket_kind IN \[([^\]]*)\]", cypher)]


def test_every_valid_pair_is_listed_whichever_side_binds():
    pairs = _valid_pairs()
    assert pairs == {(b, a) for a, b in pairs}


def test_the_table_holds_exactly_the_zeromq_pairings():
    expected = {
        ("PUB", "SUB"), ("PUB", "XSUB"), ("XPUB", "SUB"), ("XPUB", "XSUB"), ("REQ", "REP"), ("REQ", "ROUTER"),
        ("DEALER", "REP"), ("DEALER", "ROUTER"), ("DEALER", "DEALER"), ("ROUTER", "ROUTER"), ("PUSH", "PULL"),
        ("PAIR", "PAIR"),
    }
    assert _valid_pairs() == expected | {(b, a) for a, b in expected}


def test_both_sides_are_restricted_to_the_kinds_the_extractor_knows_except_stream():
    kind_lists = _kind_lists()
    assert len(kind_lists) == 2
    assert all(kinds == PAIRED_KINDS for kinds in kind_lists)
    assert {kind for pair in _valid_pairs() for kind in pair} == PAIRED_KINDS
