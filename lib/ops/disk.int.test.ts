import { describe, expect, it } from "vitest";
import { tmpDir } from "@/test/helpers";
import { assertSpaceFor, freeBytes } from "./disk";

describe("disk space", () => {
  it("reports free bytes and refuses what does not fit", async () => {
    const dir = await tmpDir("disk");
    const free = await freeBytes(dir);
    expect(free).toBeGreaterThan(0);
    await expect(assertSpaceFor(dir, 1024, "A backup of shop")).resolves.toBeUndefined();
    const err = await assertSpaceFor(dir, free * 2 + 1e12, "A backup of shop").catch((e) => e);
    expect(err.code).toBe("no_space");
    expect(err.message).toMatch(new RegExp(`^A backup of shop needs about \\S+ [kMGT]?B but only \\S+ [kMGT]?B is free in ${dir}\\.`));
  });
});
