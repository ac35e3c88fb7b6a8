import { describe, expect, it } from "vitest";
import { avoidedBy, verdictsOf, type ReleaseEventKind } from "./release-verdicts";
import { defaultRollbackTarget, type TargetCandidate } from "./rollback-plan";

const r = (name: string, o: Partial<TargetCandidate> = {}): TargetCandidate => ({ name, complete: true, isCurrent: false, invalid: null, ...o });
/** Events oldest first, as they happen; verdictsOf takes them newest first. */
const history = (...events: [string, ReleaseEventKind][]) => verdictsOf(events.map(([release, kind]) => ({ release, kind })).reverse());

describe("release verdicts and the default rollback target", () => {
  it("skips a release whose last health check failed: the target is the last healthy one", () => {
    // r3 current; a switch to r2 failed its health check and was undone back to r3.
    const v = history(["r2", "became_current"], ["r3", "became_current"], ["r2", "became_current"], ["r2", "health_failed"], ["r3", "became_current"]);
    const list = [r("r3", { isCurrent: true }), r("r2"), r("r1")];
    expect(defaultRollbackTarget(list, "r3")).toBe("r2");
    expect(defaultRollbackTarget(list, "r3", avoidedBy(v))).toBe("r1");
  });

  it("a later healthy switch to a release clears its failed health check", () => {
    const v = history(["r2", "health_failed"], ["r2", "rolled_back_to"]);
    expect(v.get("r2")).toEqual({ markedBad: false, lastHealthFailed: false });
    expect(defaultRollbackTarget([r("r3", { isCurrent: true }), r("r2"), r("r1")], "r3", avoidedBy(v))).toBe("r2");
  });

  it("a release marked bad is never the default until it is unmarked; a healthy switch does not clear the mark", () => {
    const list = [r("r3", { isCurrent: true }), r("r2"), r("r1")];
    const bad = history(["r2", "marked_bad"], ["r2", "became_current"]);
    expect(bad.get("r2")).toEqual({ markedBad: true, lastHealthFailed: false });
    expect(defaultRollbackTarget(list, "r3", avoidedBy(bad))).toBe("r1");
    const unmarked = history(["r2", "marked_bad"], ["r2", "unmarked_bad"]);
    expect(defaultRollbackTarget(list, "r3", avoidedBy(unmarked))).toBe("r2");
  });

  it("offers nothing when every older release is bad or unhealthy", () => {
    const v = history(["r2", "health_failed"], ["r1", "marked_bad"]);
    expect(defaultRollbackTarget([r("r3", { isCurrent: true }), r("r2"), r("r1")], "r3", avoidedBy(v))).toBeNull();
  });
});
