import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import type { ReleaseEventView } from "@/lib/db/queries/release-events";
import type { ReleaseVerdict } from "@/lib/ops/release-verdicts";

const WORDS: Record<ReleaseEventView["kind"], string> = {
  deployed: "deployed",
  became_current: "became current",
  rolled_back_from: "rolled back from",
  rolled_back_to: "rolled back to",
  health_failed: "failed its health check",
  marked_bad: "marked bad",
  unmarked_bad: "unmarked bad",
};

export function ReleaseVerdictBadges({ verdict }: { verdict: ReleaseVerdict | undefined }) {
  if (!verdict) return null;
  return (
    <>
      {verdict.markedBad && (
        <span className="ml-2" data-testid="release-bad">
          <Badge tone="red" title="Never a default rollback target; making it current needs an extra confirmation.">marked bad</Badge>
        </span>
      )}
      {verdict.lastHealthFailed && (
        <span className="ml-2" data-testid="release-unhealthy">
          <Badge tone="yellow" title="Its last time as current failed the health check: never a default rollback target.">last health check failed</Badge>
        </span>
      )}
    </>
  );
}

/** The newest few events of one release: what happened, who, when, which job. */
export function ReleaseHistory({ events }: { events: ReleaseEventView[] }) {
  if (events.length === 0) return null;
  return (
    <ul className="mt-1 space-y-0.5 text-xs text-slate-600" data-testid="release-history">
      {events.map((e) => (
        <li key={e.id}>
          {WORDS[e.kind]}
          {e.note ? ` (${e.note})` : ""} · {e.actor} · <RelativeTime at={e.at} />
          {e.jobId ? ` · job #${e.jobId}` : ""}
        </li>
      ))}
    </ul>
  );
}
