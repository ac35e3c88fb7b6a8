import type { ReactNode } from "react";
import Link from "next/link";
import { notFound } from "next/navigation";
import { BackupNowForm } from "@/components/backups/backup-now-form";
import { BackupsTable } from "@/components/backups/backups-table";
import { RefreshButton } from "@/components/backups/refresh-button";
import { SizeChart } from "@/components/backups/size-chart";
import { JobProgress } from "@/components/jobs/job-progress";
import { RecentJobs } from "@/components/jobs/recent-jobs";
import { hasRole } from "@/lib/auth/roles";
import { requireUser } from "@/lib/auth/session";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { backupSpace, listBackups } from "@/lib/db/queries/backups";
import { getLatestChangeJob, listJobs } from "@/lib/db/queries/jobs";
import { RollbackDialog } from "@/components/rollback/rollback-dialog";
import { UndoPanel } from "@/components/rollback/undo-panel";
import { formatAge, formatBytes } from "@/lib/format";
import { listReleases } from "@/lib/ops/releases";
import { defaultRollbackTarget } from "@/lib/ops/rollback-plan";
import { displayStatus, isFinal } from "@/lib/jobs/job-status";
import { RelativeTime } from "@/components/ui/relative-time";
import { LiveRefresh } from "@/components/live/live-refresh";
import { avoidedBy } from "@/lib/ops/release-verdicts";
import { releaseVerdicts } from "@/lib/db/queries/release-events";
import { getLiveness } from "@/lib/db/queries/app-liveness";
import { LivenessBadge } from "@/components/live/liveness-badge";

export const dynamic = "force-dynamic";

export default async function AppPage({ params }: { params: Promise<{ app: string }> }) {
  const user = await requireUser("viewer");
  const { app: slug } = await params;
  const app = await getAppBySlug(slug);
  if (!app) notFound();
  const [backups, jobs, space, releases, lastChange] = await Promise.all([
    listBackups(app.id),
    listJobs(app.id, 8),
    backupSpace(app.id),
    app.deployRoot ? listReleases(app.deployRoot).catch(() => []) : Promise.resolve([]),
    getLatestChangeJob(app.id),
  ]);
  const liveness = await getLiveness(app.id);
  const current = releases.find((r) => r.isCurrent)?.name ?? null;
  const previous = defaultRollbackTarget(releases, current, avoidedBy(await releaseVerdicts(app.id)));
  // One place for job status: the newest job while it runs and for a while after it ends.
  const latest = jobs[0];
  const showLatest = latest && (!isFinal(latest.status) || Date.now() - (latest.finishedAt ?? latest.startedAt).getTime() < 15 * 60_000);
  const canOperate = hasRole(user.role, "operator");
  const canAdmin = hasRole(user.role, "admin");
  const lastOk = backups.find((b) => b.status === "ok" && b.kind !== "found");
  const stale = !lastOk || Date.now() - lastOk.createdAt.getTime() > app.staleAfterHours * 3600_000;

  return (
    <div className="space-y-6">
      <LiveRefresh app={app.slug} />
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <p className="text-sm text-slate-500">
            <Link href="/apps" className="hover:underline">Apps</Link> /
          </p>
          <h1 className="text-2xl font-semibold text-slate-900">{app.slug}</h1>
          <p className="mt-1 font-mono text-sm text-slate-600">
            {app.dbUser}:****@{app.dbHost}:{app.dbPort}/{app.dbName}
          </p>
        </div>
        <div className="flex gap-2">
          {canAdmin && previous && (
            <RollbackDialog
              key={previous} // the default target changes under an open page: start from the new one
              app={app.slug}
              mode="rollback"
              label="Roll back…"
              releases={releases.filter((r) => r.invalid === null).map((r) => ({ name: r.name, complete: r.complete, isCurrent: r.isCurrent }))}
              backups={backups
                .filter((b) => b.status === "ok" || b.status === "tampered")
                .map((b) => ({ id: b.id, name: b.name, method: b.method, createdAt: b.createdAt.toISOString(), tampered: b.status === "tampered" }))}
              defaultRelease={previous}
            />
          )}
          {app.deployRoot && (
            <Link href={`/apps/${app.slug}/releases`} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
              Releases
            </Link>
          )}
          {canAdmin && (
            <Link href={`/apps/${app.slug}/settings`} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
              Settings
            </Link>
          )}
        </div>
      </header>

      <dl className="grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-3 lg:grid-cols-6">
        <Fact label="Database size" value={formatBytes(app.dbSizeBytes)} />
        <Fact label="PostgreSQL" value={app.serverVersion ?? "unknown"} />
        <Fact label="CREATEDB" value={app.canCreateDb ? "yes" : "no — clones disabled"} warn={!app.canCreateDb} />
        <Fact label="App" value={<LivenessBadge liveness={liveness} hasHealthUrl={!!app.healthUrl} />} warn={liveness?.state === "down"} />
        <Fact label="Current release" value={current ?? (app.deployRoot ? "none" : "no deploy root")} />
        <Fact label="Last good backup" value={lastOk ? <RelativeTime at={lastOk.createdAt} /> : "never"} warn={stale} />
        <Fact label="Retention" value={`newest ${app.retention} automatic`} />
      </dl>

      {stale && (
        <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          {lastOk
            ? `The last good backup is ${formatAge(lastOk.createdAt)} old (older than ${app.staleAfterHours}h).`
            : "This app has no good backup yet."}{" "}
          {canOperate ? "Take one now before the next release." : "Ask an operator to take one."}
        </p>
      )}

      {lastChange && <UndoPanel app={app.slug} job={lastChange} canUndo={canAdmin} />}

      {canOperate && (
        <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="text-base font-semibold text-slate-900">Back up now</h2>
          <BackupNowForm app={app.slug} defaultMethod={app.defaultMethod} canClone={!!app.canCreateDb} />
        </section>
      )}

      {showLatest && (
        <section className="space-y-2">
          <h2 className="text-base font-semibold text-slate-900">{displayStatus(latest) === "lost contact" ? "Lost contact" : !isFinal(latest.status) ? "Running now" : "Latest job"}</h2>
          <JobProgress key={latest.id} app={app.slug} jobId={latest.id} title={latest.type.replace("_", " ")} />
        </section>
      )}

      <section className="space-y-3">
        <div className="flex items-center justify-between gap-3">
          <h2 className="text-base font-semibold text-slate-900">Backups</h2>
          {canOperate && <RefreshButton app={app.slug} />}
        </div>
        <BackupsTable app={app} backups={backups} canOperate={canOperate} canAdmin={canAdmin} />
      </section>

      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="text-base font-semibold text-slate-900">Backup size over time</h2>
        <SizeChart
          points={backups.filter((b) => b.status === "ok" && b.sizeBytes !== null).map((b) => ({ createdAt: b.createdAt, sizeBytes: b.sizeBytes!, method: b.method }))}
          totals={space}
        />
      </section>

      <section className="space-y-3">
        <h2 className="text-base font-semibold text-slate-900">Recent jobs</h2>
        <RecentJobs app={app.slug} jobs={jobs} canRecover={canAdmin} />
      </section>
    </div>
  );
}

function Fact({ label, value, warn }: { label: string; value: ReactNode; warn?: boolean }) {
  return (
    <div>
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className={`mt-0.5 font-medium ${warn ? "text-amber-700" : "text-slate-900"}`}>{value}</dd>
    </div>
  );
}
