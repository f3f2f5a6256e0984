"""Every extractor's own examples are test cases: code that must yield facts, code that must not."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from analyzer.extract import DOCUMENTED_EXTRACTORS, extract_source

CASES = [
    pytest.param(extractor, example, id=f"{extractor.__name__}-{index}")
    for extractor in DOCUMENTED_EXTRACTORS
    for index, example in enumerate(extractor.EXAMPLES)
]


@pytest.mark.parametrize(("extractor", "example"), CASES)
def test_example(extractor, example):
    facts = extract_source(example.code)
    assert facts.parse_status == "ok", facts.parse_error
    found = [asdict(fact) for fact in getattr(facts, extractor.facts_field)]
    assert len(found) == len(example.facts), f"expected {example.facts}, found {found}"
    for fact, expected in zip(found, example.facts):
        assert {key: fact[key] for key in expected} == expected


@pytest.mark.parametrize("extractor", DOCUMENTED_EXTRACTORS, ids=lambda e: e.__name__)
def test_every_extractor_has_flagging_and_clean_examples(extractor):
    assert any(example.facts for example in extractor.EXAMPLES), "no example that yields a fact"
    assert any(not example.facts for example in extractor.EXAMPLES), "no must-not-flag example"
