// id: legacy-asyncio
// title: asyncio.get_event_loop() outside a running loop
// severity: low
// category: hygiene
// precision: high
// tags: reliability
// what: Finds `asyncio.get_event_loop()` called outside an `async def`, where no loop is running. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Since Python 3.10 this is deprecated there, and from 3.12 it raises in threads without a loop; agents started from a thread or a newer interpreter fail at start-up.
// fix: Use `asyncio.run(main())` at the entry point, or `asyncio.get_running_loop()` inside coroutines.
// fixed_by: asyncio-run
// message: asyncio.get_event_loop() in {function|module code} runs outside a running loop
// param: include_copies = False
// column: path
// column: line
// column: function
// location: path, line
// identity: path, function
MATCH (m:Module {snapshot: $snapshot})-[:HAS_HYGIENE_CALL]->(h:HygieneCall)
WHERE h.kind = 'get_event_loop' AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, h.line AS line, h.function AS function
ORDER BY path, line, function
