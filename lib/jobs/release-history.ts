import type { AppView } from "@/lib/db/queries/apps";
import { recordReleaseEvents, releaseVerdicts, type ReleaseEventKind } from "@/lib/db/queries/release-events";
import type { ChangeRecord } from "@/lib/ops/change-record";
import { OpError } from "@/lib/ops/errors";
import { listReleases } from "@/lib/ops/releases";

// The release history (release_events): who made which release current, rolled back from what, which
// failed its health check, which is marked bad. Written by the change jobs when they end and by the
// "mark as bad" action; read by the rollback default (lib/ops/release-verdicts.ts) and the releases page.

/** Marks a release bad or clears the mark. The release must exist in releases/ (a typo is not history). */
export async function markRelease(app: AppView, release: string, bad: boolean, actor: string, note?: string): Promise<void> {
  if (!app.deployRoot) throw new OpError("no_deploy_root", `${app.slug} has no deploy root, so it has no releases to mark.`);
  const releases = await listReleases(app.deployRoot);
  if (!releases.some((r) => r.name === release)) throw new OpError("not_found", `There is no release ${release} in ${app.deployRoot}/releases.`);
  const now = (await releaseVerdicts(app.id)).get(release)?.markedBad ?? false;
  if (now === bad) throw new OpError("conflict", `${release} is ${bad ? "already marked bad" : "not marked bad"}.`);
  await recordReleaseEvents(app.id, [{ release, kind: bad ? "marked_bad" : "unmarked_bad", actor, note: note ?? null }]);
}

/**
 * The events a finished (or failed) change job leaves: from → to for a rollback, became current for a
 * switch or undo, and health_failed for a release that was made current but failed its health check.
 */
export function changeEvents(
  kind: "rollback" | "restore" | "switch_release" | "undo",
  record: Pick<ChangeRecord, "switched" | "release" | "previousRelease">,
  healthFailed: boolean,
  startRelease: string | null,
): { release: string; kind: ReleaseEventKind; note?: string }[] {
  const out: { release: string; kind: ReleaseEventKind; note?: string }[] = [];
  const now = record.switched ? record.release : startRelease;
  if (record.switched && record.release) {
    if (kind === "rollback") {
      if (record.previousRelease) out.push({ release: record.previousRelease, kind: "rolled_back_from", note: `to ${record.release}` });
      out.push({ release: record.release, kind: "rolled_back_to", note: record.previousRelease ? `from ${record.previousRelease}` : undefined });
    } else {
      out.push({ release: record.release, kind: "became_current", note: kind === "undo" ? "undo" : record.previousRelease ? `was ${record.previousRelease}` : undefined });
    }
  }
  if (healthFailed && now) out.push({ release: now, kind: "health_failed", note: kind === "restore" ? "after a database restore" : undefined });
  return out;
}
