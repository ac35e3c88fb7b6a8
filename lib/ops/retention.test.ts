import { describe, expect, it } from "vitest";
import { planRetention, type RetentionItem } from "./retention";

let nextId = 1;
function b(day: number, over: Partial<RetentionItem> = {}): RetentionItem {
  return {
    id: nextId++,
    method: "dump",
    kind: "automatic",
    status: "ok",
    pinned: false,
    createdAt: new Date(Date.UTC(2026, 0, day)),
    verifiedAt: new Date(Date.UTC(2026, 0, day)),
    ...over,
  };
}

interface Case {
  name: string;
  keep: number;
  backups: RetentionItem[];
  /** indexes into backups that are pruned */
  pruned: number[];
  /** Who triggered retention; an operator unless said. */
  byAdmin?: boolean;
}

const cases: Case[] = [
  { name: "nothing to prune under the limit", keep: 5, backups: [b(1), b(2), b(3)], pruned: [] },
  { name: "keeps the newest N automatic", keep: 2, backups: [b(1), b(2), b(3), b(4)], pruned: [0, 1] },
  {
    // A dump whose file is gone is no kept copy: the good ones it would push out stay, and its row is not pruned.
    name: "missing backups neither take a place nor get pruned",
    keep: 2,
    backups: [b(1), b(2), b(3), b(4, { status: "missing", verifiedAt: null }), b(5, { status: "missing", verifiedAt: null })],
    pruned: [0],
  },
  { name: "input order does not matter", keep: 2, backups: [b(4), b(1), b(3), b(2)], pruned: [1, 3] },
  {
    name: "manual, named, found and pre_rollback are never pruned",
    keep: 1,
    backups: [b(1, { kind: "manual" }), b(2, { kind: "named" }), b(3, { kind: "found", method: "clone" }), b(4, { kind: "pre_rollback", method: "clone" }), b(5), b(6)],
    pruned: [4],
  },
  { name: "pinned is never pruned and takes no place", keep: 2, backups: [b(1, { pinned: true }), b(2), b(3), b(4)], pruned: [1] },
  { name: "a pinned newest backup does not push others out", keep: 2, backups: [b(1), b(2), b(3), b(4, { pinned: true })], pruned: [0] },
  {
    name: "failed backups do not count and are not pruned here",
    keep: 2,
    backups: [b(1), b(2), b(3, { status: "failed", verifiedAt: null }), b(4, { status: "failed", verifiedAt: null }), b(5, { status: "failed", verifiedAt: null })],
    pruned: [],
  },
  {
    name: "running and interrupted do not count",
    keep: 1,
    backups: [b(1), b(2, { status: "running", verifiedAt: null }), b(3, { status: "interrupted", verifiedAt: null })],
    pruned: [],
  },
  {
    name: "per method: dumps and clones each keep N",
    keep: 1,
    backups: [b(1, { method: "clone" }), b(2), b(3, { method: "clone" }), b(4)],
    pruned: [0, 1],
  },
  {
    name: "the newest verified backup is never pruned",
    keep: 1,
    backups: [b(1), b(2), b(3, { verifiedAt: null })],
    pruned: [0],
  },
  {
    name: "the newest verified backup may be a manual one; then automatic ones prune normally",
    keep: 1,
    backups: [b(1), b(2, { verifiedAt: null }), b(3, { kind: "manual" }), b(4, { verifiedAt: null })],
    pruned: [0, 1],
  },
  { name: "keep 0 counts as 1", keep: 0, backups: [b(1), b(2), b(3)], pruned: [0, 1] },
  { name: "negative keep counts as 1", keep: -3, backups: [b(1), b(2)], pruned: [0] },
  { name: "NaN keep counts as 1", keep: Number.NaN, backups: [b(1), b(2)], pruned: [0] },
  { name: "fractional keep rounds down", keep: 2.9, backups: [b(1), b(2), b(3)], pruned: [0] },
  { name: "empty list", keep: 3, backups: [], pruned: [] },
  {
    name: "an operator's retention never removes a backup an admin once pinned (finding 8: unpinned since)",
    keep: 1,
    backups: [b(1, { adminPinnedAt: new Date(Date.UTC(2026, 0, 2)) }), b(2), b(3), b(4)],
    pruned: [1, 2],
  },
  {
    name: "an admin's retention prunes a formerly admin-pinned backup like any other",
    keep: 1,
    byAdmin: true,
    backups: [b(1, { adminPinnedAt: new Date(Date.UTC(2026, 0, 2)) }), b(2), b(3), b(4)],
    pruned: [0, 1, 2],
  },
  { name: "a tampered backup is kept as evidence", keep: 1, backups: [b(1, { status: "tampered", verifiedAt: null }), b(2), b(3)], pruned: [1] },
];

describe("planRetention", () => {
  it.each(cases)("$name", ({ keep, backups, pruned, byAdmin }) => {
    const expected = pruned.map((i) => backups[i]!).sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime()).map((x) => x.id);
    expect(planRetention(backups, keep, { triggeredByAdmin: byAdmin ?? false })).toEqual(expected);
  });

  it("never prunes anything but automatic ok backups, whatever the input", () => {
    const kinds = ["automatic", "manual", "named", "found", "pre_rollback"];
    const statuses = ["ok", "failed", "running", "interrupted", "tampered"];
    const all: RetentionItem[] = [];
    let day = 1;
    for (const kind of kinds)
      for (const status of statuses)
        for (const method of ["dump", "clone"] as const)
          for (const pinned of [false, true]) all.push(b(day++ % 28 + 1, { kind, status, method, pinned }));
    all.push(b(1), b(2), b(3, { method: "clone" }), b(4, { method: "clone" }));
    const pruned = new Set(planRetention(all, 1, { triggeredByAdmin: true }));
    for (const x of all.filter((x) => pruned.has(x.id))) {
      expect(x.kind).toBe("automatic");
      expect(x.status).toBe("ok");
      expect(x.pinned).toBe(false);
    }
    expect(pruned.size).toBeGreaterThan(0);
  });
});
