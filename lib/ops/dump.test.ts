import { describe, expect, it } from "vitest";
import { DUMP_COMPRESSION_LEVEL, errorLine, pgDumpArgs, plainDumpComplete } from "./dump";

describe("plainDumpComplete", () => {
  const complete = "COPY …\n\\.\n\n\n--\n-- PostgreSQL database dump complete\n--\n\n";
  it("accepts pg_dump's trailer, with or without \\unrestrict after it", () => {
    expect(plainDumpComplete(complete)).toBe(true);
    expect(plainDumpComplete(`${complete}\\unrestrict h94gpRQJYgba3EIMmgT\n\n`)).toBe(true);
    expect(plainDumpComplete(complete.replace(/\n/g, "\r\n"))).toBe(true);
  });
  it("rejects a truncated file or one with anything after the trailer", () => {
    expect(plainDumpComplete("COPY public.t (a) FROM stdin;\n1\n2\n")).toBe(false);
    expect(plainDumpComplete(complete.slice(0, -20))).toBe(false);
    expect(plainDumpComplete(`${complete}SELECT 1;\n`)).toBe(false);
    expect(plainDumpComplete(`${complete}\\! id\n`)).toBe(false);
    expect(plainDumpComplete("")).toBe(false);
  });
});

describe("pgDumpArgs", () => {
  it("gives plain dumps a restrict key, never custom ones, and refuses a key psql would not accept", () => {
    expect(pgDumpArgs("plain", "/b/x.sql.partial", "abc123XYZ")).toEqual(["--no-password", "-Fp", "--no-owner", "--restrict-key=abc123XYZ", "-f", "/b/x.sql.partial"]);
    expect(pgDumpArgs("custom", "/b/x.dump.partial", "abc")).not.toContain("--restrict-key=abc");
    expect(() => pgDumpArgs("plain", "/b/x.sql.partial", "a b")).toThrow();
    expect(() => pgDumpArgs("plain", "/b/x.sql.partial", "`id`")).toThrow();
  });

  it("writes to a file (no pipe), never prompts, and carries no connection parts", () => {
    expect(pgDumpArgs("custom", "/b/x.dump.partial")).toEqual(["--no-password", "-Fc", "-Z", "1", "-f", "/b/x.dump.partial"]);
    expect(pgDumpArgs("plain", "/b/x.sql.partial")).toEqual(["--no-password", "-Fp", "--no-owner", "-f", "/b/x.sql.partial"]);
  });
  it("compresses custom dumps at the measured gzip level, and never compresses plain ones", () => {
    // Level 1: a fraction of the default (6)'s CPU for a few % more bytes (see DUMP_COMPRESSION_LEVEL).
    expect(DUMP_COMPRESSION_LEVEL).toBe(1);
    expect(pgDumpArgs("custom", "/b/x.dump.partial").join(" ")).toContain(`-Z ${DUMP_COMPRESSION_LEVEL}`);
    expect(pgDumpArgs("plain", "/b/x.sql.partial")).not.toContain("-Z");
  });
});

describe("errorLine", () => {
  it("picks the last error line rather than a trailing detail", () => {
    const tail = "pg_dump: error: query failed: ERROR:  permission denied for table secrets\npg_dump: detail: Query was: LOCK TABLE public.secrets IN ACCESS SHARE MODE\n";
    expect(errorLine(tail)).toBe("error: query failed: ERROR:  permission denied for table secrets");
    expect(errorLine("just one line\n")).toBe("just one line");
    expect(errorLine("")).toBe("");
  });
});
