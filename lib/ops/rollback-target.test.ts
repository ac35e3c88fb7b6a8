import { describe, expect, it } from "vitest";
import { defaultRollbackTarget, type TargetCandidate } from "./rollback-plan";

const r = (name: string, o: Partial<TargetCandidate> = {}): TargetCandidate => ({ name, complete: true, isCurrent: false, invalid: null, ...o });

describe("defaultRollbackTarget (releases newest first)", () => {
  it("is the newest complete, validly named release older than current", () => {
    const list = [r("r4"), r("r3", { isCurrent: true }), r("r 2c", { invalid: "space" }), r("r2b", { complete: false }), r("r2"), r("r1")];
    expect(defaultRollbackTarget(list, "r3")).toBe("r2");
  });

  it("never picks an invalid name, even the only older one", () => {
    expect(defaultRollbackTarget([r("r3", { isCurrent: true }), r("r 2", { invalid: "space" })], "r3")).toBeNull();
  });

  it("offers nothing when current is unknown (outside releases/, or none)", () => {
    expect(defaultRollbackTarget([r("r2"), r("r1")], null)).toBeNull();
  });

  it("never offers current itself", () => {
    expect(defaultRollbackTarget([r("r1", { isCurrent: true })], "r1")).toBeNull();
  });
});
