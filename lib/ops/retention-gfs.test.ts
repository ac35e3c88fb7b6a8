import { describe, expect, it } from "vitest";
import { gfsKeep, planScheduledRetention, type RetentionItem } from "./retention";

let nextId = 1;
function s(iso: string, over: Partial<RetentionItem> = {}): RetentionItem {
  const at = new Date(iso);
  return { id: nextId++, method: "dump", kind: "scheduled", status: "ok", pinned: false, createdAt: at, verifiedAt: at, ...over };
}
const ids = (xs: RetentionItem[]) => xs.map((x) => x.id);

describe("gfsKeep", () => {
  it("keeps the newest backup of each day when several ran the same day", () => {
    const morning = s("2026-03-10T06:00:00Z");
    const noon = s("2026-03-10T12:00:00Z");
    const evening = s("2026-03-10T18:00:00Z");
    const before = s("2026-03-09T18:00:00Z");
    const kept = gfsKeep([morning, noon, evening, before], { daily: 2, weekly: 0, monthly: 0 });
    expect([...kept].sort()).toEqual([evening.id, before.id].sort());
  });

  it("counts days in the given time zone, not UTC", () => {
    // 23:30 UTC on the 10th is already the 11th in Berlin (UTC+1 in March before DST).
    const late = s("2026-03-10T23:30:00Z");
    const earlier = s("2026-03-10T20:00:00Z");
    expect(gfsKeep([late, earlier], { daily: 7, weekly: 0, monthly: 0, timeZone: "UTC" }).size).toBe(1);
    expect(gfsKeep([late, earlier], { daily: 7, weekly: 0, monthly: 0, timeZone: "Europe/Berlin" }).size).toBe(2);
    // …and west of UTC, 02:00 UTC on the 11th is still the 10th in New York.
    const ny = s("2026-03-11T02:00:00Z");
    expect(gfsKeep([ny, earlier], { daily: 7, weekly: 0, monthly: 0, timeZone: "America/New_York" }).size).toBe(1);
  });

  it("weeks start on Monday and months on the 1st; periods without a backup use no place", () => {
    const sun = s("2026-03-08T12:00:00Z"); // Sunday
    const mon = s("2026-03-09T12:00:00Z"); // Monday: a new ISO week
    const febEnd = s("2026-02-27T12:00:00Z");
    const jan = s("2026-01-15T12:00:00Z");
    const dec = s("2025-12-15T12:00:00Z"); // a gap of weeks before it does not matter
    const all = [sun, mon, febEnd, jan, dec];
    expect([...gfsKeep(all, { daily: 0, weekly: 2, monthly: 0 })].sort()).toEqual([mon.id, sun.id].sort());
    expect([...gfsKeep(all, { daily: 0, weekly: 0, monthly: 3 })].sort()).toEqual([mon.id, febEnd.id, jan.id].sort());
    expect(gfsKeep(all, { daily: 0, weekly: 5, monthly: 0 }).has(dec.id)).toBe(true);
  });

  it("the default 7/4/6 over 200 nightly backups keeps 7 days, 4 weeks and 6 months (overlapping)", () => {
    const nightly = Array.from({ length: 200 }, (_, i) => s(new Date(Date.UTC(2026, 5, 30, 2) - i * 86400_000).toISOString()));
    const kept = gfsKeep(nightly, { daily: 7, weekly: 4, monthly: 6 });
    const days = nightly.filter((b) => kept.has(b.id)).map((b) => b.createdAt.toISOString().slice(0, 10));
    // 30 June 2026 is a Tuesday. Dailies 24–30 June; weeklies: the newest of the weeks starting 29, 22, 15 and
    // 8 June (30 and 28 June are dailies already); monthlies: the last night of June … January.
    expect(days).toEqual([
      "2026-06-30", "2026-06-29", "2026-06-28", "2026-06-27", "2026-06-26", "2026-06-25", "2026-06-24",
      "2026-06-21", "2026-06-14", "2026-05-31", "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31",
    ]);
    expect(kept.has(nightly[199]!.id)).toBe(false);
  });
});

describe("planScheduledRetention", () => {
  it("prunes only scheduled backups; named, pinned, pre-rollback and automatic ones stay", () => {
    const xs = [
      s("2026-03-01T02:00:00Z"),
      s("2026-03-02T02:00:00Z", { pinned: true }),
      s("2026-03-03T02:00:00Z", { kind: "named" }),
      s("2026-03-04T02:00:00Z", { kind: "pre_rollback" }),
      s("2026-03-05T02:00:00Z", { kind: "automatic" }),
      s("2026-03-06T02:00:00Z"),
      s("2026-03-07T02:00:00Z"),
    ];
    expect(planScheduledRetention(xs, { mode: "newest", keep: 1 }, { triggeredByAdmin: false })).toEqual(ids([xs[0]!, xs[5]!]));
  });

  it("keeps per method, ignores failed ones, and never removes the newest verified backup", () => {
    const oldClone = s("2026-03-01T02:00:00Z", { method: "clone" });
    const newClone = s("2026-03-02T02:00:00Z", { method: "clone" });
    const dump = s("2026-03-03T02:00:00Z");
    const failed = s("2026-03-04T02:00:00Z", { status: "failed", verifiedAt: null });
    expect(planScheduledRetention([oldClone, newClone, dump, failed], { mode: "newest", keep: 1 }, { triggeredByAdmin: true })).toEqual([oldClone.id]);
  });

  it("a non-admin run leaves a backup an admin ever pinned", () => {
    const adminPinned = s("2026-03-01T02:00:00Z", { adminPinnedAt: new Date() });
    const newer = s("2026-03-02T02:00:00Z");
    expect(planScheduledRetention([adminPinned, newer], { mode: "newest", keep: 1 }, { triggeredByAdmin: false })).toEqual([]);
    expect(planScheduledRetention([adminPinned, newer], { mode: "newest", keep: 1 }, { triggeredByAdmin: true })).toEqual([adminPinned.id]);
  });

  it("GFS prunes the older backups of a day", () => {
    const a = s("2026-03-10T01:00:00Z");
    const b = s("2026-03-10T13:00:00Z");
    const c = s("2026-03-11T01:00:00Z");
    expect(planScheduledRetention([a, b, c], { mode: "gfs", daily: 7, weekly: 0, monthly: 0 }, { triggeredByAdmin: false })).toEqual([a.id]);
  });
});
