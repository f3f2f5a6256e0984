// id: requirements-malformed
// title: A dependency line pip cannot read
// severity: low
// category: requirements
// precision: high
// tags: dependencies
// what: Finds lines of requirements, constraints and pyproject files that are not a PEP 508 requirement, a URL or path, or a pip option, `-r` / `-c` includes of files that do not exist, and pyproject.toml files that are not valid TOML. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: pip stops at the first such line, so the machine's whole install fails (often only at deployment), and the analyzer cannot compare what the file was meant to pin.
// fix: Fix the line (`error` says what is wrong), or the include's path.
// message: pip cannot read `{text}`: {error}
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: text
// column: error
// location: path, line
// identity: path, text
MATCH (f:RequirementsFile {snapshot: $snapshot})-[:DECLARES_REQUIREMENT]->(r:Requirement)
WHERE r.error <> '' AND ($include_copies OR NOT r.is_copy)
RETURN r.path AS path, r.line AS line, r.machine AS machine, r.raw AS text, r.error AS error
ORDER BY path, line, machine, text, error
