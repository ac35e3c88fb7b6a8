import { describe, expect, it } from "vitest";
import { sizeScale } from "./size-chart";

describe("sizeScale", () => {
  it("is linear from 0 while sizes are close, logarithmic once they differ more than 8×", () => {
    expect(sizeScale([1_000_000, 5_000_000], 10, 110).log).toBe(false);
    const demo = sizeScale([1_500_000, 26_000_000], 10, 110); // the demo's dumps beside its clone
    expect(demo.log).toBe(true);
    // The small series is drawn well off the axis, not flat on it.
    expect(110 - demo.y(1_500_000)).toBeGreaterThan(0);
    expect(demo.y(26_000_000)).toBeLessThan(demo.y(1_500_000));
    expect(110 - demo.y(1_500_000)).toBeGreaterThan((110 - 10) * 0.02);
  });
});
