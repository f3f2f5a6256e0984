"""TODO / FIXME / XXX / HACK comments, with any ticket reference they carry.

A tag is an upper-case word of its own: `TODOs` and `TODO_CLEANUP_DAYS` are not
tags. A comment counts once per tag of its leading run of tags (`TODO-FIXME:`,
`FIXME/HACK`), each with the text after the run; a tag named later in the text
(`# TODO: drop the HACK below`) is prose.
"""

from __future__ import annotations

import re

from analyzer.extract.base import Example, Extractor
from analyzer.facts import TodoFact
from analyzer.redact import redact_text

TAGS = ("TODO", "FIXME", "XXX", "HACK")
# Comments worth handing to this extractor at all (see extract/lines.py); a prefilter, so it may over-match.
COMMENT_TAG_RE = re.compile(r"\b(?:" + "|".join(TAGS) + r")\b")
_FIRST_TAG_RE = re.compile(r"(?<!\w)(" + "|".join(TAGS) + r")(?!\w)")
# What may follow a tag before the next tag of the same run or the text: `(ABC-12)`, `:`, `-`, `/`, `,`, spaces.
_AFTER_TAG_RE = re.compile(r"(?:\([^)]*\))?[\s:\-/,|]*")
_NEXT_TAG_RE = re.compile(r"(" + "|".join(TAGS) + r")(?!\w)")
# `#123`, `GH-7`, `ABC-12`: in parentheses after the tag or anywhere in the text.
TICKET_RE = re.compile(r"(?<![\w/&])#\d+\b|\b[A-Z][A-Z0-9]{1,9}-\d+\b")


def _tag_run(comment: str) -> tuple[list[str], int, int] | None:
    """(the tags of the comment's first run of tags, where the run starts, where its text starts), or None."""
    first = _FIRST_TAG_RE.search(comment)
    if first is None:
        return None
    tags, position = [first.group(1)], first.end()
    while True:
        after = _AFTER_TAG_RE.match(comment, position)
        assert after is not None  # every part of the pattern is optional: it always matches
        position = after.end()
        following = _NEXT_TAG_RE.match(comment, position)
        if following is None or following.group(1) in tags:
            return tags, first.start(), position
        tags.append(following.group(1))
        position = following.end()


def todo_facts(comments: list[tuple[int, str]]) -> list[TodoFact]:
    """One TodoFact per tag of each comment's leading run of tags, from (line, "# text") pairs."""
    facts: list[TodoFact] = []
    for line, comment in comments:
        run = _tag_run(comment)
        if run is None:
            continue
        tags, start, text_start = run
        ticket = TICKET_RE.search(comment[start:])
        text = redact_text(comment[text_start:].strip())  # a password in the comment stays out of every output
        facts.extend(TodoFact(line, tag, text, ticket.group(0) if ticket else "") for tag in tags)
    return facts


class TodoExtractor(Extractor):
    facts_field = "todos"
    EXAMPLES = [
        Example("x = 1  # TODO: make this configurable\n", [{"tag": "TODO", "text": "make this configurable", "ticket": ""}]),
        Example("# FIXME(#123) leaks sockets\n", [{"tag": "FIXME", "ticket": "#123", "line": 1}]),
        Example("\n\n# TODO(ABC-12): retry\n", [{"tag": "TODO", "ticket": "ABC-12", "line": 3}]),
        Example("# HACK until the broker lands\n", [{"tag": "HACK"}]),
        Example("# TODO-FIXME: the retry loop never ends\n",
                [{"tag": "TODO", "text": "the retry loop never ends"}, {"tag": "FIXME", "text": "the retry loop never ends"}]),
        Example("# TODO: drop the HACK below\n", [{"tag": "TODO", "text": "drop the HACK below"}]),
        Example("s = '# TODO not a comment'\n", []),
        Example("# todo lowercase is prose, not a marker\n", []),
        Example("# TODOs live in the tracker\nTODO_CLEANUP_DAYS = 7  # see TODO_CLEANUP_DAYS\n", []),
    ]

    def finish(self) -> None:
        self.context.facts.todos.extend(todo_facts(self.context.lines.comments))
