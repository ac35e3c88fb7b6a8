import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tmpDir } from "@/test/helpers";
import { markReleasesComplete, unmarkedReleases } from "./release-markers";
import { assertSwitchable, listReleases, RELEASE_COMPLETE_MARKER } from "./releases";

// Seed 000's layout (releases/<timestamp>/ + current, no markers): marked complete once, order kept.
describe("mark existing releases complete", () => {
  it("marks every unmarked release, keeps their order, and never a symlink or a bad name", async () => {
    const root = await tmpDir("deploy");
    const rel = path.join(root, "releases");
    await fs.mkdir(rel);
    for (const [name, t] of [["1748601800", 1748601800], ["1748602032", 1748602032], ["v1 bad", 1748600000]] as const) {
      await fs.mkdir(path.join(rel, name));
      await fs.utimes(path.join(rel, name), t, t);
    }
    const outside = await tmpDir("elsewhere");
    await fs.symlink(outside, path.join(rel, "1748609999"));
    await fs.symlink("releases/1748602032", path.join(root, "current"));
    await expect(assertSwitchable(root, "1748601800")).rejects.toMatchObject({ code: "release_incomplete" });
    expect((await unmarkedReleases(root)).sort()).toEqual(["1748601800", "1748602032"]);

    const marked = await markReleasesComplete(root, "marked complete by tester");
    expect(marked.sort()).toEqual(["1748601800", "1748602032"]);
    expect(await fs.readFile(path.join(rel, "1748601800", RELEASE_COMPLETE_MARKER), "utf8")).toContain("tester");
    await expect(assertSwitchable(root, "1748601800")).resolves.toMatch(/\/releases\/1748601800$/);
    const listed = await listReleases(root);
    expect(listed.filter((r) => r.complete).map((r) => r.name)).toEqual(["1748602032", "1748601800"]);
    await expect(fs.access(path.join(outside, RELEASE_COMPLETE_MARKER))).rejects.toThrow();
    expect(await unmarkedReleases(root)).toEqual([]);
    await expect(markReleasesComplete(root, "again", ["1748601800"])).rejects.toMatchObject({ code: "not_unmarked" });
  });
});
