// id: unauthenticated-admin-route
// title: State-changing HTTP routes without authentication
// severity: high
// category: security
// precision: medium
// tags: security, CWE-306
// what: Finds FastAPI, Flask and aiohttp routes that change state (POST, PUT, DELETE, PATCH, or handlers named like reload, shutdown, admin, delete) with nothing protecting them: no `Depends(...)` on a security scheme, no auth decorator, no auth middleware registered on the app. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Anyone who reaches the agent's HTTP port can reload models, wipe data or stop the system.
// fix: Add a dependency that checks a token (`Depends(verify_token)`, `dependencies=[Depends(...)]` on the route or router), an auth decorator, or an auth middleware on the app.
// message: {methods} {route} ({handler}) changes state without authentication
// param: include_copies = False
// column: path
// column: line
// column: framework
// column: methods
// column: route
// column: handler
// location: path, line
// identity: path, methods, route, handler
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ROUTE]->(r:Route)
WHERE r.state_changing AND r.auth = '' AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, r.line AS line, r.framework AS framework, r.methods AS methods, r.route AS route,
       r.function AS handler
ORDER BY path, line, framework, methods, route, handler
