"""SafeExecutor: declare which errors a block may survive; log and re-raise the rest.

    guard = SafeExecutor(logger, recoverable=(TimeoutError,), name="translator.poll")

    with guard:
        poll_once()                 # TimeoutError: logged with traceback, swallowed, counted

    @guard                          # same policy as a decorator (sync or async functions)
    def poll_once(): ...

Anything not declared recoverable is logged with its traceback and re-raised. Swallowed
errors are counted per executor name and exception type; ``swallowed_counts()`` is what
agent_runtime.metrics exports. BaseExceptions that are not Exceptions (KeyboardInterrupt,
SystemExit, GeneratorExit, asyncio.CancelledError) pass through untouched and unlogged.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_counts_lock = threading.Lock()
_swallowed: Counter[tuple[str, str]] = Counter()


def swallowed_counts() -> dict[tuple[str, str], int]:
    """``{(executor name, exception type): count}`` for every SafeExecutor in this process."""
    with _counts_lock:
        return dict(_swallowed)


def reset_swallowed_counts() -> None:
    """Forget all counts (for tests and for a process that restarts its work loop)."""
    with _counts_lock:
        _swallowed.clear()


def _type_name(exc_type: type[BaseException]) -> str:
    module = exc_type.__module__
    return exc_type.__qualname__ if module == "builtins" else f"{module}.{exc_type.__qualname__}"


class SafeExecutor:
    """Context manager and decorator that swallows only the declared recoverable errors."""

    def __init__(
        self,
        logger: logging.Logger | None = None,
        recoverable: tuple[type[BaseException], ...] | type[BaseException] = (),
        name: str = "default",
        default: Any = None,
    ) -> None:
        self.logger = logger or logging.getLogger(__name__)
        self.recoverable = recoverable if isinstance(recoverable, tuple) else (recoverable,)
        self.name = name
        self.default = default  # what a decorated call returns when its error was swallowed

    @property
    def swallowed(self) -> int:
        """How many errors this executor's name has swallowed, all types together."""
        with _counts_lock:
            return sum(n for (name, _), n in _swallowed.items() if name == self.name)

    def __enter__(self) -> SafeExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None or exc is None or not issubclass(exc_type, Exception):
            return False
        exc_info = (exc_type, exc, tb)
        if issubclass(exc_type, self.recoverable):
            with _counts_lock:
                _swallowed[(self.name, _type_name(exc_type))] += 1
            self.logger.warning("%s: recovered from %s: %s", self.name, exc_type.__name__, exc, exc_info=exc_info)
            return True
        self.logger.error("%s: unrecoverable %s: %s", self.name, exc_type.__name__, exc, exc_info=exc_info)
        return False

    def __call__(self, func: F) -> F:
        import inspect  # only decorating needs it

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*args, **kwargs)
                return self.default

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)
            return self.default

        return wrapper  # type: ignore[return-value]
