// id: query-in-loop
// title: Database calls inside loops (N+1 queries)
// severity: medium
// category: performance
// precision: medium
// tags: performance
// what: Finds database calls (asyncpg `fetch`/`fetchrow`/`fetchval`/`execute`, DB-API `cursor.execute`, SQLAlchemy `session.execute`) inside a `for` or `while` loop or a comprehension; `loop_line` is the loop's line. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: One round trip per item turns a request over 100 items into 100 queries: latency grows with the data and the database connection pool drains.
// fix: Fetch the rows in one query (`WHERE word = ANY($1)`, `IN (...)`, a join) or use `executemany` for writes.
// message: {call} runs inside the loop at line {loop_line} of {function}
// param: include_copies = False
// column: path
// column: line
// column: loop_line
// column: call
// column: function
// column: awaited
// location: path, line
// identity: path, function, call
MATCH (m:Module {snapshot: $snapshot})-[:HAS_DB_CALL]->(d:DbCall)
WHERE d.loop_line > 0 AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, d.line AS line, d.loop_line AS loop_line, d.call AS call, d.function AS function,
       d.awaited AS awaited
ORDER BY path, line, loop_line, call, function, awaited
