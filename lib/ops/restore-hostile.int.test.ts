import fs from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, pg, target, tmpDir, uniqueName, dbExists } from "@/test/helpers";
import { sha256File } from "./checksum";
import type { OpContext } from "./context";
import { dumpDatabase } from "./dump";
import { runUnchecked } from "./exec";
import { assertFileUnchanged, checkBackupFile, openVerifiedBackupFile } from "./integrity";
import { clientToolFor } from "./pg-bin";
import { pgEnv } from "./target";
import { psqlRestoreArgs, restoreDumpToNewDatabase, tableFingerprint } from "./restore";

// Hostile plain dumps against real psql 15 and a real cluster (issue 7, finding 1). Each payload would
// create a marker file if any psql meta-command in it ran; the marker must never appear. The checksum gate
// is the first line (a file Lifeboat did not write is refused before anything else); these tests hand the
// payloads a matching checksum on purpose, so that the restricted psql and the scanners behind it are what
// is tested.

const ctx = (): OpContext => ({ log: () => {}, phase: () => {}, progress: () => {}, step: async () => {} });

let db: string;
let tools: { pgDump: string; pgRestore: string; psql: string };
let dir: string;
/** A genuine plain dump by Lifeboat (pg_dump --restrict-key): its text and its own restrict key. */
let genuine: { text: string; key: string; path: string; sha256: string };

beforeAll(async () => {
  db = await createScratchDb("hostile");
  const sql = adminSql(db);
  await sql`CREATE TABLE notes (id int PRIMARY KEY, body text)`;
  await sql`INSERT INTO notes VALUES (1, ${"plain"}), (2, ${"back\\slash \\! not a command"}), (3, ${"x FROM STDIN"})`;
  await sql.end();
  const major = pg().major;
  tools = { pgDump: await clientToolFor("pg_dump", major), pgRestore: await clientToolFor("pg_restore", major), psql: await clientToolFor("psql", major) };
  dir = await tmpDir("hostile");
  const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_genuine.sql", format: "plain", ctx: ctx() });
  const text = await fs.readFile(r.path, "utf8");
  genuine = { text, key: text.match(/^\\restrict ([A-Za-z0-9]+)$/m)![1]!, path: r.path, sha256: r.sha256 };
});

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

/** payload(marker, key of the dump it goes into, an include file): text put into the dump's body. */
type Payload = (m: string, key: string, include: string) => string;

const CORPUS: [string, Payload][] = [
  ["\\! after a fake COPY start (FROM STDIN inside a string: the finding)", (m) => `COPY (SELECT 'x FROM STDIN') TO STDOUT;\n\\! touch ${m}`],
  ["\\! after an ordinary statement whose string says COPY … FROM STDIN", (m) => `SELECT 'COPY t FROM STDIN';\n\\! touch ${m}`],
  ["\\! after a backslash that does not escape a standard string", (m) => `SELECT 'a\\'; \\! touch ${m}\n-- ';`],
  ["\\! right after a dollar-quoted string", (m) => `SELECT $q$ it's $$ here $q$; \\! touch ${m}`],
  ["\\! inside a dollar quote psql ends earlier than it looks", (m) => `SELECT $a$ $b$ $a$;\n\\! touch ${m}\nSELECT $b$;`],
  ["\\! after a nested block comment", (m) => `/* c /* nested */ still */ \\! touch ${m}`],
  ["\\! after CRLF line ends", (m) => `-- note\r\nSELECT 1;\r\n\\! touch ${m}\r\n`],
  ["\\! after a lone CR", (m) => `SELECT 1;\r\\! touch ${m}`],
  ["\\unrestrict with a guessed key, then \\!", (m) => `\\unrestrict abc123\n\\! touch ${m}`],
  ["\\unrestrict with the dump's own key mid-file, then \\!", (m, k) => `\\unrestrict ${k}\n\\! touch ${m}`],
  ["\\unrestrict with a backtick argument", (m) => `\\unrestrict \`touch ${m}\``],
  ["\\unrestrict with a backtick after SQL on the same line", (m) => `SELECT 1 \\unrestrict \`touch ${m}\``],
  ["a second \\restrict, then \\!", (m) => `\\restrict other\n\\! touch ${m}`],
  ["\\o to a file", (m) => `\\o ${m}\nSELECT 1;`],
  ["\\o to a pipe", (m) => `\\o |touch ${m}\nSELECT 1;`],
  ["\\w to a file", (m) => `SELECT 1 \\w ${m}`],
  ["\\copy … to program", (m) => `\\copy (SELECT 1) TO PROGRAM 'touch ${m}'`],
  ["\\set ON_ERROR_STOP off, then \\!", (m) => `\\set ON_ERROR_STOP off\n\\! touch ${m}`],
  ["\\gset a command into a variable, then \\! :var", (m) => `SELECT 'touch ${m}' AS cmd \\gset\n\\! :cmd`],
  ["\\i of a file holding \\!", (_m, _k, inc) => `\\i ${inc}`],
  ["\\ir of a file holding \\!", (_m, _k, inc) => `\\ir ${inc}`],
];

/** The genuine dump with `payload` after its first SET (inside the dump's own restrict pair). */
function inject(payload: string): string {
  return genuine.text.replace("SET statement_timeout = 0;\n", `SET statement_timeout = 0;\n${payload}\n`);
}

/** The same dump as an older pg_dump writes it: no \restrict pair of its own. */
function withoutOwnPair(text: string): string {
  return text.replace(/^\\(un)?restrict [A-Za-z0-9]+\n/gm, "");
}

async function payloadFiles(name: string, payload: Payload) {
  const caseDir = await tmpDir("case");
  const marker = path.join(caseDir, "pwned");
  const include = path.join(caseDir, "include.sql");
  await fs.writeFile(include, `\\! touch ${marker}\n`);
  return { caseDir, marker, text: payload(marker, genuine.key, include), file: path.join(caseDir, `${name}.sql`) };
}

describe("hostile plain dumps never run a command", () => {
  it.each(CORPUS)("restore refuses or fails: %s", async (_what, payload) => {
    for (const variant of ["own pair", "no pair"] as const) {
      const { marker, text, file } = await payloadFiles("evil", payload);
      const dumpText = variant === "own pair" ? inject(text) : withoutOwnPair(inject(text));
      await fs.writeFile(file, dumpText);
      const newDb = uniqueName("evil");
      const err = await restoreDumpToNewDatabase({
        target: target(db),
        ...tools,
        file,
        sha256: await sha256File(file),
        format: "plain",
        newDb,
        ctx: ctx(),
      }).then(
        () => null,
        (e: { code?: string }) => e,
      );
      expect(err, variant).not.toBeNull();
      expect(["unsafe_dump", "restore_failed", "incomplete_dump"], variant).toContain(err!.code);
      expect(await exists(marker), `${variant}: the command ran`).toBe(false);
      expect(await dbExists(newDb)).toBe(false);
    }
  });

  it.each(CORPUS.filter(([what]) => !what.includes("backtick")))(
    "psql restricted by Lifeboat's prelude alone (no scanner) runs none of it: %s",
    async (_what, payload) => {
      const { caseDir, marker, text, file } = await payloadFiles("raw", payload);
      await fs.writeFile(file, withoutOwnPair(inject(text)));
      const prelude = path.join(caseDir, "prelude.sql");
      await fs.writeFile(prelude, "\\restrict LifeboatKey0123456789\n", { mode: 0o600 });
      const scratch = await createScratchDb("raw");
      const r = await runUnchecked(tools.psql, psqlRestoreArgs(file, prelude), { env: pgEnv(target(scratch), scratch) });
      expect(await exists(marker), "the command ran").toBe(false);
      // Every payload uses a meta-command; restricted psql refuses it and stops (exit 3).
      expect(r.code).toBe(3);
      expect(r.stderrTail).toMatch(/restricted|wrong key|\\unrestrict/);
    },
  );

  it("psql 15 itself evaluates a backtick in \\unrestrict while restricted: the line check is what stops it", async () => {
    // Why planRestriction exists (see lib/ops/plain-dump-scan.ts). Should a psql release stop evaluating
    // the backtick, this test fails: then \restrict alone would hold, and the comment can say so.
    const caseDir = await tmpDir("backtick");
    const marker = path.join(caseDir, "ran");
    const file = path.join(caseDir, "x.sql");
    await fs.writeFile(file, `\\restrict K0\n\\unrestrict \`touch ${marker}\`\n`);
    await runUnchecked(tools.psql, ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "-f", file], { env: pgEnv(target(db), db) });
    expect(await exists(marker)).toBe(true);
  });
});

describe("the checksum gate", () => {
  it("a file with no recorded checksum is refused before anything runs", async () => {
    const newDb = uniqueName("nosum");
    await expect(restoreDumpToNewDatabase({ target: target(db), ...tools, file: genuine.path, sha256: null, format: "plain", newDb, ctx: ctx() })).rejects.toMatchObject({
      code: "no_checksum",
    });
    expect(await dbExists(newDb)).toBe(false);
  });

  it("a replaced file is refused as tampered, nothing runs, no database is created", async () => {
    const { marker, text, file } = await payloadFiles("replaced", CORPUS[0]![1]);
    await fs.copyFile(genuine.path, file);
    const recorded = await sha256File(file);
    await fs.writeFile(file, inject(text));
    const newDb = uniqueName("tampered");
    await expect(restoreDumpToNewDatabase({ target: target(db), ...tools, file, sha256: recorded, format: "plain", newDb, ctx: ctx() })).rejects.toMatchObject({
      code: "tampered",
    });
    expect(await exists(marker)).toBe(false);
    expect(await dbExists(newDb)).toBe(false);
  });

  it("a file rewritten or renamed over after the hash no longer passes", async () => {
    const file = path.join(dir, "stamp.sql");
    await fs.copyFile(genuine.path, file);
    const v = await checkBackupFile(file, genuine.sha256);
    await assertFileUnchanged(file, v.stamp);
    await fs.appendFile(file, "");
    await fs.writeFile(file, await fs.readFile(genuine.path)); // same bytes, rewritten in place
    await expect(assertFileUnchanged(file, v.stamp)).rejects.toMatchObject({ code: "tampered" });
    const v2 = await checkBackupFile(file, genuine.sha256);
    await fs.copyFile(genuine.path, `${file}.new`);
    await fs.rename(`${file}.new`, file); // same bytes, another inode
    await expect(assertFileUnchanged(file, v2.stamp)).rejects.toMatchObject({ code: "tampered" });
  });
});

describe("the tools read the bytes that were hashed", () => {
  it("a file renamed over the backup after the hash is not what the tools read, and the swap is noticed", async () => {
    const file = path.join(dir, "swap.sql");
    await fs.copyFile(genuine.path, file);
    const v = await openVerifiedBackupFile(file, genuine.sha256);
    try {
      expect(v.readPath).not.toBe(file);
      await fs.writeFile(`${file}.evil`, "\\! touch /nonexistent/pwned\n");
      await fs.rename(`${file}.evil`, file);
      expect(await fs.readFile(v.readPath, "utf8")).toBe(genuine.text);
      // Losing its name changes the hashed inode's ctime: the restore is refused and the backup marked.
      await expect(v.assertUnchanged()).rejects.toMatchObject({ code: "tampered" });
    } finally {
      await v.close();
    }
  });

  it("a write into the hashed file is noticed before the restored database is used", async () => {
    const file = path.join(dir, "inplace.sql");
    await fs.copyFile(genuine.path, file);
    const v = await openVerifiedBackupFile(file, genuine.sha256);
    try {
      await fs.appendFile(file, "-- more\n");
      await expect(v.assertUnchanged()).rejects.toMatchObject({ code: "tampered" });
    } finally {
      await v.close();
    }
  });
});

describe("genuine plain dumps still restore", () => {
  it("a dump Lifeboat made with --restrict-key restores with every row", async () => {
    expect(genuine.text).toMatch(new RegExp(`^\\\\unrestrict ${genuine.key}$`, "m"));
    const newDb = uniqueName("genuine");
    await restoreDumpToNewDatabase({ target: target(db), ...tools, file: genuine.path, sha256: genuine.sha256, format: "plain", newDb, ctx: ctx() });
    expect(await tableFingerprint(target(db), newDb)).toEqual(await tableFingerprint(target(db), db));
  });

  it("a dump without its own restrict pair (older pg_dump) restores through Lifeboat's prelude", async () => {
    const file = path.join(dir, "old.sql");
    await fs.writeFile(file, withoutOwnPair(genuine.text));
    const newDb = uniqueName("oldpg");
    await restoreDumpToNewDatabase({ target: target(db), ...tools, file, sha256: await sha256File(file), format: "plain", newDb, ctx: ctx() });
    expect(await tableFingerprint(target(db), newDb)).toEqual(await tableFingerprint(target(db), db));
  });
});
