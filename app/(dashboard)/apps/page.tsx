import type { Metadata } from "next";
import Link from "next/link";
import { hasRole } from "@/lib/auth/roles";
import { requireUser } from "@/lib/auth/session";
import { listAppsWithStatus } from "@/lib/db/queries/apps";
import { formatAge, formatBytes } from "@/lib/format";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { RelativeTime } from "@/components/ui/relative-time";
import { LiveRefresh } from "@/components/live/live-refresh";
import { listLiveness } from "@/lib/db/queries/app-liveness";
import { LivenessBadge } from "@/components/live/liveness-badge";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Apps" };

export default async function AppsPage() {
  const user = await requireUser("viewer");
  const [apps, liveness] = await Promise.all([listAppsWithStatus(), listLiveness()]);
  const now = Date.now();
  return (
    <div className="space-y-5">
      <LiveRefresh />
      <header className="flex flex-wrap items-end justify-between gap-4">
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
        <Table label="Apps">
            <THead>
              <tr>
                <Th>App</Th>
                <Th>Health</Th>
                <Th>Last backup</Th>
                <Th align="right">Size</Th>
                <Th>Database</Th>
              </tr>
            </THead>
            <TBody>
              {apps.map((a) => {
                const stale = !a.lastOkBackupAt || now - a.lastOkBackupAt.getTime() > a.staleAfterHours * 3600_000;
                return (
                  <Tr key={a.id} data-testid="app-row">
                    <Td>
                      <Link href={`/apps/${a.slug}`} className="font-semibold text-sky-800 hover:underline">
                        {a.slug}
                      </Link>
                    </Td>
                    <Td>
                      <LivenessBadge liveness={liveness.get(a.id)} hasHealthUrl={a.hasHealthUrl} />{" "}
                      {a.overdueSince && (
                        <Badge tone="red" title={`No verified backup in ${a.staleAfterHours}h; the overdue alarm went out`}>
                          overdue
                        </Badge>
                      )}{" "}
                      {a.runningJobId ? (
                        <Badge tone={a.runningJobStatus === "lost contact" ? "red" : "blue"}>
                          job #{a.runningJobId} {a.runningJobStatus}
                        </Badge>
                      ) : stale ? (
                        <Badge tone="yellow" title={`No good backup in the last ${a.staleAfterHours}h`}>
                          ⚠ {a.lastOkBackupAt ? `no good backup in ${a.staleAfterHours}h` : a.lastBackupAt ? "no good backup" : "never backed up"}
                        </Badge>
                      ) : (
                        <Badge tone="green">backed up</Badge>
                      )}
                    </Td>
                    <Td>
                      {a.lastBackupAt ? (
                        <span>
                          <RelativeTime at={a.lastBackupAt} /> ·{" "}
                          <span className={a.lastBackupStatus === "ok" ? "text-emerald-700" : "text-red-700"}>{a.lastBackupStatus}</span>
                        </span>
                      ) : (
                        <span className="text-slate-500">none</span>
                      )}
                    </Td>
                    <Td align="right" className="tabular-nums">{formatBytes(a.dbSizeBytes)}</Td>
                    <Td className="font-mono text-xs text-slate-600">
                      {a.dbHost}:{a.dbPort}/{a.dbName}
                    </Td>
                  </Tr>
                );
              })}
            </TBody>
          </Table>
      )}
    </div>
  );
}
