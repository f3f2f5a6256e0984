// id: todo-hotspots
// title: Modules with the most TODO / FIXME / HACK / XXX comments
// kind: report
// severity: info
// category: debt
// precision: high
// tags: maintainability
// what: Ranks modules by their TODO, FIXME, HACK and XXX comments, with each tag's count, the total, and how many carry no ticket reference (`#123`, `ABC-12`); the $limit modules with the most (ties by path). Copies (docs/copies.md) are left out unless $include_copies.
// why: Markers cluster where code was patched under pressure: a module full of HACK and FIXME is usually the one that breaks next, and markers without a ticket are debt that no plan tracks.
// fix: Review the top modules first: turn each marker that still matters into a ticket and write its reference into the comment (`# TODO(ABC-12): ...`), fix or delete the rest.
// message: {path} holds {total} TODO, FIXME, HACK or XXX comments
// param: limit = 20
// param: include_copies = False
// column: path
// column: machine
// column: module
// column: todo
// column: fixme
// column: hack
// column: xxx
// column: total
// column: without_ticket
// identity: path
MATCH (m:Module {snapshot: $snapshot})-[:HAS_TODO]->(t:Todo)
WHERE $include_copies OR NOT m.is_copy
WITH m, count(t) AS total,
     count(CASE WHEN t.tag = 'TODO' THEN 1 END) AS todo,
     count(CASE WHEN t.tag = 'FIXME' THEN 1 END) AS fixme,
     count(CASE WHEN t.tag = 'HACK' THEN 1 END) AS hack,
     count(CASE WHEN t.tag = 'XXX' THEN 1 END) AS xxx,
     count(CASE WHEN t.ticket = '' THEN 1 END) AS without_ticket
RETURN m.path AS path, m.machine AS machine, m.name AS module, todo, fixme, hack, xxx, total, without_ticket
ORDER BY total DESC, path, machine, module, todo, fixme, hack, xxx, without_ticket
LIMIT $limit
