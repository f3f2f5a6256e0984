// id: most-imported
// title: Most imported modules
// severity: info
// category: structure
// precision: high
// tags: maintainability
// what: Lists the $limit repository modules that the most other modules import directly (`imported_by`), with how many repository modules each imports itself (`imports`) and how many non-test modules depend on it directly or through others (`dependents`). Modules nothing imports are not listed. Copies (docs/copies.md) are left out unless $include_copies.
// why: The modules at the top are the system's shared core: a change there reaches every importer, an import-time side effect there (opening sockets, loading a model, reading a config) runs in every agent, and a module high on both fan-in and fan-out is where import cycles form.
// fix: Keep these modules small, free of import-time side effects and of heavy imports, and covered by tests; split a module that is both widely imported and imports much into a stable core and the parts that need the rest.
// message: {path} is imported by {imported_by} modules
// kind: report
// param: limit = 20
// param: include_copies = False
// column: path
// column: machine
// column: imported_by
// column: imports
// column: dependents
MATCH (m:Module {snapshot: $snapshot})
WHERE m.imports_in > 0 AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, m.machine AS machine, m.imports_in AS imported_by, m.imports_out AS imports,
       m.dependents AS dependents
ORDER BY imported_by DESC, path, machine, imports, dependents
LIMIT $limit
