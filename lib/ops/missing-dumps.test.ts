import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dumpsAbsentFrom } from "./missing-dumps";

describe("dumpsAbsentFrom", () => {
  it("names the files and .dir folders that are not there; a missing directory holds none; odd names are skipped", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "absent-"));
    await fs.writeFile(path.join(dir, "db_backup_a.dump"), "x");
    await fs.mkdir(path.join(dir, "db_backup_b.dir"));
    const names = ["db_backup_a.dump", "db_backup_b.dir", "db_backup_c.dump", "db_backup_d.dir", "../etc/passwd"];
    expect([...(await dumpsAbsentFrom(dir, names))!].sort()).toEqual(["db_backup_c.dump", "db_backup_d.dir"]);
    expect((await dumpsAbsentFrom(path.join(dir, "nope"), ["db_backup_a.dump"]))!.has("db_backup_a.dump")).toBe(true);
    await fs.rm(dir, { recursive: true });
  });
});
