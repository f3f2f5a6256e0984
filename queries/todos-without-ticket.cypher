// id: todos-without-ticket
// title: TODO comments without a ticket reference
// severity: low
// category: debt
// precision: high
// tags: maintainability, CWE-546
// what: Finds every TODO, FIXME, HACK and XXX comment that names no ticket (`#123` or `ABC-12`, after the tag in parentheses or anywhere in the comment), one row per comment, with its tag and text. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A marker without a ticket is a plan nobody scheduled: it outlives its author, nobody knows whether it still applies, and the risk it describes ("catch everything for the demo") stays in production unseen.
// fix: Open a ticket for each marker that still matters and write its reference into the comment (`# TODO(ABC-12): retry with backoff`); fix or delete the rest.
// message: {tag} without a ticket: {text}
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: tag
// column: text
// location: path, line
// identity: path, tag, text
MATCH (m:Module {snapshot: $snapshot})-[:HAS_TODO]->(t:Todo)
WHERE t.ticket = '' AND ($include_copies OR NOT m.is_copy)
RETURN t.path AS path, t.line AS line, t.machine AS machine, t.tag AS tag, t.text AS text
ORDER BY path, line, machine, tag, text
