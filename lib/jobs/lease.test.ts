import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppLock } from "./lock";
import { Lease } from "./lease";

// The lease's own deadline timer (no database needed: the renewal timer is never reached here).
const lock: AppLock = { release: async () => {}, held: async () => true, onLost: () => {} };

afterEach(() => {
  vi.useRealTimers();
});

describe("Lease deadline", () => {
  it("when this process itself did not run (SIGSTOP), the fence says so — not that the database did not answer", () => {
    vi.useFakeTimers();
    const lease = new Lease(1, 1, lock, { leaseMs: 3000, renewMs: 1000 }, Date.now());
    lease.start();
    vi.advanceTimersByTime(250);
    expect(lease.reason).toBeNull();
    // Frozen for 30 s: the wall clock moves on, no timer fires; then one tick runs.
    vi.setSystemTime(Date.now() + 30_000);
    vi.advanceTimersByTime(250);
    expect(lease.reason).toMatch(/could not renew its lease for 3\ds \(this process did not run for 30s \(paused, or starved of CPU\)\); its lease had expired meanwhile/);
    expect(lease.signal.aborted).toBe(true);
  });
});
