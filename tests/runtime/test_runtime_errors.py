"""agent_runtime.errors.SafeExecutor: swallow and count what is recoverable, log and re-raise the rest."""

from __future__ import annotations

import asyncio
import logging

import pytest

from agent_runtime.errors import SafeExecutor, reset_swallowed_counts, swallowed_counts

LOGGER = logging.getLogger("tests.safe_executor")


@pytest.fixture(autouse=True)
def clean_counts():
    reset_swallowed_counts()
    yield
    reset_swallowed_counts()


def test_recoverable_is_swallowed_counted_and_logged(caplog):
    guard = SafeExecutor(LOGGER, recoverable=(TimeoutError, ConnectionError), name="poller")
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        for _ in range(2):
            with guard:
                raise TimeoutError("peer silent")
        with guard:
            raise ConnectionResetError("reset")
    assert swallowed_counts() == {("poller", "TimeoutError"): 2, ("poller", "ConnectionResetError"): 1}
    assert guard.swallowed == 3
    record = caplog.records[0]
    assert record.levelno == logging.WARNING and "peer silent" in record.getMessage()
    assert record.exc_info and record.exc_info[0] is TimeoutError
    assert "Traceback" in caplog.text


def test_other_errors_are_logged_with_traceback_and_reraised(caplog):
    guard = SafeExecutor(LOGGER, recoverable=(TimeoutError,), name="poller")
    with caplog.at_level(logging.ERROR, logger=LOGGER.name), pytest.raises(KeyError):
        with guard:
            {}["missing"]
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and "unrecoverable KeyError" in record.getMessage()
    assert "Traceback" in caplog.text and "{}[\"missing\"]" in caplog.text
    assert swallowed_counts() == {}


def test_base_exceptions_pass_untouched(caplog):
    guard = SafeExecutor(LOGGER, recoverable=(Exception,), name="loop")
    with caplog.at_level(logging.DEBUG, logger=LOGGER.name), pytest.raises(KeyboardInterrupt):
        with guard:
            raise KeyboardInterrupt
    assert caplog.records == []


def test_decorator_returns_default_when_swallowed():
    calls = []

    @SafeExecutor(LOGGER, recoverable=ValueError, name="parse", default=-1)
    def parse(text: str) -> int:
        calls.append(text)
        return int(text)

    assert parse("41") == 41
    assert parse("x") == -1
    assert parse.__name__ == "parse"
    assert swallowed_counts() == {("parse", "ValueError"): 1}
    with pytest.raises(TypeError):
        parse(None)


def test_decorator_on_coroutine_function():
    @SafeExecutor(LOGGER, recoverable=(asyncio.TimeoutError,), name="async")
    async def fetch(fail: bool) -> str:
        if fail:
            raise asyncio.TimeoutError
        return "ok"

    assert asyncio.run(fetch(False)) == "ok"
    assert asyncio.run(fetch(True)) is None
    assert swallowed_counts() == {("async", "TimeoutError"): 1}


def test_counts_are_per_name_and_qualified_type():
    class AgentError(Exception):
        pass

    with SafeExecutor(LOGGER, recoverable=AgentError, name="a"):
        raise AgentError
    with SafeExecutor(LOGGER, recoverable=AgentError, name="b"):
        raise AgentError
    counts = swallowed_counts()
    assert len(counts) == 2
    assert {name for name, _ in counts} == {"a", "b"}
    assert all(kind.endswith("AgentError") and "." in kind for _, kind in counts)
