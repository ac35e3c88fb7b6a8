// Issue 7 finding 10, releases part: directories with invalid names are listed as invalid and never become the
// default rollback target; a `current` that points outside releases/ is an unknown target, not a release,
// and is repaired by an ordinary atomic switch. Real directories and symlinks in a temp dir.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useMetaDb } from "@/test/helpers";
import type { AppView } from "@/lib/db/queries/apps";
import { resolveRollback } from "@/lib/jobs/rollback-resolve";
import { listReleases, readCurrentLink, readCurrentRelease, RELEASE_COMPLETE_MARKER, releaseNameProblem, switchRelease } from "./releases";

let base: string;
let root: string;
const T0 = Date.parse("2025-05-30T10:00:00Z");

async function release(name: string, hour: number, complete = true) {
  const dir = path.join(root, "releases", name);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, "app.js"), `// ${name}\n`);
  const at = new Date(T0 + hour * 3600_000);
  if (complete) {
    await fs.writeFile(path.join(dir, RELEASE_COMPLETE_MARKER), "");
    await fs.utimes(path.join(dir, RELEASE_COMPLETE_MARKER), at, at);
  }
  await fs.utimes(dir, at, at);
}

// An app with no release history (the default target also reads verdicts from the metadata database).
const app = () => ({ id: 0, slug: "shop", deployRoot: root }) as AppView;

beforeAll(async () => {
  await useMetaDb();
});

beforeEach(async () => {
  base ??= await fs.mkdtemp(path.join(os.tmpdir(), "lifeboat-release-truth-"));
  root = await fs.mkdtemp(path.join(base, "app-"));
  await release("r1", 0);
  await release("r2", 1);
  // Deployed after r2 but before r3, with names that cannot be releases; all complete (marker present).
  await release("r 2b", 2);
  await release(".r2c", 3);
  await release("r'2d", 4);
  await release("r3", 5);
  await fs.symlink("releases/r3", path.join(root, "current"));
});

afterAll(async () => {
  await (await import("@/lib/db/client")).closeDb();
  if (base) await fs.rm(base, { recursive: true, force: true });
});

describe("release names", () => {
  it.each([
    ["20250530103000", true],
    ["v1.4.2", true],
    ["a1b2c3d", true],
    ["release_2-final", true],
    ["r 4", false],
    [".hidden", false],
    ["a..b", false],
    ["r'4", false],
    ["-r4", false],
    ["current", false],
    ["current.tmp-0011223344556677", false],
    ["ré", false],
    ["x".repeat(201), false],
  ])("%s → valid: %s", (name, valid) => {
    expect(releaseNameProblem(name) === null).toBe(valid);
  });

  it("lists invalid names as invalid, with the reason, instead of hiding or trusting them", async () => {
    const list = await listReleases(root);
    expect(list.map((r) => [r.name, r.invalid === null])).toEqual([
      ["r3", true],
      ["r'2d", false],
      [".r2c", false],
      ["r 2b", false],
      ["r2", true],
      ["r1", true],
    ]);
    expect(list.find((r) => r.name === "r 2b")?.invalid).toMatch(/letters, digits/);
  });
});

describe("default rollback target", () => {
  it("skips invalid names: rolling back from r3 goes to r2 and is not blocked", async () => {
    const resolved = await resolveRollback({ app: app(), restoreDatabase: false });
    expect(resolved).toMatchObject({ current: "r3", release: "r2" });
  });

  it("an invalid name can still be named explicitly, and is then refused with the reason", async () => {
    await expect(resolveRollback({ app: app(), restoreDatabase: false, targetRelease: "r 2b" })).rejects.toMatchObject({ name: "OpError" });
  });

  it("offers no default when current points outside releases/", async () => {
    await fs.rm(path.join(root, "current"));
    await fs.symlink("/etc", path.join(root, "current"));
    await expect(resolveRollback({ app: app(), restoreDatabase: false })).rejects.toMatchObject({ code: "no_current" });
  });
});

describe("a current outside releases/", () => {
  it.each([
    ["an absolute path elsewhere", "/etc"],
    ["a directory of the deploy root", "shared"],
    ["a relative path out of the deploy root", "../other/releases/r3"],
    ["releases/ itself", "releases"],
  ])("%s is an unknown target, not a release", async (_label, target) => {
    await fs.mkdir(path.join(root, "shared"), { recursive: true });
    await fs.rm(path.join(root, "current"));
    await fs.symlink(target, path.join(root, "current"));
    expect(await readCurrentLink(root)).toEqual({ state: "outside", target });
    expect(await readCurrentRelease(root)).toBeNull();
    expect((await listReleases(root)).filter((r) => r.isCurrent)).toEqual([]);
  });

  it("an absolute link to the release through the real path is still that release", async () => {
    await fs.rm(path.join(root, "current"));
    await fs.symlink(path.join(await fs.realpath(root), "releases", "r2"), path.join(root, "current"));
    expect(await readCurrentLink(root)).toMatchObject({ state: "release", name: "r2" });
  });

  it("is repaired by switching to a valid release: one atomic rename, the old link target untouched", async () => {
    await fs.rm(path.join(root, "current"));
    await fs.mkdir(path.join(base, "elsewhere"), { recursive: true });
    await fs.symlink(path.join(base, "elsewhere"), path.join(root, "current"));
    expect(await switchRelease(root, "r2")).toBeNull();
    expect(await readCurrentLink(root)).toEqual({ state: "release", name: "r2", target: "releases/r2" });
    expect((await fs.stat(path.join(base, "elsewhere"))).isDirectory()).toBe(true);
    await expect(switchRelease(root, "r 2b")).rejects.toMatchObject({ name: "OpError" });
    expect(await readCurrentRelease(root)).toBe("r2");
  });
});
