export interface RetentionItem {
  id: number;
  method: "dump" | "clone";
  kind: string;
  status: string;
  pinned: boolean;
  /** When an admin first pinned it (kept after an unpin). */
  adminPinnedAt?: Date | null;
  createdAt: Date;
  verifiedAt: Date | null;
}

/**
 * Which backups retention removes: ids, oldest first. Only automatic backups that succeeded are ever
 * candidates; per method the newest `keep` of them stay. Manual, named, found and pre-rollback backups and
 * pinned ones are outside retention (they neither get pruned nor take one of the `keep` places). Failed or
 * unfinished backups do not count, so a run of failures never pushes good backups out. The newest verified
 * backup of any kind always stays. `keep` below 1 counts as 1: retention never removes the last one.
 *
 * Retention deletes in the name of whoever triggered it, and deleting is an admin's right: retention a
 * non-admin triggers (an operator's or a pipeline's automatic backup) never removes a backup an admin has
 * ever pinned, even after it was unpinned (issue 7, finding 8: unpin, back up, and the admin's backup was
 * gone). Such a backup is left out of that run as if pinned; retention an admin triggers treats it as usual.
 */
export function planRetention(backups: RetentionItem[], keep: number, opts: { triggeredByAdmin: boolean }): number[] {
  const keepN = Number.isFinite(keep) ? Math.max(1, Math.floor(keep)) : 1;
  return prunePerMethod(backups, "automatic", opts, (candidates) => new Set(candidates.slice(0, keepN).map((b) => b.id)));
}

/**
 * The fences every retention class shares: per method, only backups of `kind` that succeeded and are not
 * pinned (nor, for a non-admin run, ever admin-pinned) are candidates, newest first; `keep` picks the ids that
 * stay; the newest verified backup of any kind stays regardless. Returns the ids to prune, oldest first.
 */
function prunePerMethod(
  backups: RetentionItem[],
  kind: "automatic" | "scheduled",
  opts: { triggeredByAdmin: boolean },
  keep: (newestFirstCandidates: RetentionItem[]) => Set<number>,
): number[] {
  const newestVerified = backups.filter((b) => b.status === "ok" && b.verifiedAt !== null).sort(newestFirst)[0];
  const prune: RetentionItem[] = [];
  for (const method of ["dump", "clone"] as const) {
    const candidates = backups
      .filter((b) => b.method === method && b.kind === kind && b.status === "ok" && !b.pinned)
      .filter((b) => opts.triggeredByAdmin || !b.adminPinnedAt)
      .sort(newestFirst);
    const kept = keep(candidates);
    prune.push(...candidates.filter((b) => !kept.has(b.id) && b.id !== newestVerified?.id));
  }
  return prune.sort((a, b) => -newestFirst(a, b)).map((b) => b.id);
}

/** How scheduled backups are kept: the newest N, or grandfather-father-son in a time zone (default UTC). */
export type ScheduledPolicy = { mode: "newest"; keep: number } | { mode: "gfs"; daily: number; weekly: number; monthly: number; timeZone?: string };

/**
 * Which scheduled backups retention removes (ids, oldest first). Same fences as planRetention: only scheduled
 * backups that succeeded are candidates, per method; pinned (and, for a non-admin run, ever admin-pinned) ones
 * and every other kind are left alone; the newest verified backup of any kind always stays.
 */
export function planScheduledRetention(backups: RetentionItem[], policy: ScheduledPolicy, opts: { triggeredByAdmin: boolean }): number[] {
  return prunePerMethod(backups, "scheduled", opts, (candidates) => {
    const keep =
      policy.mode === "newest" ? new Set(candidates.slice(0, Math.max(1, Math.floor(policy.keep) || 1)).map((b) => b.id)) : gfsKeep(candidates, policy);
    // GFS that matches nothing (all counts 0 cannot pass validation) still keeps the newest one.
    if (keep.size === 0 && candidates[0]) keep.add(candidates[0].id);
    return keep;
  });
}

/**
 * Grandfather-father-son: the newest backup of each of the newest `daily` days, `weekly` ISO weeks (Monday
 * first) and `monthly` months that have a backup, counted in `timeZone`'s calendar. Periods without a backup
 * use no place (a week the worker was down does not push an older weekly out). Returns the ids kept.
 */
export function gfsKeep(items: { id: number; createdAt: Date }[], p: { daily: number; weekly: number; monthly: number; timeZone?: string }): Set<number> {
  const sorted = [...items].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
  const day = localDay(p.timeZone ?? "UTC");
  const keep = new Set<number>();
  const buckets: [number, (d: string) => string][] = [
    [p.daily, (d) => d],
    [p.weekly, isoWeekStart],
    [p.monthly, (d) => d.slice(0, 7)],
  ];
  for (const [n, keyOf] of buckets) {
    const seen = new Set<string>();
    for (const b of sorted) {
      if (seen.size >= n) break;
      const key = keyOf(day(b.createdAt));
      if (seen.has(key)) continue; // an older backup of a period already represented by its newest
      seen.add(key);
      keep.add(b.id);
    }
  }
  return keep;
}

const newestFirst = (a: RetentionItem, b: RetentionItem) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id;

/** YYYY-MM-DD of an instant in a time zone's calendar. */
function localDay(timeZone: string): (at: Date) => string {
  const f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  return (at) => {
    const parts = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  };
}

/** The Monday (YYYY-MM-DD) of the ISO week a calendar day belongs to. */
function isoWeekStart(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}
