"""TODO / FIXME / XXX / HACK comments, with any ticket reference they carry."""

from __future__ import annotations

import re

from analyzer.extract.base import Example, Extractor
from analyzer.facts import TodoFact
from analyzer.redact import redact_text

# Comments worth handing to this extractor at all (see extract/lines.py).
COMMENT_TAG_RE = re.compile(r"\b(?:TODO|FIXME|XXX|HACK)\b")
TAG_RE = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b(?:\([^)]*\))?[\s:\-]*")
# `#123`, `GH-7`, `ABC-12`: in parentheses after the tag or anywhere in the text.
TICKET_RE = re.compile(r"(?<![\w/&])#\d+\b|\b[A-Z][A-Z0-9]{1,9}-\d+\b")


class TodoExtractor(Extractor):
    facts_field = "todos"
    EXAMPLES = [
        Example("x = 1  # TODO: make this configurable\n", [{"tag": "TODO", "text": "make this configurable", "ticket": ""}]),
        Example("# FIXME(#123) leaks sockets\n", [{"tag": "FIXME", "ticket": "#123", "line": 1}]),
        Example("\n\n# TODO(ABC-12): retry\n", [{"tag": "TODO", "ticket": "ABC-12", "line": 3}]),
        Example("# HACK until the broker lands\n", [{"tag": "HACK"}]),
        Example("s = '# TODO not a comment'\n", []),
        Example("# todo lowercase is prose, not a marker\n", []),
    ]

    def finish(self) -> None:
        for line, comment in self.context.lines.comments:
            match = TAG_RE.search(comment)
            if match is None:
                continue
            text = redact_text(comment[match.end():].strip())
            ticket = TICKET_RE.search(comment[match.start():])
            self.context.facts.todos.append(
                TodoFact(line, match.group(1), text, ticket.group(0) if ticket else "")
            )
