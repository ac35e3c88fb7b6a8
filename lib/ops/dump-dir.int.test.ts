import fs from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { seedShop } from "@/scripts/lib/seed-shop";
import { adminSql, createScratchDb, pg, target, tmpDir, uniqueName, dbExists } from "@/test/helpers";
import type { OpContext } from "./context";
import { deleteDumpFile } from "./delete-backup";
import { sha256Dir } from "./dir-manifest";
import { dumpDatabase, verifyDumpFile } from "./dump";
import { reconcileDump } from "./dump-recovery";
import { run, runningChildGroups } from "./exec";
import { checkBackupFile } from "./integrity";
import { clientToolFor } from "./pg-bin";
import { restoreDumpToNewDatabase, tableFingerprint } from "./restore";
import { countTableData, restoreJobsFor } from "./restore-jobs";

// Directory-format dumps (pg_dump -Fd -j N) for real: written into an exclusive .partial directory, verified
// in full, checksummed over a manifest of every member, renamed into place; each failure keeps nothing.
let db: string;
let tools: { pgDump: string; pgRestore: string; psql: string };

beforeAll(async () => {
  db = await createScratchDb("dirsrc");
  const sql = adminSql(db);
  await seedShop(sql, { customers: 300, orders: 900 });
  // Enough data that a kill lands while pg_dump is still writing.
  await sql`CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v FROM generate_series(1, 150000) g`;
  await sql.end();
  const major = pg().major;
  tools = { pgDump: await clientToolFor("pg_dump", major), pgRestore: await clientToolFor("pg_restore", major), psql: await clientToolFor("psql", major) };
});

function recorder(onStep?: (name: string) => void) {
  const rec = { steps: [] as string[], phases: [] as string[] };
  const ctx: OpContext = {
    log: () => {},
    phase: (p) => void rec.phases.push(p),
    progress: () => {},
    step: async (name) => {
      rec.steps.push(name);
      onStep?.(name);
    },
  };
  return { ctx, rec };
}

async function dirDump(dir: string, fileName = "db_backup_d.dir") {
  return dumpDatabase({ target: target(db), ...tools, dir, fileName, format: "directory", ctx: recorder().ctx });
}

async function dataMember(dir: string): Promise<string> {
  const files = await fs.readdir(dir);
  const sized = await Promise.all(files.filter((f) => f.endsWith(".dat.gz")).map(async (f) => ({ f, size: (await fs.stat(path.join(dir, f))).size })));
  return path.join(dir, sized.sort((a, b) => b.size - a.size)[0]!.f);
}

describe("directory-format dumps", () => {
  it("round-trip: a directory of members, the manifest checksum, restored with pg_restore -j into equal tables", async () => {
    const dir = await tmpDir("dird");
    const r = await dirDump(dir);
    expect(await fs.readdir(dir)).toEqual(["db_backup_d.dir"]);
    expect((await fs.stat(r.path)).isDirectory()).toBe(true);
    expect(await fs.readdir(r.path)).toContain("toc.dat");
    expect(r.sha256).toBe(await sha256Dir(r.path));
    // The operator's check (lib/ops/restore-command.ts) gives the same checksum.
    const shell = await run("sh", ["-c", 'export LC_ALL=C; cd "$1" && sha256sum -- * | sha256sum | cut -d" " -f1', "sh", r.path]);
    expect(shell.stdout.trim()).toBe(r.sha256);
    expect(await countTableData(r.path, tools.pgRestore)).toBeGreaterThan(2);
    expect(await restoreJobsFor(r.path, tools.pgRestore, 2)).toBe(1); // a few MB: one job pays
    const restored = uniqueName("restored_dir");
    await restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: r.sha256, format: "directory", newDb: restored, ctx: recorder().ctx, jobs: 2 });
    expect(await tableFingerprint(target(db), restored)).toEqual(await tableFingerprint(target(db), db));
    expect(await deleteDumpFile(dir, "db_backup_d.dir")).toBe(true);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("pg_dump killed mid-dump: dump_failed, the partial directory removed, no process left", async () => {
    const dir = await tmpDir("dirk");
    let killed = false;
    const killer = async () => {
      for (let i = 0; i < 2000 && !killed; i++) {
        const partial = path.join(dir, "db_backup_k.dir.partial");
        const some = await fs.readdir(partial).then((f) => f.some((n) => n.endsWith(".dat.gz")), () => false);
        if (some) {
          for (const pid of runningChildGroups()) {
            if ((await fs.readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim() === "pg_dump") {
              process.kill(-pid, "SIGKILL");
              killed = true;
            }
          }
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const { ctx, rec } = recorder((s) => void (s === "dump:start" && killer()));
    const err = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_k.dir", format: "directory", ctx }).catch((e) => e);
    expect(killed).toBe(true);
    expect(err).toMatchObject({ code: "dump_failed", details: { signal: "SIGKILL" } });
    expect(rec.steps).toEqual(["dump:start"]);
    expect(await fs.readdir(dir)).toEqual([]);
    expect(runningChildGroups()).toEqual([]);
  });

  it("a tampered member: the checksum gate refuses it, nothing is restored, no database is left", async () => {
    const dir = await tmpDir("dirt");
    const r = await dirDump(dir);
    const toc = path.join(r.path, "toc.dat");
    const bytes = await fs.readFile(toc);
    bytes[bytes.length - 1] ^= 1;
    await fs.writeFile(toc, bytes);
    await expect(checkBackupFile(r.path, r.sha256)).rejects.toMatchObject({ code: "tampered" });
    const newDb = uniqueName("tampered_dir");
    const { ctx, rec } = recorder();
    await expect(restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: r.sha256, format: "directory", newDb, ctx })).rejects.toMatchObject({ code: "tampered" });
    expect(rec.phases).not.toContain("restoring");
    expect(await dbExists(newDb)).toBe(false);
  });

  it("a file added to the directory is a change too", async () => {
    const dir = await tmpDir("dira");
    const r = await dirDump(dir);
    await fs.writeFile(path.join(r.path, "9999.dat.gz"), "");
    await expect(checkBackupFile(r.path, r.sha256)).rejects.toMatchObject({ code: "tampered" });
  });

  it("a truncated member fails the full read-back; recovery of the dead dump removes such a partial directory", async () => {
    const dir = await tmpDir("dirr");
    const r = await dirDump(dir);
    const member = await dataMember(r.path);
    const { size } = await fs.stat(member);
    await fs.truncate(member, Math.floor(size / 2));
    const check = await verifyDumpFile(r.path, "directory", tools.pgRestore);
    expect(check).toMatchObject({ ok: false, reason: expect.stringMatching(/pg_restore could not read it/) });
    // The same directory as a dead job's .partial: no pg_dump writes it any more, it does not read back.
    const partial = "db_backup_r2.dir.partial";
    await fs.rename(r.path, path.join(dir, partial));
    const journal = [{ step: "dump:start", detail: { file: "db_backup_r2.dir", partial } }];
    const rec = await reconcileDump(journal, { target: target(db), dir, format: "directory", pgRestore: tools.pgRestore, waitMs: 0 });
    expect(rec.outcome).toBe("removed");
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("a complete partial directory left by a dead job is verified, checksummed and renamed into place", async () => {
    const dir = await tmpDir("dirc");
    const r = await dirDump(dir);
    const partial = "db_backup_c2.dir.partial";
    await fs.rename(r.path, path.join(dir, partial));
    const journal = [{ step: "dump:start", detail: { file: "db_backup_c2.dir", partial } }];
    const rec = await reconcileDump(journal, { target: target(db), dir, format: "directory", pgRestore: tools.pgRestore, waitMs: 0 });
    expect(rec).toMatchObject({ outcome: "kept", sha256: r.sha256, sizeBytes: r.sizeBytes });
    expect(await fs.readdir(dir)).toEqual(["db_backup_c2.dir"]);
  });

  it("a full disk: pg_dump fails, the partial directory is removed, no process left", async () => {
    // A real full disk: a 64 KiB tmpfs, mounted here (the tests run as root, as in CI).
    const mnt = path.join(await tmpDir("dirfull"), "fs");
    await fs.mkdir(mnt);
    await run("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", mnt]);
    try {
      const err = await dirDump(mnt, "db_backup_f.dir").catch((e) => e);
      expect(err).toMatchObject({ code: "dump_failed", message: expect.stringMatching(/No space left on device|disk .* is full/) });
      expect(await fs.readdir(mnt)).toEqual([]);
      expect(runningChildGroups()).toEqual([]);
    } finally {
      await run("umount", [mnt]).catch(() => {});
    }
  });

  it("an existing .partial directory is never written into", async () => {
    const dir = await tmpDir("dirp");
    await fs.mkdir(path.join(dir, "db_backup_p.dir.partial"));
    await expect(dirDump(dir, "db_backup_p.dir")).rejects.toMatchObject({ code: "dump_in_progress" });
    expect(await fs.readdir(dir)).toEqual(["db_backup_p.dir.partial"]);
  });
});

describe("a custom dump whose checksum fails while its database is being created", () => {
  it("is refused as tampered and the database created beside the checksum is dropped again", async () => {
    const dir = await tmpDir("ovl");
    const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_o.dump", format: "custom", ctx: recorder().ctx });
    await fs.appendFile(r.path, "x");
    const newDb = uniqueName("tampered_custom");
    const { ctx, rec } = recorder();
    await expect(restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: r.sha256, format: "custom", newDb, ctx })).rejects.toMatchObject({ code: "tampered" });
    expect(rec.steps).toContain("restore:create_db");
    expect(rec.phases).not.toContain("restoring");
    expect(await dbExists(newDb)).toBe(false);
  });

  it("a name already taken is left alone even when the checksum fails too", async () => {
    const dir = await tmpDir("ovl2");
    const r = await dumpDatabase({ target: target(db), ...tools, dir, fileName: "db_backup_o2.dump", format: "custom", ctx: recorder().ctx });
    await fs.appendFile(r.path, "x");
    const taken = await createScratchDb("taken");
    await expect(restoreDumpToNewDatabase({ target: target(db), ...tools, file: r.path, sha256: r.sha256, format: "custom", newDb: taken, ctx: recorder().ctx })).rejects.toMatchObject({ code: "db_exists" });
    expect(await dbExists(taken)).toBe(true);
  });
});
