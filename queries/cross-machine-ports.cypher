// id: cross-machine-ports
// title: One port bound on two machines
// severity: low
// category: zmq
// precision: medium
// tags: zmq, deployment
// what: Finds TCP ports that modules on two different machines both bind (resolved the same ways as in port-collisions). One row per port, at its first bind (by machine, path, line), naming the first bind of the port on another machine; `machines` counts the machines binding it and `connects` the connects to the port whose host names no machine, which reach one or the other by chance. Code outside the machine roots (shared `common/` code) has no machine and is left out, as are test modules and binds whose port stays unknown; copies count only with `include_copies=true`.
// why: Each machine has its own port space, so both agents start; but a peer that connects to the port reaches whichever agent its host names, and a wrong or defaulted host (`localhost` after an agent moves machines, one host in a dev or single-box deployment) silently talks to the wrong agent, or the two collide outright when both run on one host.
// fix: Give every agent a port unique across the system in one registry (`ports.yaml` read through `get_port`); `analyzer fix port-literals` rewrites literal ports into registry lookups.
// message: Port {port} is bound on {machine} at {site} and on {other_machine} at {other_site}
// param: include_copies = False
// column: port
// column: machine
// column: path
// column: line
// column: socket_kind
// column: other_machine
// column: other_path
// column: other_line
// column: other_socket_kind
// column: site
// column: other_site
// column: machines
// column: connects
// location: path, line
// identity: port
MATCH (bm:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(b:Endpoint)
WHERE b.action = 'bind' AND b.port IS NOT NULL AND b.machine <> '' AND NOT bm.is_test
  AND ($include_copies OR NOT bm.is_copy)
WITH b.port AS shared_port, count(DISTINCT b.machine) AS machines
WHERE machines > 1
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint {port: shared_port})
WHERE e.action = 'bind' AND e.machine <> '' AND NOT m.is_test AND ($include_copies OR NOT m.is_copy)
  AND NOT EXISTS {
    MATCH (first:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(n:Module)
    WHERE first.action = 'bind' AND first.machine <> '' AND NOT n.is_test AND ($include_copies OR NOT n.is_copy)
      AND (first.machine < e.machine OR (first.machine = e.machine AND first.path < e.path)
           OR (first.machine = e.machine AND first.path = e.path AND first.line < e.line)) }
WITH e, machines
MATCH (f:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(o:Module)
WHERE f.action = 'bind' AND f.machine <> '' AND f.machine <> e.machine AND NOT o.is_test
  AND ($include_copies OR NOT o.is_copy)
  AND NOT EXISTS {
    MATCH (g:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(q:Module)
    WHERE g.action = 'bind' AND g.machine <> '' AND g.machine <> e.machine AND NOT q.is_test
      AND ($include_copies OR NOT q.is_copy)
      AND (g.machine < f.machine OR (g.machine = f.machine AND g.path < f.path)
           OR (g.machine = f.machine AND g.path = f.path AND g.line < f.line)) }
RETURN e.port AS port, e.machine AS machine, e.path AS path, e.line AS line, e.socket_kind AS socket_kind,
       f.machine AS other_machine, f.path AS other_path, f.line AS other_line, f.socket_kind AS other_socket_kind,
       e.site AS site, f.site AS other_site, machines,
       COUNT { MATCH (w:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(wm:Module)
               WHERE w.action = 'connect' AND w.target_machine = '' AND NOT wm.is_test
                 AND ($include_copies OR NOT wm.is_copy) } AS connects
ORDER BY port, machine, path, line, socket_kind, other_machine, other_path, other_line, other_socket_kind, site,
         other_site, machines, connects
