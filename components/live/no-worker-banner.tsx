import { Alert } from "@/components/ui/alert";

/**
 * Shown on every dashboard page while no worker has beaten within a lease (app/(dashboard)/layout.tsx). The
 * live state token carries the same flag, so pages that poll re-render when a worker stops or starts.
 */
export function NoWorkerBanner() {
  return (
    <Alert tone="warn" title="No worker is running" data-testid="no-worker-banner" className="mb-4">
      Backups, rollbacks, schedules and the overdue alarm wait until one starts. On the dashboard&apos;s host run{" "}
      <code className="rounded bg-amber-100 px-1 font-mono">npm run worker</code> (or start its service).
    </Alert>
  );
}
