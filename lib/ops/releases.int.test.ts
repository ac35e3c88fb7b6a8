import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  assertSwitchable,
  listReleases,
  readCurrentRelease,
  RELEASE_COMPLETE_MARKER,
  removeStrayTempLinks,
  switchRelease,
} from "./releases";

// Real directories and symlinks in a temp dir.
let base: string;
let root: string;

async function release(name: string, opts: { complete?: boolean; at?: number } = {}) {
  const dir = path.join(root, "releases", name);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, "app.js"), `// ${name}\n`);
  if (opts.complete !== false) {
    await fs.writeFile(path.join(dir, RELEASE_COMPLETE_MARKER), "");
    if (opts.at) await fs.utimes(path.join(dir, RELEASE_COMPLETE_MARKER), new Date(opts.at), new Date(opts.at));
  }
  if (opts.at) await fs.utimes(dir, new Date(opts.at), new Date(opts.at));
}

beforeEach(async () => {
  base ??= await fs.mkdtemp(path.join(os.tmpdir(), "lifeboat-releases-"));
  root = await fs.mkdtemp(path.join(base, "app-"));
  await release("1748601800", { at: Date.parse("2025-05-30T10:00:00Z") });
  await release("1748602032", { at: Date.parse("2025-05-30T11:00:00Z") });
  await release("1748609999", { complete: false, at: Date.parse("2025-05-30T12:00:00Z") });
  await fs.symlink("releases/1748602032", path.join(root, "current"));
});

afterAll(async () => {
  if (base) await fs.rm(base, { recursive: true, force: true });
});

describe("listReleases", () => {
  it("lists newest first with the completeness flag and the current marker", async () => {
    const list = await listReleases(root);
    expect(list.map((r) => [r.name, r.complete, r.isCurrent])).toEqual([
      ["1748609999", false, false],
      ["1748602032", true, true],
      ["1748601800", true, false],
    ]);
    expect(list[1]!.mtime.toISOString()).toBe("2025-05-30T11:00:00.000Z");
  });

  it("says what to check when releases/ is missing", async () => {
    await expect(listReleases(path.join(root, "nope"))).rejects.toMatchObject({ code: "no_releases_dir" });
  });
});

describe("assertSwitchable", () => {
  const payloads = [".", "..", "current", "../..", "../../etc", "a/b", "/etc", "releases/1748601800", "..%2f..", ".hidden", "", "x\0y", "current.tmp-0123456789abcdef"];
  for (const p of payloads) {
    it(`refuses ${JSON.stringify(p)}`, async () => {
      await expect(assertSwitchable(root, p)).rejects.toMatchObject({ name: "OpError" });
    });
  }

  it("refuses a symlink inside releases/, even to a complete release", async () => {
    await fs.symlink("1748601800", path.join(root, "releases", "alias"));
    await expect(assertSwitchable(root, "alias")).rejects.toMatchObject({ code: "invalid_release", message: expect.stringContaining("symlink") });
  });

  it("refuses a symlink that leads outside releases/", async () => {
    const outside = await fs.mkdtemp(path.join(base, "outside-"));
    await fs.writeFile(path.join(outside, RELEASE_COMPLETE_MARKER), "");
    await fs.symlink(outside, path.join(root, "releases", "escape"));
    await expect(assertSwitchable(root, "escape")).rejects.toMatchObject({ code: "invalid_release" });
  });

  it("refuses a file, a missing release and an incomplete one", async () => {
    await fs.writeFile(path.join(root, "releases", "file"), "x");
    await expect(assertSwitchable(root, "file")).rejects.toMatchObject({ code: "invalid_release" });
    await expect(assertSwitchable(root, "nope")).rejects.toMatchObject({ code: "release_missing" });
    await expect(assertSwitchable(root, "1748609999")).rejects.toMatchObject({
      code: "release_incomplete",
      message: expect.stringContaining(RELEASE_COMPLETE_MARKER),
    });
  });

  it("refuses a marker that is a directory or a symlink", async () => {
    await release("dirmarker", { complete: false });
    await fs.mkdir(path.join(root, "releases", "dirmarker", RELEASE_COMPLETE_MARKER));
    await expect(assertSwitchable(root, "dirmarker")).rejects.toMatchObject({ code: "release_incomplete" });
    await release("linkmarker", { complete: false });
    await fs.symlink("/etc/hostname", path.join(root, "releases", "linkmarker", RELEASE_COMPLETE_MARKER));
    await expect(assertSwitchable(root, "linkmarker")).rejects.toMatchObject({ code: "release_incomplete" });
  });

  it("accepts a complete release, and an unmarked one only when told to", async () => {
    expect(await assertSwitchable(root, "1748601800")).toBe(await fs.realpath(path.join(root, "releases", "1748601800")));
    expect(await assertSwitchable(root, "1748609999", { allowUnmarked: true })).toContain("1748609999");
  });

  it("works when releases/ itself is a symlink", async () => {
    const elsewhere = await fs.mkdtemp(path.join(base, "shared-"));
    await fs.rename(path.join(root, "releases"), path.join(elsewhere, "releases"));
    await fs.symlink(path.join(elsewhere, "releases"), path.join(root, "releases"));
    await expect(assertSwitchable(root, "1748601800")).resolves.toContain("1748601800");
  });
});

describe("switchRelease", () => {
  it("switches current with a relative link and returns the previous release", async () => {
    const previous = await switchRelease(root, "1748601800");
    expect(previous).toBe("1748602032");
    expect(await fs.readlink(path.join(root, "current"))).toBe("releases/1748601800");
    expect(await readCurrentRelease(root)).toBe("1748601800");
    expect(await fs.readFile(path.join(root, "current", "app.js"), "utf8")).toContain("1748601800");
    expect((await fs.readdir(root)).filter((n) => n.startsWith("current.tmp-"))).toEqual([]);
  });

  it("leaves current alone when the target is refused", async () => {
    await expect(switchRelease(root, "1748609999")).rejects.toMatchObject({ code: "release_incomplete" });
    await expect(switchRelease(root, "../../etc")).rejects.toMatchObject({ name: "OpError" });
    expect(await readCurrentRelease(root)).toBe("1748602032");
  });

  it("is atomic: a reader never sees current missing while it switches back and forth", async () => {
    let stop = false;
    let misses = 0;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        try {
          await fs.stat(path.join(root, "current", "app.js"));
        } catch {
          misses++;
        }
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 200; i++) await switchRelease(root, i % 2 ? "1748602032" : "1748601800");
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(50);
    expect(misses).toBe(0);
  });

  it("refuses to replace a current that is a real directory", async () => {
    await fs.rm(path.join(root, "current"));
    await fs.mkdir(path.join(root, "current"));
    await expect(switchRelease(root, "1748601800")).rejects.toMatchObject({ code: "current_not_symlink" });
    expect((await fs.lstat(path.join(root, "current"))).isDirectory()).toBe(true);
  });

  it("creates current when there was none", async () => {
    await fs.rm(path.join(root, "current"));
    expect(await switchRelease(root, "1748601800")).toBeNull();
    expect(await readCurrentRelease(root)).toBe("1748601800");
  });
});

describe("removeStrayTempLinks", () => {
  it("removes only Lifeboat's temporary links", async () => {
    await fs.symlink("releases/1748601800", path.join(root, "current.tmp-00112233aabbccdd"));
    await fs.writeFile(path.join(root, "current.tmp-0011223344556677"), "a file, not ours");
    await fs.symlink("releases/1748601800", path.join(root, "current.tmp-mine"));
    expect(await removeStrayTempLinks(root)).toEqual(["current.tmp-00112233aabbccdd"]);
    const left = (await fs.readdir(root)).sort();
    expect(left).toEqual(["current", "current.tmp-0011223344556677", "current.tmp-mine", "releases"]);
    expect(await readCurrentRelease(root)).toBe("1748602032");
  });
});
