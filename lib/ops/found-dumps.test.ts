import { describe, expect, it } from "vitest";
import { safeFileName } from "./download";
import { smokeQueryProblem, statementCount } from "./drill";
import { seedNameKind, seedTimestamp } from "./found-dumps";

describe("seed 000's dump names", () => {
  it.each([
    ["db_backup_1748602032.sql", "automatic", null, 1748602032],
    ["db_backup_manual_1748599000.sql", "manual", null, 1748599000],
    ["db_backup_v2.0.0.sql", "named", "v2.0.0", undefined],
    ["db_backup_pre-v3.0.dump", "named", "pre-v3.0", undefined],
  ] as const)("%s is %s", (name, kind, label, unix) => {
    expect(seedNameKind(name)).toEqual({ kind, label });
    expect(seedTimestamp(name)?.getTime()).toBe(unix === undefined ? undefined : unix * 1000);
  });
});

describe("download file names", () => {
  it("keeps only letters, digits, '.', '_' and '-'", () => {
    expect(safeFileName("db_backup_v2.0.0.sql")).toBe("db_backup_v2.0.0.sql");
    expect(safeFileName('a"b\r\nSet-Cookie: x;.sql')).toBe("a_b__Set-Cookie__x_.sql");
    expect(safeFileName("..hidden")).toBe("_hidden");
    expect(safeFileName("")).toBe("backup");
  });
});

describe("smoke queries", () => {
  it.each(["SELECT 1", "  select count(*) > 0 from orders", "-- c\nWITH x AS (SELECT 1) SELECT * FROM x", "/* a */ (SELECT 1)", "VALUES (true)", "TABLE settings"])("accepts %j", (q) => {
    expect(smokeQueryProblem(q)).toBeNull();
  });
  it.each(["COPY (SELECT 1) TO PROGRAM 'id'", "DO $$ BEGIN END $$", "CALL p()", "DELETE FROM orders", "", "-- only a comment", "EXPLAIN ANALYZE DELETE FROM t"])("refuses %j", (q) => {
    expect(smokeQueryProblem(q)).toMatch(/must be one SELECT/);
  });
  it.each([
    "SELECT 1; DROP TABLE orders",
    "SELECT 1;COPY (SELECT 1) TO PROGRAM 'id'",
    "SELECT ';' ; SELECT 2",
    "SELECT $$;$$; SELECT 2",
    "SELECT 1 /* ; */; /* nested /* ; */ still */ SELECT 2",
    "SELECT E'\\';' ; SELECT 2",
  ])("refuses a second statement: %j", (q) => {
    expect(smokeQueryProblem(q)).toMatch(/must be one statement/);
  });
  it.each([
    "SELECT 1;",
    "SELECT 1; -- done",
    "SELECT ';' AS semi",
    "SELECT $x$;;$x$",
    'SELECT 1 AS "a;b"',
    "SELECT 'it''s; fine'",
    "SELECT 1 /* ; /* ; */ ; */",
    "SELECT E'\\'; still the string'",
    "SELECT count(*) FROM orders -- ; not a statement",
  ])("counts one statement in %j", (q) => {
    expect(smokeQueryProblem(q)).toBeNull();
    expect(statementCount(q)).toBe(1);
  });
});
