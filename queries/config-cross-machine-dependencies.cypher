// id: config-cross-machine-dependencies
// title: Configured agents that depend on or point to another machine
// severity: info
// category: config
// precision: high
// tags: deployment
// what: Lists, for the topology, every configured agent that depends on an agent declared only on another machine (`via` dependency, one row per dependency, at its line), or whose host or `*_host` / `*_ip` setting names another machine's address or its variable such as `${PC2_IP}` (`via` host, at the entry). `host_points_to` lists the machines its hosts name in both cases. Copies (docs/copies.md) are left out unless $include_copies.
// why: Cross-machine links fail differently from local ones (network partitions, firewalls, the other machine rebooting) and need timeouts and reconnects; a startup dependency across machines also couples the machines' boot order.
// fix: Nothing to fix by itself; check that these agents use timeouts and retries and that the other machine's address comes from configuration.
// message: {agent} on {machine} depends on {depends_on} on {other_machine} (via {via})
// kind: report
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: agent
// column: via
// column: depends_on
// column: other_machine
// column: host_points_to
// location: path, line
// identity: path, agent, via, depends_on, other_machine
MATCH (a:ConfiguredAgent {snapshot: $snapshot})
WHERE $include_copies OR NOT a.is_copy
OPTIONAL MATCH (a)-[d:DEPENDS_ON]->(b:ConfiguredAgent)
WHERE d.cross_machine
WITH a, d, b
WHERE b IS NOT NULL OR a.points_to <> ''
RETURN a.path AS path, coalesce(d.line, a.line) AS line, a.machine AS machine, a.name AS agent,
       CASE WHEN b IS NULL THEN 'host' ELSE 'dependency' END AS via, coalesce(b.name, '') AS depends_on,
       coalesce(b.machine, a.points_to) AS other_machine, a.points_to AS host_points_to
ORDER BY path, line, machine, agent, via, depends_on, other_machine, host_points_to
