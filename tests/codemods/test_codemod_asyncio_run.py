"""asyncio-run beyond its examples: where it may and may not rewrite."""

from __future__ import annotations

import pytest

from agent_graph_codemods.asyncio_run import AsyncioRun
from agent_graph_codemods.base import apply_to_source


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("import asyncio\nif __name__ == '__main__':\n    loop = asyncio.get_event_loop()\n"
                     "    loop.run_until_complete(main())\n    loop.run_forever()\n", id="loop reused"),
        pytest.param("import asyncio\nif DEBUG:\n    asyncio.get_event_loop().run_until_complete(main())\n",
                     id="other if blocks"),
        pytest.param("import asyncio\nclass A:\n    asyncio.get_event_loop().run_until_complete(main())\n",
                     id="class bodies"),
        pytest.param("import asyncio\nloop = asyncio.get_event_loop()  # shared\nloop.run_until_complete(main())\n",
                     id="a comment on the line that would go"),
        pytest.param("import asyncio\nasyncio.get_event_loop().run_until_complete(a(), b)\n", id="two arguments"),
        pytest.param("import asyncio\nloop = asyncio.get_event_loop()\ndef f():\n    return loop\n"
                     "loop.run_until_complete(main())\n", id="loop used in a function"),
    ],
)
def test_left_alone(code: str) -> None:
    result = apply_to_source(AsyncioRun(), code)
    assert result.code == code and result.edits == []


def test_main_guard_with_reversed_comparison_and_edit_line() -> None:
    code = "import asyncio\n\nif '__main__' == __name__:\n    asyncio.get_event_loop().run_until_complete(main())\n"
    result = apply_to_source(AsyncioRun(), code)
    assert result.code == code.replace("asyncio.get_event_loop().run_until_complete", "asyncio.run")
    assert [e.line for e in result.edits] == [4]


def test_two_line_form_in_main_block_keeps_comments() -> None:
    code = ("import asyncio\n\nif __name__ == \"__main__\":\n    # the loop\n    loop = asyncio.get_event_loop()\n"
            "\n    loop.run_until_complete(main())  # run\n")
    expected = "import asyncio\n\nif __name__ == \"__main__\":\n    # the loop\n\n    asyncio.run(main())  # run\n"
    assert apply_to_source(AsyncioRun(), code).code == expected
