// id: requirements-duplicates
// title: A package declared twice in one dependency file
// severity: low
// category: requirements
// precision: high
// tags: dependencies
// what: Finds a requirement that its file already declared on an earlier line (same package, same pyproject group, same environment marker): numpy==1.24.4 on lines 4 and 7. One row per repeated line, with the first declaration's line and specifier. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: pip installs only one of them; when the specifiers differ pip either fails with a double-requirement error or the later edit silently does not apply, and when they agree a version bump on one line leaves the other stale.
// fix: Delete the repeated line (keep one declaration per package per file).
// message: {package} is declared again ({specifier}) after line {first_line} ({first_specifier})
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: package
// column: specifier
// column: first_line
// column: first_specifier
// location: path, line
// identity: path, package, specifier, first_specifier
MATCH (f:RequirementsFile {snapshot: $snapshot})-[:DECLARES_REQUIREMENT]->(a:Requirement)
MATCH (f)-[:DECLARES_REQUIREMENT]->(b:Requirement)
WHERE b.name = a.name AND b.dependency_group = a.dependency_group AND b.marker = a.marker AND b.line < a.line
  AND NOT a.commented AND NOT b.commented AND a.error = '' AND b.error = ''
  AND ($include_copies OR NOT a.is_copy)
WITH f, a, min(b.line) AS first_line
MATCH (f)-[:DECLARES_REQUIREMENT]->(first:Requirement)
WHERE first.line = first_line AND first.name = a.name AND first.dependency_group = a.dependency_group AND NOT first.commented
RETURN DISTINCT a.path AS path, a.line AS line, a.machine AS machine, a.name AS package, a.specifier AS specifier,
       first_line, first.specifier AS first_specifier
ORDER BY path, line, machine, package, specifier, first_line, first_specifier
