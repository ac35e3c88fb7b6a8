import crypto from "node:crypto";
import fs from "node:fs";
import readline from "node:readline";

// Plain-format dumps are psql scripts: a tampered one can carry meta-commands (`\!` runs a shell command
// on the restoring machine). Before Lifeboat feeds a plain dump to psql, this scanner proves it holds only
// what pg_dump itself writes (POSTGRES-SAFETY: "Never restore a dump that did not come from this system").

/** A key for psql's `\restrict`: letters and digits only (psql's rule), 256 bits. */
export function newRestrictKey(): string {
  return crypto.randomBytes(48).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 43).padEnd(43, "0");
}

/**
 * How psql is kept restricted while it reads a plain dump, decided from the raw lines (no lexing, so no
 * string or COPY trick can hide a line from it). psql 15.18 evaluates backticks in `\unrestrict`'s argument
 * even while restricted (`\unrestrict \`cmd\`` runs cmd), so `\restrict` alone is no sandbox: every
 * occurrence of `\restrict`/`\unrestrict` must be pg_dump's own pair, and nothing may follow the unrestrict.
 * - ownKey: the dump starts (after comment lines) with `\restrict KEY` and ends with `\unrestrict KEY`:
 *   psql is restricted by the dump itself from its first command to its last line.
 * - ownKey null: no such line anywhere; Lifeboat restricts psql with a key of its own before the dump.
 */
export async function planRestriction(file: string): Promise<RestrictionPlan> {
  const planner = new RestrictionPlanner();
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      const problem = planner.feed(line);
      if (problem) return { problem };
    }
  } finally {
    rl.close();
  }
  return planner.end();
}

export type RestrictionPlan = { ownKey: string | null } | { problem: ScanProblem };

/** planRestriction's rules, line by line (readline's lines: split at \n, \r\n and a lone \r, finer than psql's). */
export class RestrictionPlanner {
  private lineNo = 0;
  private leading = true;
  private ownKey: string | null = null;
  private closedAt = 0;

  feed(raw: string): ScanProblem | undefined {
    this.lineNo++;
    const line = raw.replace(/\r$/, "");
    const blank = line.trim() === "";
    if (this.closedAt && !blank) return this.problem(`text after the dump's closing \\unrestrict (line ${this.closedAt})`);
    if (this.leading && !blank && !line.startsWith("--")) {
      this.leading = false;
      const m = line.match(/^\\restrict ([A-Za-z0-9]+)$/);
      if (m) {
        this.ownKey = m[1]!;
        return undefined;
      }
    }
    if (!/\\(un)?restrict/i.test(line)) return undefined;
    if (this.ownKey && line === `\\unrestrict ${this.ownKey}`) {
      this.closedAt = this.lineNo;
      return undefined;
    }
    return this.problem("a \\restrict or \\unrestrict that is not the dump's own opening and closing pair");
  }

  end(): RestrictionPlan {
    if (this.ownKey && !this.closedAt) return { problem: { line: this.lineNo, reason: "a \\restrict without its closing \\unrestrict" } };
    return { ownKey: this.ownKey };
  }

  private problem(reason: string): ScanProblem {
    return { line: this.lineNo, reason };
  }
}

/** Scans a plain dump file; resolves with the first problem, or undefined when it only has pg_dump's own. */
export async function scanPlainDump(file: string): Promise<ScanProblem | undefined> {
  const scanner = new PsqlScriptScanner();
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      const problem = scanner.feed(line);
      if (problem) return problem;
    }
  } finally {
    rl.close();
  }
  return scanner.end();
}

// Plain-format dumps are psql scripts, and psql scripts can run shell commands (`\!`), write files (`\o`,
// `\w`), read others (`\i`) or connect elsewhere (`\c`). pg_dump itself writes only `\restrict KEY` at the
// top and `\unrestrict KEY` at the end (patched clients), and `\.` to end COPY data. This scanner follows
// psql's lexer closely enough to find a backslash outside strings, quoted identifiers, dollar quotes,
// comments and COPY data, and reports anything else as a problem.
//
// It assumes standard_conforming_strings = on (pg_dump writes that, and restore sets it for the session)
// and refuses files that change it or switch to a client-only encoding whose second bytes can look like a
// backslash: either would make psql read strings differently from this scanner. It is a tripwire for files
// that did not come from this system, not a sandbox.

const ALLOWED = /^\\(restrict|unrestrict) [A-Za-z0-9]+$/;
/** Client encodings in which a multibyte character's second byte can be 0x5c (backslash). */
const UNSAFE_ENCODINGS = new Set(["SJIS", "SHIFT_JIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "WIN932", "WIN936", "WIN949", "WIN950", "CP932", "CP936", "CP949", "CP950", "SHIFTJIS2004", "SHIFT_JIS_2004"]);
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export interface ScanProblem {
  line: number;
  reason: string;
}

export class PsqlScriptScanner {
  private state: "normal" | "squote" | "estring" | "dquote" | "dollar" | "block" = "normal";
  private dollarTag = "";
  private blockDepth = 0;
  private inCopy = false;
  private copyPending = false;
  private stmt = "";
  /** The statement without the contents of strings, quoted identifiers and dollar quotes (for COPY). */
  private bare = "";
  private lineNo = 0;

  /** Feeds the next line (without its newline). Returns the first problem on it, if any. */
  feed(line: string): ScanProblem | undefined {
    this.lineNo++;
    if (this.inCopy) {
      // COPY … FROM stdin data runs until a line that is exactly `\.`; psql does not interpret it.
      if (line === "\\." || line === "\\.\r") this.inCopy = false;
      return undefined;
    }
    const problem = this.scanLine(line);
    if (problem) return { line: this.lineNo, reason: problem };
    if (this.copyPending) {
      this.copyPending = false;
      this.inCopy = true;
    }
    return undefined;
  }

  /** Call after the last line: an unterminated string or COPY is reported. */
  end(): ScanProblem | undefined {
    if (this.state !== "normal" && this.state !== "block") {
      return { line: this.lineNo, reason: "the file ends inside a quoted string or dollar-quoted body" };
    }
    return undefined;
  }

  private scanLine(line: string): string | undefined {
    let i = 0;
    const n = line.length;
    while (i < n) {
      const c = line[i]!;
      switch (this.state) {
        case "normal": {
          if (c === "-" && line[i + 1] === "-") {
            i = n;
            continue;
          }
          if (c === "/" && line[i + 1] === "*") {
            this.state = "block";
            this.blockDepth = 1;
            i += 2;
            continue;
          }
          if (c === "\\") {
            if (i === 0 && ALLOWED.test(line.trimEnd())) {
              i = n;
              continue;
            }
            const cmd = line.slice(i, i + 20).split(/\s/)[0];
            return `psql meta-command ${JSON.stringify(cmd)} (pg_dump writes none but \\restrict and \\unrestrict)`;
          }
          if (c === "'") {
            const prev = line[i - 1];
            const prev2 = line[i - 2];
            const isE = (prev === "E" || prev === "e") && (prev2 === undefined || !IDENT_CHAR.test(prev2));
            this.state = isE ? "estring" : "squote";
            this.stmt += c;
            this.bare += " ";
            i++;
            continue;
          }
          if (c === '"') {
            this.state = "dquote";
            this.stmt += c;
            this.bare += " ";
            i++;
            continue;
          }
          if (c === "$" && !(i > 0 && IDENT_CHAR.test(line[i - 1]!))) {
            const m = line.slice(i).match(DOLLAR_TAG);
            if (m) {
              this.state = "dollar";
              this.dollarTag = m[0];
              this.stmt += m[0];
              this.bare += " ";
              i += m[0].length;
              continue;
            }
          }
          if (c === ";") {
            const problem = this.endStatement();
            if (problem) return problem;
            i++;
            continue;
          }
          this.stmt += c;
          this.bare += c;
          i++;
          continue;
        }
        case "squote":
        case "estring": {
          if (this.state === "estring" && c === "\\") {
            this.stmt += line.slice(i, i + 2);
            i += 2;
            continue;
          }
          if (c === "'") {
            if (line[i + 1] === "'") {
              this.stmt += "''";
              i += 2;
              continue;
            }
            this.state = "normal";
          }
          this.stmt += c;
          i++;
          continue;
        }
        case "dquote": {
          if (c === '"') {
            if (line[i + 1] === '"') {
              this.stmt += '""';
              i += 2;
              continue;
            }
            this.state = "normal";
          }
          this.stmt += c;
          i++;
          continue;
        }
        case "dollar": {
          if (c === "$" && line.startsWith(this.dollarTag, i)) {
            this.stmt += this.dollarTag;
            i += this.dollarTag.length;
            this.state = "normal";
            continue;
          }
          this.stmt += c;
          i++;
          continue;
        }
        case "block": {
          if (c === "/" && line[i + 1] === "*") {
            this.blockDepth++;
            i += 2;
            continue;
          }
          if (c === "*" && line[i + 1] === "/") {
            if (--this.blockDepth === 0) this.state = "normal";
            i += 2;
            continue;
          }
          i++;
          continue;
        }
      }
    }
    if (this.state !== "block") this.stmt += "\n";
    if (this.state === "normal") this.bare += "\n";
    return undefined;
  }

  /** At a `;` outside quotes: settings that change how psql reads the rest, and COPY FROM stdin. */
  private endStatement(): string | undefined {
    const stmt = this.stmt.trim().replace(/\s+/g, " ");
    const bare = this.bare.trim().replace(/\s+/g, " ");
    this.stmt = "";
    this.bare = "";
    if (/standard_conforming_strings/i.test(stmt) && !/^SET standard_conforming_strings = on$/i.test(stmt)) {
      return "a statement that changes standard_conforming_strings (it changes how psql reads backslashes)";
    }
    if (/client_encoding/i.test(stmt)) {
      const m = stmt.match(/^SET client_encoding = '([A-Za-z0-9_]+)'$/i);
      if (!m) return "a statement that changes client_encoding in an unusual way";
      if (UNSAFE_ENCODINGS.has(m[1]!.toUpperCase())) {
        return `client encoding ${m[1]} (its multibyte characters can contain a backslash byte)`;
      }
    }
    // Only the statement's own words count: `FROM STDIN` inside a string of another statement made the
    // scanner take the following lines for COPY data, and psql ran the `\!` among them (issue 7, finding 1).
    if (/^COPY\s/i.test(bare) && /\bFROM\s+STDIN\b/i.test(bare)) this.copyPending = true;
    return undefined;
  }
}
