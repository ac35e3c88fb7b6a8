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
  const newestFirst = (a: RetentionItem, b: RetentionItem) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id;

  const newestVerified = backups
    .filter((b) => b.status === "ok" && b.verifiedAt !== null)
    .sort(newestFirst)[0];

  const prune: RetentionItem[] = [];
  for (const method of ["dump", "clone"] as const) {
    const candidates = backups
      .filter((b) => b.method === method && b.kind === "automatic" && b.status === "ok" && !b.pinned)
      .filter((b) => opts.triggeredByAdmin || !b.adminPinnedAt)
      .sort(newestFirst);
    prune.push(...candidates.slice(keepN).filter((b) => b.id !== newestVerified?.id));
  }
  return prune.sort((a, b) => -newestFirst(a, b)).map((b) => b.id);
}
