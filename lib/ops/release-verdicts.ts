// What the release history (release_events) says about each release, for the rollback default and the
// releases page. Pure: the events come from lib/db/queries/release-events.ts.

export type ReleaseEventKind = "deployed" | "became_current" | "rolled_back_from" | "rolled_back_to" | "health_failed" | "marked_bad" | "unmarked_bad";

export interface ReleaseVerdict {
  markedBad: boolean;
  /** Its newest health-relevant event is a failed health check (a later healthy switch to it clears that). */
  lastHealthFailed: boolean;
}

/** Events newest first → per release: marked bad? did its last health check fail? */
export function verdictsOf(rows: readonly { release: string; kind: ReleaseEventKind }[]): Map<string, ReleaseVerdict> {
  const out = new Map<string, ReleaseVerdict & { badSeen: boolean; healthSeen: boolean }>();
  for (const r of rows) {
    const v = out.get(r.release) ?? { markedBad: false, lastHealthFailed: false, badSeen: false, healthSeen: false };
    if (!v.badSeen && (r.kind === "marked_bad" || r.kind === "unmarked_bad")) {
      v.badSeen = true;
      v.markedBad = r.kind === "marked_bad";
    }
    if (!v.healthSeen && (r.kind === "health_failed" || r.kind === "became_current" || r.kind === "rolled_back_to")) {
      v.healthSeen = true;
      v.lastHealthFailed = r.kind === "health_failed";
    }
    out.set(r.release, v);
  }
  return new Map([...out].map(([k, v]) => [k, { markedBad: v.markedBad, lastHealthFailed: v.lastHealthFailed }]));
}

/** For defaultRollbackTarget: a release marked bad or whose last health check failed is never the default. */
export function avoidedBy(verdicts: ReadonlyMap<string, ReleaseVerdict>): (name: string) => boolean {
  return (name) => {
    const v = verdicts.get(name);
    return !!v && (v.markedBad || v.lastHealthFailed);
  };
}
