import { Alert } from "@/components/ui/alert";

/**
 * Shown on every dashboard page while no worker has beaten within a lease (app/(dashboard)/layout.tsx). The
 * live state token carries the same flag, so pages that poll re-render when a worker stops or starts.
 */
export function NoWorkerBanner() {
  return (
    <Alert tone="warn" title="No worker is answering" data-testid="no-worker-banner" className="mb-4">
      No worker has checked in for a while: none is running, or it is stuck (a stopped or frozen process, a lost
      database connection). Backups, rollbacks, schedules and the overdue alarm wait until one answers. On the
      dashboard&apos;s host run <code className="rounded bg-amber-100 px-1 font-mono">npm run worker</code> (or restart its
      service).
    </Alert>
  );
}
