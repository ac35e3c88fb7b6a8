import { describe, expect, it } from "vitest";
import { displayStatus, isFinal, leaseExpired } from "./job-status";

describe("what a job row says to its readers", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  const at = (s: number) => new Date(now + s * 1000);

  it("a running job whose lease expired is lost contact, never running", () => {
    expect(displayStatus({ status: "running", leaseExpiresAt: at(-1) }, now)).toBe("lost contact");
    expect(displayStatus({ status: "running", leaseExpiresAt: at(-1).toISOString() }, now)).toBe("lost contact");
    expect(displayStatus({ status: "running", leaseExpiresAt: null }, now)).toBe("lost contact");
    expect(displayStatus({ status: "running", leaseExpiresAt: at(5) }, now)).toBe("running");
  });

  it("queued and finished jobs are what their row says, whatever their old lease", () => {
    expect(displayStatus({ status: "queued", leaseExpiresAt: null }, now)).toBe("queued");
    expect(displayStatus({ status: "ok", leaseExpiresAt: at(-100) }, now)).toBe("ok");
    expect(displayStatus({ status: "interrupted", leaseExpiresAt: at(-100) }, now)).toBe("interrupted");
    expect(leaseExpired({ status: "failed", leaseExpiresAt: at(-100) }, now)).toBe(false);
  });

  it("lost contact and queued are not final: followers keep polling", () => {
    expect(["queued", "running", "lost contact"].filter(isFinal)).toEqual([]);
    expect(["ok", "failed", "interrupted"].every(isFinal)).toBe(true);
  });
});
