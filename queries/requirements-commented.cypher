// id: requirements-commented
// title: A commented-out requirement
// severity: info
// category: requirements
// precision: high
// tags: dependencies
// what: Finds comment lines in requirements, constraints and pyproject dependency lists that are themselves a requirement with a version or URL (`# transformers==4.30.2`). Prose comments and pip-compile's `# via pandas` name no version and are not flagged. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A commented-out pin is a decision nobody can see the reason for: whether the package was dropped, moved to another machine or disabled while debugging, it is still imported somewhere or re-enabled at the old version later.
// fix: Delete the line (version control keeps it), or restore it; say why in a comment if it must stay.
// message: {package} {specifier} is commented out
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: package
// column: specifier
// location: path, line
// identity: path, package, specifier
MATCH (f:RequirementsFile {snapshot: $snapshot})-[:DECLARES_REQUIREMENT]->(r:Requirement)
WHERE r.commented AND ($include_copies OR NOT r.is_copy)
RETURN r.path AS path, r.line AS line, r.machine AS machine, r.name AS package, r.specifier AS specifier
ORDER BY path, line, machine, package, specifier
