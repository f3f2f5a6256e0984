// id: duplicate-agents
// title: Duplicated agents and copied modules
// severity: medium
// category: structure
// precision: medium
// tags: maintainability
// what: Finds pairs of modules that are the same agent or the same code in two places, once per pair (`path` < `other_path`), with the strongest evidence as `kind`: `same_content` for two modules of at least $min_lines lines with the same normalised syntax tree (comments, blank lines, quotes and formatting ignored), copies included (a copy duplicating a live module is the copy's own finding; a pair of two copies only with $include_copies); `file_name` for two agents with the same file name and different content (e.g. `health_monitor.py` on both machines); `class_name` for two agents with different file names defining the same agent class (a class named `*Agent` or deriving from one). `name` is the shared file or class name; `line`/`other_line` the class definitions, or 1 for a whole file. Test modules are left out.
// why: Two copies of an agent drift apart: a fix lands in one, the launcher or the other machine runs the other, and both may bind the same ports; same-named agents on two machines make logs, configs and health checks ambiguous about which one is meant.
// fix: Keep one implementation (in a shared folder, parameterised per machine) and delete the copies; rename agents that really differ so each name means one thing; version history replaces `_backup` files.
// message: {path} duplicates {other_path} ({kind}: {name})
// param: min_lines = 10
// param: include_copies = False
// column: kind
// column: name
// column: path
// column: line
// column: other_path
// column: other_line
// location: path, line
// identity: kind, name, path, other_path
MATCH (a:Module {snapshot: $snapshot})-[:HAS_DUPLICATE_KEY]->(:DuplicateKey)<-[:HAS_DUPLICATE_KEY]-(b:Module)
WHERE a.path < b.path AND ($include_copies OR NOT (a.is_copy AND b.is_copy))
WITH DISTINCT a, b
WITH a, b, a.normalized_hash = b.normalized_hash AND a.normalized_hash <> '' AND a.lines >= $min_lines AS same_content
WHERE same_content OR (a.is_agent AND b.is_agent)
OPTIONAL MATCH (a)-[:DEFINES_CLASS]->(x:Class)
WHERE x.name ENDS WITH 'Agent' OR x.bases CONTAINS 'Agent'
OPTIONAL MATCH (b)-[:DEFINES_CLASS]->(y:Class)
WHERE y.name = x.name
WITH a, b, x, y,
     CASE WHEN same_content THEN 'same_content' WHEN a.file_name = b.file_name THEN 'file_name'
          WHEN y IS NOT NULL THEN 'class_name' END AS kind
WHERE kind IS NOT NULL
RETURN DISTINCT kind, CASE kind WHEN 'class_name' THEN x.name ELSE a.file_name END AS name, a.path AS path,
       CASE kind WHEN 'class_name' THEN x.line ELSE 1 END AS line, b.path AS other_path,
       CASE kind WHEN 'class_name' THEN y.line ELSE 1 END AS other_line
ORDER BY kind, path, other_path, name, line, other_line
