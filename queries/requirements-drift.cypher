// id: requirements-drift
// title: A package specified differently in two dependency files
// severity: medium
// category: requirements
// precision: high
// tags: dependencies
// what: Finds packages that two requirements, constraints or pyproject files give different version specifiers (or URLs), on one machine or across machines: torch==2.0.0 in main_pc_code/requirements.txt and torch==2.2.1 in pc2_code/requirements.txt. One row per pair of files and specifiers, at each file's first such line. Lines without a specifier defer to the others and are not drift; two different environment markers are a deliberate platform split and are not compared. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Agents on two machines (or two installs of one machine) then run different library versions: pickled tensors, model checkpoints and serialised messages stop loading on the other side, and a bug fixed on one machine is still live on the other.
// fix: Pin the package once (a shared constraints file that every machine's requirements include with -c) or align the versions; `scope` says whether the drift is within one machine or across machines.
// message: {package} is {specifier} here but {other_specifier} in {other_path}:{other_line}
// param: include_copies = False
// column: package
// column: path
// column: line
// column: machine
// column: specifier
// column: other_path
// column: other_line
// column: other_machine
// column: other_specifier
// column: scope
// location: path, line
// identity: package, path, specifier, other_path, other_specifier
MATCH (a:Requirement {snapshot: $snapshot})
MATCH (b:Requirement {snapshot: $snapshot, name: a.name})
WHERE a.path < b.path
  AND NOT a.commented AND NOT b.commented AND a.error = '' AND b.error = ''
  AND a.specifier <> '' AND b.specifier <> '' AND a.specifier <> b.specifier
  AND (a.marker = b.marker OR a.marker = '' OR b.marker = '')
  AND ($include_copies OR NOT (a.is_copy OR b.is_copy))
WITH a.name AS package, a.path AS path, a.machine AS machine, a.specifier AS specifier,
     b.path AS other_path, b.machine AS other_machine, b.specifier AS other_specifier,
     min(a.line) AS line, min(b.line) AS other_line
RETURN package, path, line, machine, specifier, other_path, other_line, other_machine, other_specifier,
       CASE WHEN machine = other_machine THEN 'within machine' ELSE 'across machines' END AS scope
ORDER BY package, path, line, machine, specifier, other_path, other_line, other_machine, other_specifier, scope
