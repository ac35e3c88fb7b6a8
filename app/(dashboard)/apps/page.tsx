import Link from "next/link";
import { hasRole } from "@/lib/auth/roles";
import { requireUser } from "@/lib/auth/session";
import { listAppsWithStatus } from "@/lib/db/queries/apps";
import { formatAge, formatBytes } from "@/lib/format";

export const dynamic = "force-dynamic";

export default async function AppsPage() {
  const user = await requireUser("viewer");
  const apps = await listAppsWithStatus();
  const now = Date.now();
  return (
    <div className="space-y-5">
      <header className="flex items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold text-slate-900">Apps</h1>
          <p className="text-sm text-slate-600">Every app Lifeboat protects, with its last backup.</p>
        </div>
        {hasRole(user.role, "admin") && (
          <Link href="/apps/new" className="rounded-md bg-sky-700 px-4 py-2 text-sm font-semibold text-white hover:bg-sky-800">
            Register app
          </Link>
        )}
      </header>
      {apps.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-500">
          No apps yet.{hasRole(user.role, "admin") ? " Register one to take its first backup." : ""}
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm" aria-label="Apps">
            <thead className="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-4 py-2">App</th>
                <th className="px-4 py-2">Database</th>
                <th className="px-4 py-2 text-right">Size</th>
                <th className="px-4 py-2">Last backup</th>
                <th className="px-4 py-2">Health</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {apps.map((a) => {
                const stale = !a.lastOkBackupAt || now - a.lastOkBackupAt.getTime() > a.staleAfterHours * 3600_000;
                return (
                  <tr key={a.id} data-testid="app-row">
                    <td className="px-4 py-3">
                      <Link href={`/apps/${a.slug}`} className="font-semibold text-sky-800 hover:underline">
                        {a.slug}
                      </Link>
                    </td>
                    <td className="px-4 py-3 font-mono text-xs text-slate-600">
                      {a.dbHost}:{a.dbPort}/{a.dbName}
                    </td>
                    <td className="px-4 py-3 text-right tabular-nums">{formatBytes(a.dbSizeBytes)}</td>
                    <td className="px-4 py-3">
                      {a.lastBackupAt ? (
                        <span>
                          {formatAge(a.lastBackupAt)} ago ·{" "}
                          <span className={a.lastBackupStatus === "ok" ? "text-emerald-700" : "text-red-700"}>{a.lastBackupStatus}</span>
                        </span>
                      ) : (
                        <span className="text-slate-500">none</span>
                      )}
                    </td>
                    <td className="px-4 py-3">
                      {a.runningJobId ? (
                        <span className="rounded-full bg-sky-50 px-2 py-0.5 text-xs font-medium text-sky-800 ring-1 ring-sky-200">job #{a.runningJobId} running</span>
                      ) : stale ? (
                        <span className="rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-300" title={`No good backup in the last ${a.staleAfterHours}h`}>
                          ⚠ {a.lastOkBackupAt ? `no good backup in ${a.staleAfterHours}h` : "never backed up"}
                        </span>
                      ) : (
                        <span className="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800 ring-1 ring-emerald-200">backed up</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
