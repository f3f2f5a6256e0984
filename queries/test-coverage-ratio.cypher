// id: test-coverage-ratio
// title: Share of modules the tests reach, per machine and package
// severity: info
// category: tests
// precision: high
// tags: testing
// what: For each machine and package (and `*` for the whole machine): the modules that are not tests, how many of them a test imports directly or through other modules, that share in percent, and the number of test modules. Copies (docs/copies.md) are left out unless $include_copies.
// why: The audit's figure for this kind of system was under 15% of modules tested; the packages with the lowest share are where a regression goes unseen.
// fix: Add tests for the packages with the lowest share first, starting with the agents other agents depend on.
// message: Tests reach {tested} of {modules} modules in {package} on {machine}
// kind: report
// param: include_copies = False
// column: machine
// column: package
// column: modules
// column: tested
// column: tested_percent
// column: test_modules
MATCH (m:Module {snapshot: $snapshot})
WHERE $include_copies OR NOT m.is_copy
UNWIND [m.package, '*'] AS grouping
WITH m.machine AS on_machine, grouping,
     count(CASE WHEN NOT m.is_test THEN 1 END) AS module_count,
     count(CASE WHEN m.tested AND NOT m.is_test THEN 1 END) AS tested_count,
     count(CASE WHEN m.is_test THEN 1 END) AS test_count
WHERE module_count > 0
RETURN on_machine AS machine, grouping AS package, module_count AS modules, tested_count AS tested,
       round(100.0 * tested_count / module_count, 1) AS tested_percent, test_count AS test_modules
ORDER BY machine, package, modules, tested, tested_percent, test_modules
