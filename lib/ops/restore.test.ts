import { describe, expect, it } from "vitest";
import { newRestrictKey, PsqlScriptScanner, RestrictionPlanner } from "./plain-dump-scan";
import { pgRestoreArgs, psqlRestoreArgs } from "./restore";

function scan(text: string) {
  const s = new PsqlScriptScanner();
  for (const line of text.split("\n")) {
    const p = s.feed(line);
    if (p) return p;
  }
  return s.end();
}

const header = [
  "--",
  "-- PostgreSQL database dump",
  "--",
  "",
  "\\restrict h94gpRQJYgba3EIMmgTtAbG7yj3J7AncGPfQ3CmGnEdeztzvQaV65UA36J7fEEU",
  "",
  "SET statement_timeout = 0;",
  "SET client_encoding = 'UTF8';",
  "SET standard_conforming_strings = on;",
  "SELECT pg_catalog.set_config('search_path', '', false);",
].join("\n");
const trailer = ["", "--", "-- PostgreSQL database dump complete", "--", "", "\\unrestrict h94gpRQJYgba3EIMmgTtAbG7yj3J7AncGPfQ3CmGnEdeztzvQaV65UA36J7fEEU", ""].join("\n");
const dump = (body: string) => `${header}\n${body}\n${trailer}`;

describe("PsqlScriptScanner", () => {
  it("accepts what pg_dump writes: restrict, strings, dollar quotes, comments, COPY data", () => {
    const body = [
      "CREATE FUNCTION public.f() RETURNS text",
      "    LANGUAGE sql",
      "    AS $$ select E'a\\\\b' $$;",
      "CREATE FUNCTION public.g() RETURNS text LANGUAGE plpgsql AS $body$",
      "BEGIN",
      "  -- \\! not a command inside a body",
      "  RETURN '\\!';",
      "END $body$;",
      "CREATE TABLE public.t (a integer, b text CHECK (b ~ '^\\d+$'), \"we\"\"ird\\\" integer);",
      "COMMENT ON TABLE public.t IS 'multi",
      "line with \\! inside';",
      "/* block \\! /* nested */ still comment */",
      "ALTER TABLE public.t OWNER TO postgres;",
      "COPY public.t (a, b) FROM stdin;",
      "1\tx\\\\y1",
      "\\! this is data, not a command",
      "\\.",
      "SELECT pg_catalog.setval('public.t_a_seq', 3, true);",
    ].join("\n");
    expect(scan(dump(body))).toBeUndefined();
  });

  it.each([
    ["a shell escape", "\\! touch /tmp/pwned"],
    ["a shell escape after SQL on the same line", "SELECT 1; \\! id"],
    ["a reconnect", "\\connect other"],
    ["an include", "\\i /etc/passwd"],
    ["output to a file", "\\o /tmp/x"],
    ["a \\copy", "\\copy t from '/etc/passwd'"],
    ["a shell escape after a closed string", "SELECT 'x'; \\! id"],
    ["a shell escape after COPY data ends", "COPY public.t (a) FROM stdin;\n1\n\\.\n\\! id"],
    ["a shell escape on the COPY line itself", "COPY public.t (a) FROM stdin; \\! id\n1\n\\."],
    ["an escaped quote that is not one in a standard string", "SELECT 'a\\'; \\! id; --';"],
    ["turning standard_conforming_strings off", "SET standard_conforming_strings = off;"],
    ["set_config of standard_conforming_strings", "SELECT set_config('standard_conforming_strings', 'off', false);"],
    ["a client-only encoding", "SET client_encoding = 'SJIS';"],
    ["an unrestrict with a trailing command", "\\unrestrict abc \\! id"],
  ])("refuses %s", (_what, body) => {
    const p = scan(dump(body));
    expect(p).toBeDefined();
    expect(p!.line).toBeGreaterThan(10);
  });

  it("follows E'' escapes, so a quote inside one does not end it", () => {
    expect(scan(dump("SELECT E'it\\'s \\\\ fine; \\! not a command';"))).toBeUndefined();
    // An identifier ending in e before a quote is not an E-string.
    expect(scan(dump("SELECT namee'x'; \\! id"))).toBeDefined();
  });

  it("does not take FROM STDIN inside a string for the start of COPY data (issue 7, finding 1)", () => {
    // psql runs COPY … TO STDOUT and goes on reading commands: the \! on the next line is one.
    expect(scan(dump("COPY (SELECT 'x FROM STDIN') TO STDOUT;\n\\! touch /tmp/pwned"))).toMatchObject({ reason: expect.stringMatching(/meta-command/) });
    expect(scan(dump("COPY (SELECT $$ FROM STDIN $$) TO STDOUT;\n\\! id"))).toBeDefined();
    expect(scan(dump('COPY public."a FROM STDIN b" TO STDOUT;\n\\! id'))).toBeDefined();
    // A real COPY with a quoted table name still starts COPY data.
    expect(scan(dump('COPY public."odd names" ("we""ird", "x.y") FROM stdin;\n\\! data\n\\.'))).toBeUndefined();
  });

  it("reports an unterminated string", () => {
    expect(scan(dump("SELECT 'never closed"))?.reason).toMatch(/ends inside/);
  });
});

describe("restore arguments", () => {
  it("uses one transaction for one job, and -j (no --single-transaction) for several", () => {
    expect(pgRestoreArgs("/b/x.dump")).toEqual(["--no-password", "--exit-on-error", "--no-owner", "--no-acl", "--single-transaction", "-d", "", "/b/x.dump"]);
    const parallel = pgRestoreArgs("/b/x.dump", 4);
    expect(parallel).toContain("-j");
    expect(parallel).not.toContain("--single-transaction");
    expect(parallel).toContain("--exit-on-error");
  });
  it("never puts a database name in argv (it comes from PGDATABASE)", () => {
    const args = pgRestoreArgs("/b/x.dump", 2);
    expect(args[args.indexOf("-d") + 1]).toBe("");
    expect(psqlRestoreArgs("/b/x.sql")).toEqual(["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "/b/x.sql"]);
  });
});

function plan(text: string) {
  const p = new RestrictionPlanner();
  for (const line of text.split(/\r\n|\n|\r/)) {
    const problem = p.feed(line);
    if (problem) return { problem };
  }
  return p.end();
}

describe("RestrictionPlanner: who restricts psql", () => {
  const KEY = "h94gpRQJYgba3EIMmgTtAbG7yj3J7AncGPfQ3CmGnEdeztzvQaV65UA36J7fEEU";

  it("a dump with pg_dump's own pair restricts psql itself", () => {
    expect(plan(dump("SELECT 1;"))).toEqual({ ownKey: KEY });
  });

  it("a dump without any restrict line gets Lifeboat's prelude", () => {
    expect(plan("--\n-- old pg_dump\n--\nSET x = 1;\nSELECT 1;\n-- PostgreSQL database dump complete\n")).toEqual({ ownKey: null });
  });

  it.each([
    ["an unrestrict with a backtick (psql runs it even while restricted)", dump("SELECT 1;\n\\unrestrict `touch /tmp/pwned`")],
    ["an unrestrict mid-line", dump("SELECT 1; \\unrestrict `id`")],
    ["an unrestrict with the dump's own key in the middle", dump(`SELECT 1;\n\\unrestrict ${KEY}\n\\! id`)],
    ["a guessed key in a dump without a pair", "SELECT 1;\n\\unrestrict abc\n\\! id\n"],
    ["anything after the closing unrestrict", `${dump("SELECT 1;")}\n\\! id`],
    ["a command hidden after a lone CR following the closing line", `${dump("SELECT 1;").trimEnd()}\r\\! id\n`],
    ["a second restrict", dump("\\restrict other")],
    ["an unrestrict inside what looks like a string", dump("SELECT '\n\\unrestrict `id`\n';")],
    ["an unrestrict in uppercase", dump("\\UNRESTRICT abc")],
    ["an opening restrict without its closing line", header],
  ])("refuses %s", (_what, text) => {
    expect(plan(text)).toHaveProperty("problem");
  });

  it("a restrict line after SQL is not an opening: it is refused", () => {
    expect(plan(`SELECT 1;\n\\restrict ${KEY}\nSELECT 2;\n\\unrestrict ${KEY}\n`)).toHaveProperty("problem");
  });
});

describe("restrict keys and psql arguments", () => {
  it("makes fresh alphanumeric keys (psql accepts only those)", () => {
    const a = newRestrictKey();
    expect(a).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(newRestrictKey()).not.toBe(a);
  });

  it("reads Lifeboat's prelude before the dump, in one transaction, stopping at the first error", () => {
    expect(psqlRestoreArgs("/b/x.sql", "/tmp/p/restrict.sql")).toEqual([
      "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "/tmp/p/restrict.sql", "-f", "/b/x.sql",
    ]);
  });
});
