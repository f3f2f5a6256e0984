// id: broad-except-hotspots
// title: Modules with the most bare, broad or swallowing except clauses
// kind: report
// severity: low
// category: exceptions
// precision: high
// tags: reliability
// what: Ranks modules by their except clauses that are bare (`except:`), broad (`Exception` / `BaseException`, unless the handler re-raises) or swallow the error (only pass / continue / return None / a log line without the traceback), showing each count, the module's flagged total (a clause counts once even when it is broad and swallows), and its machine's flagged total for comparison; the $limit modules with the most flagged clauses (ties by path). Copies (docs/copies.md) are left out unless $include_copies.
// why: In a system with thousands of such handlers, fixing them one by one in line order never finishes; a few agents usually hold most of them, and those are the agents whose failures go unseen.
// fix: Start with the top modules: narrow their handlers to the exceptions they recover from, log tracebacks, and run `analyzer fix bare-except` for the bare ones; compare machine totals to see which side of the deployment needs the pass first.
// message: {path} holds {flagged} bare, broad or swallowing except clauses
// param: limit = 20
// param: include_copies = False
// column: path
// column: machine
// column: module
// column: bare
// column: broad
// column: swallowing
// column: flagged
// column: machine_flagged
// identity: path
MATCH (o:Module {snapshot: $snapshot})-[:HAS_EXCEPT]->(y:ExceptClause)
WHERE ($include_copies OR NOT o.is_copy)
  AND (y.kind = 'bare' OR (y.kind = 'broad' AND NOT y.reraises) OR (y.swallows AND NOT y.reraises AND NOT y.logs_traceback))
WITH o.machine AS machine_name, count(y) AS machine_flagged
MATCH (m:Module {snapshot: $snapshot, machine: machine_name})-[:HAS_EXCEPT]->(x:ExceptClause)
WHERE (x.kind = 'bare' OR (x.kind = 'broad' AND NOT x.reraises) OR (x.swallows AND NOT x.reraises AND NOT x.logs_traceback))
  AND ($include_copies OR NOT m.is_copy)
WITH m, machine_flagged, count(x) AS flagged,
     count(CASE WHEN x.kind = 'bare' THEN 1 END) AS bare,
     count(CASE WHEN x.kind = 'broad' AND NOT x.reraises THEN 1 END) AS broad,
     count(CASE WHEN x.swallows AND NOT x.reraises AND NOT x.logs_traceback THEN 1 END) AS swallowing
RETURN m.path AS path, m.machine AS machine, m.name AS module, bare, broad, swallowing, flagged, machine_flagged
ORDER BY flagged DESC, path, machine, module, bare, broad, swallowing, machine_flagged
LIMIT $limit
