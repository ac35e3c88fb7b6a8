import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tmpDir } from "@/test/helpers";
import { deleteDumpFile } from "./delete-backup";

describe("deleteDumpFile", () => {
  it("deletes a backup file inside the directory", async () => {
    const dir = await tmpDir("del");
    await fs.writeFile(path.join(dir, "db_backup_1748602032.dump"), "x");
    await fs.writeFile(path.join(dir, "db_backup_v2.0.0.sql"), "x");
    expect(await deleteDumpFile(dir, "db_backup_1748602032.dump")).toBe(true);
    expect(await deleteDumpFile(dir, "db_backup_v2.0.0.sql")).toBe(true);
    expect(await fs.readdir(dir)).toEqual([]);
    expect(await deleteDumpFile(dir, "db_backup_1748602032.dump")).toBe(false);
  });

  it.each([
    "../db_backup_1.dump",
    "db_backup_../../etc/passwd.dump",
    "db_backup_1.dump/../../victim.dump",
    "/etc/db_backup_1.dump",
    "db_backup_%2e%2e.dump",
    "victim.dump",
    "db_backup_1.dump.partial",
    "db_backup_1.dump\u0000",
    ".db_backup_1.dump",
    "",
  ])("refuses %j and deletes nothing", async (name) => {
    const root = await tmpDir("del");
    const dir = path.join(root, "backups");
    await fs.mkdir(dir);
    await fs.writeFile(path.join(root, "victim.dump"), "keep");
    await fs.writeFile(path.join(root, "db_backup_1.dump"), "keep");
    await fs.writeFile(path.join(dir, "victim.dump"), "keep");
    await expect(deleteDumpFile(dir, name)).rejects.toMatchObject({ name: "OpError" });
    expect((await fs.readdir(root)).sort()).toEqual(["backups", "db_backup_1.dump", "victim.dump"]);
    expect(await fs.readdir(dir)).toEqual(["victim.dump"]);
  });

  it("refuses a symlink, inside or out", async () => {
    const root = await tmpDir("del");
    const dir = path.join(root, "backups");
    await fs.mkdir(dir);
    await fs.writeFile(path.join(root, "outside.dump"), "keep");
    await fs.writeFile(path.join(dir, "db_backup_2.dump"), "keep");
    await fs.symlink(path.join(root, "outside.dump"), path.join(dir, "db_backup_1.dump"));
    await fs.symlink(path.join(dir, "db_backup_2.dump"), path.join(dir, "db_backup_3.dump"));
    await expect(deleteDumpFile(dir, "db_backup_1.dump")).rejects.toMatchObject({ code: "path_escape" });
    await expect(deleteDumpFile(dir, "db_backup_3.dump")).rejects.toMatchObject({ code: "invalid_name" });
    expect(await fs.readFile(path.join(root, "outside.dump"), "utf8")).toBe("keep");
    expect(await fs.readFile(path.join(dir, "db_backup_2.dump"), "utf8")).toBe("keep");
  });
});
