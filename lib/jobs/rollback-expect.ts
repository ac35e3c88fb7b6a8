import { getLatestChangeJob } from "@/lib/db/queries/jobs";
import { listReleaseEvents, releaseVerdicts } from "@/lib/db/queries/release-events";
import { OpError } from "@/lib/ops/errors";
import type { Resolved } from "./rollback-resolve";

// Checks at submit time, on the server: the world the operator reviewed in the plan is still the world
// (a dialog opened from a stale page, a colleague's rollback meanwhile), and a release marked bad is only
// ever a target on purpose.

/** What the preview showed; each field is compared only when sent. `current` uses NO_RELEASE for "none". */
export interface Expectation {
  current?: string;
  backupId?: number;
  lastChangeJobId?: number;
}

export const NO_RELEASE = "(none)";

/** The preview's view of the world, for the dialog to send back (hidden inputs) and the CLI to pass on. */
export async function expectationOf(r: Resolved): Promise<Required<Expectation>> {
  return { current: r.current ?? NO_RELEASE, backupId: r.backup?.id ?? 0, lastChangeJobId: (await getLatestChangeJob(r.app.id))?.id ?? 0 };
}

export async function assertWorldUnchanged(r: Resolved, expect: Expectation | undefined): Promise<void> {
  if (!expect) return;
  const again = " Nothing was done — review the plan again.";
  if (expect.current !== undefined && (r.current ?? NO_RELEASE) !== expect.current) {
    throw new OpError(
      "state_changed",
      `current is now ${r.current ?? "nothing"}, not ${expect.current === NO_RELEASE ? "nothing" : expect.current} as the plan showed.${again}`,
    );
  }
  if (expect.backupId !== undefined && (r.backup?.id ?? 0) !== expect.backupId) {
    throw new OpError("state_changed", `The backup to restore is now ${r.backup?.name ?? "none"}, not the one the plan showed.${again}`);
  }
  if (expect.lastChangeJobId !== undefined) {
    const latest = (await getLatestChangeJob(r.app.id))?.id ?? 0;
    if (latest !== expect.lastChangeJobId) {
      throw new OpError("state_changed", `${r.app.slug} was changed since the plan was shown (job #${latest}).${again}`);
    }
  }
}

/** Whether the target release is marked bad, with who marked it: the plan warns, the start needs confirmBad. */
export async function markedBad(appId: number, release: string | null): Promise<{ by: string; note: string | null } | null> {
  if (!release) return null;
  if (!(await releaseVerdicts(appId)).get(release)?.markedBad) return null;
  const ev = (await listReleaseEvents(appId)).find((e) => e.release === release && e.kind === "marked_bad");
  return { by: ev?.actor ?? "someone", note: ev?.note ?? null };
}

export async function assertBadConfirmed(r: Resolved, confirmBad: boolean | undefined): Promise<void> {
  const bad = await markedBad(r.app.id, r.release);
  if (!bad || confirmBad) return;
  throw new OpError(
    "release_marked_bad",
    `Release ${r.release} is marked bad (by ${bad.by}${bad.note ? `: ${bad.note}` : ""}). Nothing was done. ` +
      `To make it current anyway, confirm that explicitly (the "it is marked bad" checkbox, confirmBad: true in the API, --allow-bad in the CLI).`,
  );
}
