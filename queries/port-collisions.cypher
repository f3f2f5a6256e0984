// id: port-collisions
// title: One port bound by two agents on the same machine
// severity: high
// category: zmq
// precision: high
// tags: zmq, reliability
// what: Finds TCP ports that two or more modules bind on one machine, or that a module binds while that machine's startup config gives the port to another agent. One row per machine and port, at the port's first bind (by path, then line): `other_end` names the next module binding it and the agent the config gives it to whose own module does not bind it (`claimed_by`), `binds` counts the binds of the port on the machine. Every port the scan resolved counts, from the code or the configs (`port_source`, `port_confidence`; docs/configs.md, "Ports"); binds whose port stays unknown cannot be compared. Test modules never count; copies (docs/copies.md) only with `include_copies=true`.
// why: Only one process can bind a TCP port: whichever agent starts second dies with "Address already in use", or, worse, a restart order change makes the other one fail, and peers connected to the port talk to the wrong agent.
// fix: Give each agent its own port in one registry (`ports.yaml` read through `get_port`, or the startup config) and delete stale copies; `analyzer fix port-literals` rewrites literal ports into registry lookups.
// message: {binder} ({site}) binds {port} on {machine}, which {other_end}
// param: include_copies = False
// column: machine
// column: port
// column: path
// column: line
// column: binder
// column: site
// column: socket_kind
// column: port_source
// column: other_end
// column: other_path
// column: other_line
// column: claimed_by
// column: binds
// location: path, line
// identity: machine, port
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.action = 'bind' AND e.port IS NOT NULL AND NOT m.is_test AND ($include_copies OR NOT m.is_copy)
  AND NOT EXISTS {
    MATCH (first:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(n:Module)
    WHERE first.action = 'bind' AND first.machine = e.machine AND NOT n.is_test AND ($include_copies OR NOT n.is_copy)
      AND (first.path < e.path OR (first.path = e.path AND first.line < e.line)) }
OPTIONAL MATCH (f:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(o:Module)
WHERE f.action = 'bind' AND f.machine = e.machine AND f.path <> e.path AND NOT o.is_test
  AND ($include_copies OR NOT o.is_copy)
  AND NOT EXISTS {
    MATCH (g:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(q:Module)
    WHERE g.action = 'bind' AND g.machine = e.machine AND g.path <> e.path AND NOT q.is_test
      AND ($include_copies OR NOT q.is_copy) AND (g.path < f.path OR (g.path = f.path AND g.line < f.line)) }
OPTIONAL MATCH (c:ConfigPort {snapshot: $snapshot, port: e.port})<-[:HAS_CONFIG_PORT]-(a:ConfiguredAgent)
WHERE c.kind IN ['agent_port', 'health_port'] AND a.machine = e.machine
  AND NOT EXISTS { MATCH (a)-[:RUNS]->(r:Module)-[:HAS_ENDPOINT]->(g:Endpoint) WHERE g.action = 'bind' AND g.port = e.port }
WITH m, e, f, min(a.name) AS claimed_by
WHERE f IS NOT NULL OR claimed_by IS NOT NULL
RETURN e.machine AS machine, e.port AS port, e.path AS path, e.line AS line,
       CASE WHEN e.class_name <> '' THEN e.class_name ELSE m.file_name END AS binder, e.site AS site,
       e.socket_kind AS socket_kind, e.port_source AS port_source,
       CASE WHEN f IS NULL THEN 'the startup config gives ' + claimed_by
            WHEN claimed_by IS NULL THEN f.site + ' binds too'
            ELSE f.site + ' binds too, and the startup config gives it ' + claimed_by END AS other_end,
       f.path AS other_path, f.line AS other_line, claimed_by,
       COUNT { MATCH (b:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(k:Module)
               WHERE b.action = 'bind' AND b.machine = e.machine AND NOT k.is_test
                 AND ($include_copies OR NOT k.is_copy) } AS binds
ORDER BY machine, port, path, line, binder, site, socket_kind, port_source, other_end, other_path, other_line,
         claimed_by, binds
