import { Alert } from "@/components/ui/alert";

/**
 * What every page shows when Lifeboat's own metadata database does not answer (the error's digest says so:
 * lib/db/outage.ts). No hooks: it renders inside the error boundaries and in global-error.
 */
export function MetadataUnreachable({ onRetry }: { onRetry?: () => void }) {
  return (
    <div className="mx-auto max-w-2xl space-y-4 px-4 py-10" data-testid="metadata-unreachable">
      <h1 className="text-2xl font-semibold text-slate-900">Lifeboat cannot reach its own database</h1>
      <Alert tone="error" title="The dashboard is running, but its metadata database does not answer.">
        Lifeboat keeps its users, apps, backups and jobs there, so no page can be shown until it is back. Opening this page changed nothing,
        and your apps and their databases are not affected.
      </Alert>
      <div className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-700">
        <p className="font-semibold text-slate-900">What to do</p>
        <ol className="mt-2 list-decimal space-y-1.5 pl-5">
          <li>
            Check that the PostgreSQL server holding Lifeboat&apos;s database is running:{" "}
            <code className="font-mono text-xs">pg_isready -d &quot;$DATABASE_URL&quot;</code> on the dashboard&apos;s host.
          </li>
          <li>
            Check that <code className="font-mono text-xs">DATABASE_URL</code> in the dashboard&apos;s environment names that server, port and database, and
            that its password is still valid.
          </li>
          <li>The dashboard&apos;s log has the exact connection error (refused, timed out, authentication failed).</li>
          <li>When the database answers again, reload: nothing needs restarting.</li>
        </ol>
      </div>
      {onRetry && (
        <button type="button" onClick={onRetry} className="rounded-md bg-sky-700 px-4 py-2 text-sm font-semibold text-white hover:bg-sky-800">
          Try again
        </button>
      )}
    </div>
  );
}
