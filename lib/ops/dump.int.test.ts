import fs from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { seedShop } from "@/scripts/lib/seed-shop";
import { adminSql, createScratchDb, pg, tmpDir, target, uniqueName, dbExists } from "@/test/helpers";
import { sha256File } from "./checksum";
import type { OpContext } from "./context";
import { DUMP_COMPRESSION_LEVEL, DUMP_PHASE, dumpDatabase, verifyDumpFile } from "./dump";
import { OpError } from "./errors";
import { run } from "./exec";
import { clientToolFor } from "./pg-bin";
import { restoreDumpToNewDatabase, tableFingerprint } from "./restore";

// pg_dump, pg_restore and psql for real, against the throwaway cluster; real files in temp dirs.

function recorder(onStep?: (name: string) => void | Promise<void>, onPhase?: (name: string) => void) {
  const rec = { phases: [] as string[], steps: [] as string[], logs: [] as string[], progress: [] as number[] };
  const ctx: OpContext & { signal?: AbortSignal } = {
    log: (l) => rec.logs.push(l),
    phase: (p) => {
      rec.phases.push(p);
      onPhase?.(p);
    },
    progress: (done) => rec.progress.push(done),
    step: async (name) => {
      rec.steps.push(name);
      await onStep?.(name);
    },
  };
  return { ctx, rec };
}

let db: string;
let tools: { pgDump: string; pgRestore: string; psql: string };

beforeAll(async () => {
  db = await createScratchDb("dumpsrc");
  const sql = adminSql(db);
  await seedShop(sql, { customers: 300, orders: 900 });
  // Text that stresses the dump format: tabs, newlines, backslashes, quotes, unicode, NULLs.
  await sql`CREATE TABLE "odd names" ("we""ird" text, "x.y" int)`;
  await sql`INSERT INTO "odd names" VALUES (${"tab\there\nnewline \\ backslash 'q' \"dq\" ünï"}, 1), (NULL, 2), (${"\\."}, 3)`;
  await sql.end();
  const major = pg().major;
  tools = {
    pgDump: await clientToolFor("pg_dump", major),
    pgRestore: await clientToolFor("pg_restore", major),
    psql: await clientToolFor("psql", major),
  };
});

async function files(dir: string) {
  return (await fs.readdir(dir)).sort();
}

describe("dumpDatabase + restoreDumpToNewDatabase", () => {
  for (const format of ["custom", "plain"] as const) {
    it(`round-trips a ${format} dump: same rows and content in every table`, async () => {
      const dir = await tmpDir("dumps");
      const fileName = format === "custom" ? "db_backup_1.dump" : "db_backup_1.sql";
      const { ctx, rec } = recorder();
      const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName, format, ctx, estimatedBytes: 1000 });

      expect(r.path).toBe(path.join(await fs.realpath(dir), fileName));
      expect(await files(dir)).toEqual([fileName]);
      expect(r.sizeBytes).toBe((await fs.stat(r.path)).size);
      expect(r.sha256).toBe(await sha256File(r.path));
      expect(rec.phases).toEqual([DUMP_PHASE, "finalizing"]);
      expect(rec.steps).toEqual(["dump:start", "dump:verified", "dump:renamed"]);
      expect(rec.progress.at(-1)).toBe(r.sizeBytes);
      expect(await verifyDumpFile(r.path, format, tools.pgRestore)).toEqual({ ok: true });

      const restored = uniqueName("restored");
      await restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: r.sha256, format, newDb: restored, ctx: recorder().ctx });
      const [a, b] = await Promise.all([tableFingerprint(target(db), db), tableFingerprint(target(db), restored)]);
      expect(a.map((t) => t.table)).toEqual(expect.arrayContaining(["public.customers", "public.orders", "public.order_items", "public.odd names"]));
      expect(a.find((t) => t.table === "public.orders")!.rows).toBe(900);
      expect(b).toEqual(a);
    });
  }

  it("writes custom dumps gzip-compressed at DUMP_COMPRESSION_LEVEL", async () => {
    const dir = await tmpDir("dumps");
    const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_z.dump", format: "custom", ctx: recorder().ctx });
    const { stdout } = await run(tools.pgRestore, ["--list", r.path]);
    // pg_restore ≤ 15 prints the level; 16+ prints only the method.
    expect(stdout).toMatch(pg().major >= 16 ? /^;\s+Compression: gzip/m : new RegExp(`^;\\s+Compression: ${DUMP_COMPRESSION_LEVEL}$`, "m"));
  });

  it("restores a custom dump with parallel jobs too", async () => {
    const dir = await tmpDir("dumps");
    const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_2.dump", format: "custom", ctx: recorder().ctx });
    const restored = uniqueName("restored_j");
    await restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: r.sha256, format: "custom", newDb: restored, ctx: recorder().ctx, jobs: 2 });
    expect(await tableFingerprint(target(db), restored)).toEqual(await tableFingerprint(target(db), db));
  });

  it("fingerprints differ when one row changes", async () => {
    const copy = await createScratchDb("fp");
    const sql = adminSql(copy);
    await sql`CREATE TABLE t (a int, b text)`;
    await sql`INSERT INTO t VALUES (1, 'x'), (2, 'y')`;
    const before = await tableFingerprint(target(copy), copy);
    await sql`UPDATE t SET b = 'z' WHERE a = 2`;
    const after = await tableFingerprint(target(copy), copy);
    await sql.end();
    expect(before[0]!.rows).toBe(after[0]!.rows);
    expect(before[0]!.hash).not.toBe(after[0]!.hash);
  });
});

describe("verification catches truncated dumps", () => {
  for (const format of ["custom", "plain"] as const) {
    it(`a ${format} dump cut in half fails verification`, async () => {
      const dir = await tmpDir("trunc");
      const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: `db_backup_3.${format === "custom" ? "dump" : "sql"}`, format, ctx: recorder().ctx });
      await fs.truncate(r.path, Math.floor(r.sizeBytes / 2));
      const check = await verifyDumpFile(r.path, format, tools.pgRestore);
      expect(check.ok).toBe(false);
      expect(check.reason).toMatch(format === "plain" ? /incomplete/ : /pg_restore could not read it/);
    });
  }

  it("an incomplete plain dump is refused for restore and no database is created", async () => {
    const dir = await tmpDir("trunc");
    const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_4.sql", format: "plain", ctx: recorder().ctx });
    await fs.truncate(r.path, Math.floor(r.sizeBytes / 2));
    const newDb = uniqueName("never");
    await expect(restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: await sha256File(r.path), format: "plain", newDb, ctx: recorder().ctx })).rejects.toMatchObject({
      code: "incomplete_dump",
    });
    expect(await dbExists(newDb)).toBe(false);
  });

  it("a truncated custom dump fails pg_restore and the new database is dropped again", async () => {
    const dir = await tmpDir("trunc");
    const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_5.dump", format: "custom", ctx: recorder().ctx });
    await fs.truncate(r.path, Math.floor(r.sizeBytes / 2));
    const newDb = uniqueName("halfway");
    const err = await restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: await sha256File(r.path), format: "custom", newDb, ctx: recorder().ctx }).catch((e) => e);
    expect(err).toBeInstanceOf(OpError);
    expect(err.code).toBe("restore_failed");
    expect(err.details.stderrTail).toMatch(/pg_restore/);
    expect(await dbExists(newDb)).toBe(false);
  });
});

describe("plain dumps with foreign psql meta-commands", () => {
  it("are refused before anything runs", async () => {
    const dir = await tmpDir("evil");
    const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_6.sql", format: "plain", ctx: recorder().ctx });
    const marker = path.join(dir, "pwned");
    const text = await fs.readFile(r.path, "utf8");
    // Injected after the header, keeping the trailer so only the scan can catch it.
    await fs.writeFile(r.path, text.replace("SET statement_timeout = 0;", `SET statement_timeout = 0;\n\\! touch ${marker}`));
    const newDb = uniqueName("evil");
    await expect(restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: await sha256File(r.path), format: "plain", newDb, ctx: recorder().ctx })).rejects.toMatchObject({
      code: "unsafe_dump",
    });
    await expect(fs.access(marker)).rejects.toThrow();
    expect(await dbExists(newDb)).toBe(false);
  });
});

describe("failures leave nothing behind", () => {
  let role: string;
  let password: string;
  let restricted: string;

  beforeAll(async () => {
    // A role that may connect but not read one table: pg_dump really fails on it.
    role = uniqueName("noselect");
    password = uniqueName("pw");
    restricted = await createScratchDb("restricted");
    const admin = adminSql();
    await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.end();
    const sql = adminSql(restricted);
    await sql`CREATE TABLE open_data (a int)`;
    await sql`CREATE TABLE secrets (a int)`;
    await sql`INSERT INTO secrets VALUES (1)`;
    await sql.unsafe(`GRANT SELECT ON open_data TO ${role}`);
    await sql.end();
  });

  it("a failing pg_dump throws dump_failed with its stderr and removes the partial file", async () => {
    const dir = await tmpDir("fail");
    const t = { ...target(restricted), user: role, password };
    const { ctx, rec } = recorder();
    const err = await dumpDatabase({ target: t, ...tools, dir, fileName: "db_backup_7.dump", format: "custom", ctx }).catch((e) => e);
    expect(err).toBeInstanceOf(OpError);
    expect(err.code).toBe("dump_failed");
    expect(err.message).toMatch(/permission denied for table secrets/);
    expect(err.message).not.toContain(password);
    expect(err.details.stderrTail).toMatch(/permission denied/);
    expect(err.details.argv.join(" ")).not.toContain(password);
    expect(rec.logs.join("\n")).toMatch(/permission denied/);
    expect(rec.steps).toEqual(["dump:start"]);
    expect(await files(dir)).toEqual([]);
  });

  it("a wrong password fails the same way, without the password in the message", async () => {
    const dir = await tmpDir("fail");
    const t = { ...target(restricted), user: role, password: "wrong-password-123" };
    const err = await dumpDatabase({ target: t, ...tools, dir, fileName: "db_backup_8.dump", format: "plain", ctx: recorder().ctx }).catch((e) => e);
    expect(err.code).toBe("dump_failed");
    expect(err.message).toMatch(/password authentication failed/);
    expect(JSON.stringify(err.details)).not.toContain("wrong-password-123");
    expect(await files(dir)).toEqual([]);
  });

  it("never overwrites an existing backup file", async () => {
    const dir = await tmpDir("exists");
    await fs.writeFile(path.join(dir, "db_backup_9.dump"), "precious");
    await expect(
      dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_9.dump", format: "custom", ctx: recorder().ctx }),
    ).rejects.toMatchObject({ code: "backup_exists" });
    expect(await fs.readFile(path.join(dir, "db_backup_9.dump"), "utf8")).toBe("precious");
    expect(await files(dir)).toEqual(["db_backup_9.dump"]);
  });

  it("refuses when the file appears while the dump runs (rename never replaces)", async () => {
    const dir = await tmpDir("race");
    const final = path.join(dir, "db_backup_10.dump");
    const { ctx } = recorder(async (step) => {
      if (step === "dump:verified") await fs.writeFile(final, "someone else's");
    });
    await expect(dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_10.dump", format: "custom", ctx })).rejects.toMatchObject({
      code: "backup_exists",
    });
    expect(await fs.readFile(final, "utf8")).toBe("someone else's");
    expect(await files(dir)).toEqual(["db_backup_10.dump"]);
  });

  it("refuses up front when the disk cannot hold the estimate", async () => {
    const dir = await tmpDir("space");
    const err = await dumpDatabase({
      target: target(db),
      ...tools,
      dir,
      fileName: "db_backup_11.dump",
      format: "custom",
      ctx: recorder().ctx,
      estimatedBytes: Number.MAX_SAFE_INTEGER,
    }).catch((e) => e);
    expect(err.code).toBe("no_space");
    expect(err.message).toMatch(/needs about .* but only .* is free in /);
    expect(await files(dir)).toEqual([]);
  });

  it("an abort removes the partial file and says it was cancelled", async () => {
    const dir = await tmpDir("abort");
    const ac = new AbortController();
    const { ctx, rec } = recorder((step) => {
      if (step === "dump:verified") ac.abort();
    });
    ctx.signal = ac.signal;
    await expect(dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_12.dump", format: "custom", ctx })).rejects.toMatchObject({
      code: "cancelled",
    });
    expect(rec.steps).not.toContain("dump:renamed");
    expect(await files(dir)).toEqual([]);
  });

  it("a dump that does not read back throws verify_failed, stops the checksum and keeps nothing", async () => {
    const dir = await tmpDir("verify");
    const { ctx, rec } = recorder();
    // A pg_restore that always fails: the read-back fails while the checksum runs beside it.
    const err = await dumpDatabase({ target: target(db), ...tools, pgRestore: "/bin/false", dir, fileName: "db_backup_17.dump", format: "custom", ctx }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(OpError);
    expect(err.code).toBe("verify_failed");
    expect(err.message).toMatch(/does not read back \(pg_restore could not read it: exit code 1\)/);
    expect(rec.steps).toEqual(["dump:start"]);
    expect(await files(dir)).toEqual([]);
  });

  it("an abort while dumping, verifying and checksumming removes the partial file and says it was cancelled", async () => {
    const dir = await tmpDir("abort");
    const ac = new AbortController();
    const { ctx, rec } = recorder();
    // The first bytes have reached the file (and pg_restore): abort in the middle of the one pass.
    ctx.progress = () => ac.abort();
    ctx.signal = ac.signal;
    await expect(dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_18.dump", format: "custom", ctx })).rejects.toMatchObject({
      code: "cancelled",
    });
    expect(rec.steps).toEqual(["dump:start"]);
    expect(await files(dir)).toEqual([]);
  });

  it("an abort as the dump starts removes the partial file", async () => {
    const dir = await tmpDir("abort");
    const ac = new AbortController();
    const { ctx } = recorder(async (step) => {
      if (step === "dump:start") setImmediate(() => ac.abort());
    });
    ctx.signal = ac.signal;
    await expect(dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_13.dump", format: "custom", ctx })).rejects.toMatchObject({
      code: "cancelled",
    });
    expect(await files(dir)).toEqual([]);
  });

});
