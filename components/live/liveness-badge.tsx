import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";

/** Up/down from the worker's probe of the health URL (lib/jobs/app-probe.ts), with since when. */
export function LivenessBadge({ liveness, hasHealthUrl }: { liveness: { state: "up" | "down"; since: Date; lastError: string | null } | undefined; hasHealthUrl: boolean }) {
  if (!hasHealthUrl) return <Badge title="No health URL is configured, so Lifeboat cannot tell whether the app is up.">up? unknown</Badge>;
  if (!liveness) return <Badge title="The worker has not probed the health URL yet.">not probed yet</Badge>;
  return (
    <span data-testid="liveness" data-state={liveness.state}>
      <Badge tone={liveness.state === "up" ? "green" : "red"} dot title={liveness.lastError ?? undefined}>
        {liveness.state === "up" ? "up" : "DOWN"} for <RelativeTime at={liveness.since} suffix="" />
      </Badge>
    </span>
  );
}
