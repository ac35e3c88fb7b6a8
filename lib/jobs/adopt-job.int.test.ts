import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, tmpDir, useMetaDb } from "@/test/helpers";
import { setupSeedDumpApp, type SeedDumpApp } from "@/test/fixtures/seed-dump-app";
import { importJobModules, type JobModules } from "@/test/fixtures/job-modules";

// Seed 000's dump files on disk: found, adopted (full read, scan, sha256), restored through the restricted
// path — and hostile ones refused with the reason shown. Real files, real pg_dump/psql, real cluster.
let shop: SeedDumpApp;
let mods: JobModules & {
  adopt: typeof import("@/lib/jobs/adopt-job");
  refresh: typeof import("@/lib/jobs/refresh");
};
const app = async () => (await mods.apps.getAppById(shop.appId))!;
const row = async (name: string) => (await mods.backups.listBackups(shop.appId)).find((b) => b.name === name);

async function adopt(name: string) {
  const b = (await row(name))!;
  const { done } = await mods.adopt.startAdopt(await app(), b.id, "tester");
  return { outcome: await done, after: (await row(name))! };
}

/** A copy of a real seed dump with `line` inserted before the first CREATE TABLE (the trailer stays). */
async function hostile(from: string, name: string, line: string): Promise<string> {
  const text = await fs.readFile(from, "utf8");
  const i = text.indexOf("CREATE TABLE");
  await fs.writeFile(path.join(shop.backupsDir, name), `${text.slice(0, i)}${line}\n${text.slice(i)}`);
  return name;
}

beforeAll(async () => {
  await useMetaDb();
  mods = {
    ...(await importJobModules()),
    adopt: await import("@/lib/jobs/adopt-job"),
    refresh: await import("@/lib/jobs/refresh"),
  };
  shop = await setupSeedDumpApp("shop-found");
});
afterAll(async () => {
  delete process.env.LIFEBOAT_ADOPT_MAX_BYTES;
  await mods?.client.closeDb();
});

describe("dump files found on disk", () => {
  const auto = "db_backup_1748602032.sql";

  it("lists seed 000's names as found on disk: unverified, not restorable", async () => {
    await shop.seedDump(auto);
    await shop.seedDump("db_backup_manual_1748599000.sql");
    await shop.seedDump("db_backup_v2.0.0.sql");
    await fs.writeFile(path.join(shop.backupsDir, "notes.txt"), "not a dump");
    await mods.refresh.refreshApp(shop.appId);
    const found = (await mods.backups.listBackups(shop.appId)).filter((b) => b.kind === "found");
    expect(found.map((b) => b.name).sort()).toEqual(["db_backup_1748602032.sql", "db_backup_manual_1748599000.sql", "db_backup_v2.0.0.sql"]);
    const a = found.find((b) => b.name === auto)!;
    expect(a).toMatchObject({ method: "dump", sha256: null, verifiedAt: null, adoptedAt: null, createdBy: "found on disk" });
    expect(a.createdAt.getTime()).toBe(1748602032 * 1000);
    expect(found.find((b) => b.name === "db_backup_v2.0.0.sql")?.label).toBe("v2.0.0");
    await expect(mods.jobs.startRestore({ app: await app(), backupId: a.id, actor: "t" })).rejects.toMatchObject({ code: "no_checksum" });
    // A second refresh adds nothing twice.
    await mods.refresh.refreshApp(shop.appId);
    expect((await mods.backups.listBackups(shop.appId)).filter((b) => b.kind === "found")).toHaveLength(3);
  });

  it("adopts a seed dump (sha256 recorded) and restores it through the restricted path", async () => {
    // As seed 000 leaves it: owned by the deploy user, writable by its group.
    const file = path.join(shop.backupsDir, auto);
    const bytes = await fs.readFile(file);
    await fs.chown(file, 65534, 65534);
    await fs.chmod(file, 0o664);
    const { outcome, after } = await adopt(auto);
    expect(outcome.status, outcome.error?.message).toBe("ok");
    expect(after.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Now Lifeboat's own private file, with the same bytes: its old writer can no longer change it under a restore.
    const st = await fs.stat(file);
    expect({ uid: st.uid, mode: st.mode & 0o777 }).toEqual({ uid: process.getuid!(), mode: 0o600 });
    expect((await fs.readFile(file)).equals(bytes)).toBe(true);
    expect((await fs.readdir(shop.backupsDir)).filter((n) => n.startsWith(".adopt-"))).toEqual([]);
    expect(after).toMatchObject({ format: "plain", adoptedBy: "tester", error: null });
    expect(after.adoptedAt).not.toBeNull();
    expect(after.verifiedAt).not.toBeNull();
    // The live database changes; restoring the adopted dump brings back what it held.
    const before = await shop.counts();
    const sql = adminSql(shop.db);
    await sql`DELETE FROM order_items`;
    await sql`DELETE FROM orders`;
    await sql.end();
    expect((await shop.counts()).orders).toBe(0);
    const { done } = await mods.jobs.startRestore({ app: await app(), backupId: after.id, actor: "t" });
    const restored = await done;
    expect(restored.status, restored.error?.message).toBe("ok");
    expect(await shop.counts()).toEqual(before);
    await expect(mods.adopt.startAdopt(await app(), after.id, "t")).rejects.toMatchObject({ code: "already_adopted" });
  });

  it("holds an adopted file to its bytes: changed afterwards, it is refused as tampered", async () => {
    const name = "db_backup_manual_1748599000.sql";
    expect((await adopt(name)).outcome.status).toBe("ok");
    await fs.appendFile(path.join(shop.backupsDir, name), "-- one more line\n");
    const b = (await row(name))!;
    const { done } = await mods.jobs.startRestore({ app: await app(), backupId: b.id, actor: "t" });
    expect((await done).error?.code).toBe("tampered");
    expect((await row(name))?.status).toBe("tampered");
  });

  it("will not restore a verified file that another user may write: what was checked may not be what is read", async () => {
    const name = "db_backup_v2.0.0.sql";
    expect((await adopt(name)).outcome.status).toBe("ok");
    const file = path.join(shop.backupsDir, name);
    const b = (await row(name))!;
    const restore = async () => (await (await mods.jobs.startRestore({ app: await app(), backupId: b.id, actor: "t" })).done).error;
    await fs.chmod(file, 0o666);
    expect(await restore()).toMatchObject({ code: "unsafe_file", message: expect.stringMatching(/chmod 600/) });
    await fs.chmod(file, 0o600);
    await fs.chown(file, 65534, 65534);
    expect(await restore()).toMatchObject({ code: "unsafe_file" });
    await fs.chown(file, process.getuid!(), process.getgid!());
    expect(await restore()).toBeUndefined();
    expect((await row(name))?.status).toBe("ok");
  });

  it("refuses hostile files with the reason shown, and never restores them", async () => {
    const src = path.join(shop.backupsDir, "db_backup_v2.0.0.sql");
    const pwned = path.join(await tmpDir("pwned"), "ran");
    const outside = path.join(await tmpDir("outside"), "db.sql");
    await fs.copyFile(src, outside);
    const text = await fs.readFile(src, "utf8");
    const cases: [string, RegExp][] = [
      [await hostile(src, "db_backup_1700000001.sql", `\\! touch ${pwned}`), /line \d+ has psql meta-command "\\\\!"/],
      [await hostile(src, "db_backup_1700000002.sql", "\\connect postgres"), /psql meta-command "\\\\connect"/],
      [await hostile(src, "db_backup_1700000003.sql", "\\unrestrict `touch " + pwned + "`"), /\\restrict or \\unrestrict/],
      [await (async () => (await fs.symlink(outside, path.join(shop.backupsDir, "db_backup_1700000004.sql")), "db_backup_1700000004.sql"))(), /symbolic link/],
      [await (async () => (await fs.writeFile(path.join(shop.backupsDir, "db_backup_1700000005.sql"), text.slice(0, Math.floor(text.length / 2))), "db_backup_1700000005.sql"))(), /truncated/],
    ];
    await mods.refresh.refreshApp(shop.appId);
    for (const [name, why] of cases) {
      const { outcome, after } = await adopt(name);
      expect(outcome.status, name).toBe("failed");
      expect(outcome.error?.code, name).toBe("not_adoptable");
      expect(after.error, name).toMatch(why);
      expect(after.sha256, name).toBeNull();
      await expect(mods.jobs.startRestore({ app: await app(), backupId: after.id, actor: "t" }), name).rejects.toMatchObject({ code: "no_checksum" });
    }
    await expect(fs.access(pwned)).rejects.toThrow();
  });

  it("refuses a file larger than LIFEBOAT_ADOPT_MAX_BYTES without reading it", async () => {
    const name = "db_backup_1700000006.sql";
    const fh = await fs.open(path.join(shop.backupsDir, name), "w");
    await fh.truncate(50 * 1024 * 1024); // sparse: costs no disk
    await fh.close();
    await mods.refresh.refreshApp(shop.appId);
    process.env.LIFEBOAT_ADOPT_MAX_BYTES = String(10 * 1024 * 1024);
    try {
      const { outcome, after } = await adopt(name);
      expect(outcome.error?.code).toBe("not_adoptable");
      expect(after.error).toMatch(/more than the 10485760 bytes/);
    } finally {
      delete process.env.LIFEBOAT_ADOPT_MAX_BYTES;
    }
  });

  it("marks found rows deleted when their file is removed outside Lifeboat, and keeps adopted ones", async () => {
    await fs.rm(path.join(shop.backupsDir, "db_backup_1700000006.sql"));
    await mods.refresh.refreshApp(shop.appId);
    const names = (await mods.backups.listBackups(shop.appId)).map((b) => b.name);
    expect(names).not.toContain("db_backup_1700000006.sql");
    expect(names).toContain(auto);
  });
});
