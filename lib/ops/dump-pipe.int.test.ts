import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, pg, target, tmpDir, uniqueName } from "@/test/helpers";
import type { OpContext } from "./context";
import { dumpDatabase } from "./dump";
import { run, runningChildGroups } from "./exec";
import { clientToolFor } from "./pg-bin";
import { restoreDumpToNewDatabase, tableFingerprint } from "./restore";
import { countTableData } from "./restore-jobs";

// The single-pass dump's failures, provoked for real: a process of the pipeline killed mid-stream, a disk
// that fills up. Each must end in an error and leave nothing that looks like a backup.
let db: string;
let tools: { pgDump: string; pgRestore: string; psql: string };

beforeAll(async () => {
  db = await createScratchDb("pipesrc");
  const sql = adminSql(db);
  // Several MB of dump: enough chunks that a kill lands in the middle of the stream.
  await sql`CREATE TABLE rows AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v FROM generate_series(1, 150000) g`;
  await sql.end();
  const major = pg().major;
  tools = { pgDump: await clientToolFor("pg_dump", major), pgRestore: await clientToolFor("pg_restore", major), psql: await clientToolFor("psql", major) };
});

function ctxWith(onFirstBytes: () => Promise<void> | void) {
  const rec = { steps: [] as string[], logs: [] as string[] };
  let fired = false;
  const ctx: OpContext = {
    log: (l) => rec.logs.push(l),
    phase: () => {},
    progress: () => {
      if (fired) return;
      fired = true;
      void onFirstBytes();
    },
    step: async (s) => void rec.steps.push(s),
  };
  return { ctx, rec };
}

/** SIGKILLs the running child of this process whose program is `name` (pg_dump or pg_restore). */
async function killChild(name: string): Promise<void> {
  for (const pid of runningChildGroups()) {
    const comm = (await fs.readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
    if (comm === name) {
      process.kill(pid, "SIGKILL");
      return;
    }
  }
  throw new Error(`no ${name} child is running`);
}

describe("a dump written through the pipe", () => {
  it("restores with pg_restore -j (pg_dump wrote it without data offsets) and its TOC counts the tables with data", async () => {
    const sql = adminSql(db);
    await sql`CREATE TABLE IF NOT EXISTS more AS SELECT g AS id FROM generate_series(1, 1000) g`;
    await sql.end();
    const dir = await tmpDir("pipe");
    const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_j.dump", format: "custom", ctx: ctxWith(() => {}).ctx });
    expect(await countTableData(r.path, tools.pgRestore)).toBe(2);
    const restored = uniqueName("restored_pipe");
    await restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: r.sha256, format: "custom", newDb: restored, ctx: ctxWith(() => {}).ctx, jobs: 2 });
    expect(await tableFingerprint(target(db), restored)).toEqual(await tableFingerprint(target(db), db));
  });
});

describe("single-pass dump: failures keep nothing", () => {
  it("pg_restore killed mid-stream: verify_failed, no file", async () => {
    const dir = await tmpDir("pipe");
    const { ctx, rec } = ctxWith(() => killChild("pg_restore"));
    const err = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_k1.dump", format: "custom", ctx }).catch((e) => e);
    expect(err).toMatchObject({ code: "verify_failed", message: expect.stringMatching(/pg_restore could not read it: killed by SIGKILL/) });
    expect(rec.steps).toEqual(["dump:start"]);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  for (const format of ["custom", "plain"] as const) {
    it(`pg_dump killed mid-stream (a truncated ${format} dump): dump_failed, no file`, async () => {
      const dir = await tmpDir("pipe");
      const { ctx, rec } = ctxWith(() => killChild("pg_dump"));
      const err = await dumpDatabase({ target: target(db), ...tools, dir, fileName: `db_backup_k2.${format === "custom" ? "dump" : "sql"}`, format, ctx }).catch((e) => e);
      expect(err).toMatchObject({ code: "dump_failed", details: { signal: "SIGKILL" } });
      expect(rec.steps).toEqual(["dump:start"]);
      expect(await fs.readdir(dir)).toEqual([]);
    });
  }

  describe("a full disk", () => {
    // A real full disk: a 64 KiB tmpfs, mounted here (the tests run as root, as in CI).
    let mnt: string;
    beforeAll(async () => {
      mnt = path.join(await tmpDir("tiny"), "fs");
      await fs.mkdir(mnt);
      await run("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", mnt]);
    });
    afterAll(async () => {
      if (mnt) await run("umount", [mnt]).catch(() => {});
    });

    for (const format of ["custom", "plain"] as const) {
      it(`ENOSPC while writing a ${format} dump: no_space, the partial file removed, no process left`, async () => {
        const err = await dumpDatabase({ target: target(db), ...tools, dir: mnt, fileName: `db_backup_f.${format === "custom" ? "dump" : "sql"}`, format, ctx: ctxWith(() => {}).ctx }).catch(
          (e) => e,
        );
        expect(err).toMatchObject({ code: "no_space" });
        expect(await fs.readdir(mnt)).toEqual([]);
        expect(runningChildGroups()).toEqual([]);
      });
    }
  });
});
