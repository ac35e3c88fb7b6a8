import type { ReactNode } from "react";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { BackupFilterForm } from "@/components/backups/backup-filter";
import { BackupNowForm } from "@/components/backups/backup-now-form";
import { BackupsTable } from "@/components/backups/backups-table";
import { RefreshButton } from "@/components/backups/refresh-button";
import { SizeChart } from "@/components/backups/size-chart";
import { JobProgress } from "@/components/jobs/job-progress";
import { RecentJobs } from "@/components/jobs/recent-jobs";
import { RollbackDialog } from "@/components/rollback/rollback-dialog";
import { pickerBackups } from "@/components/rollback/picker-backups";
import { UndoPanel, undoTitle } from "@/components/rollback/undo-panel";
import { PageHeader } from "@/components/ui/page-header";
import { Pager } from "@/components/ui/pager";
import { capabilities, whyNot } from "@/lib/auth/capabilities";
import { requireUser } from "@/lib/auth/session";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { backupSizeSeries, getLastGoodBackup, listBackupsPage, listRestorableBackups } from "@/lib/db/queries/backup-pages";
import { backupSpace } from "@/lib/db/queries/backups";
import { getLatestChangeJob, listJobs } from "@/lib/db/queries/jobs";
import { formatAge, formatBytes } from "@/lib/format";
import { displayStatus, isFinal } from "@/lib/jobs/job-status";
import { parseChangeRecord } from "@/lib/ops/change-record";
import { listReleases } from "@/lib/ops/releases";
import { defaultRollbackTarget } from "@/lib/ops/rollback-plan";
import { RelativeTime } from "@/components/ui/relative-time";
import { LiveRefresh } from "@/components/live/live-refresh";
import { avoidedBy } from "@/lib/ops/release-verdicts";
import { releaseVerdicts } from "@/lib/db/queries/release-events";
import { getLiveness } from "@/lib/db/queries/app-liveness";
import { LivenessBadge } from "@/components/live/liveness-badge";
import { parseBackupListQuery } from "@/lib/validation/backup-list";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ app: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: (await params).app };
}

export default async function AppPage({ params, searchParams }: Props) {
  const user = await requireUser("viewer");
  const { app: slug } = await params;
  const query = parseBackupListQuery(await searchParams);
  const app = await getAppBySlug(slug);
  if (!app) notFound();
  const filter = { status: query.status, method: query.method, q: query.q };
  const [page, restorable, lastOk, series, jobs, space, releases, lastChange, liveness, verdicts] = await Promise.all([
    listBackupsPage(app.id, filter, query.page),
    listRestorableBackups(app.id),
    getLastGoodBackup(app.id),
    backupSizeSeries(app.id),
    listJobs(app.id, 8),
    backupSpace(app.id),
    app.deployRoot ? listReleases(app.deployRoot).catch(() => []) : Promise.resolve([]),
    getLatestChangeJob(app.id),
    getLiveness(app.id),
    releaseVerdicts(app.id),
  ]);
  const caps = capabilities(user.role, app);
  const current = releases.find((r) => r.isCurrent)?.name ?? null;
  const previous = defaultRollbackTarget(releases, current, avoidedBy(verdicts));
  // One place for job status: the newest job while it runs and for a while after it ends.
  const latest = jobs[0];
  const showLatest = latest && (!isFinal(latest.status) || Date.now() - (latest.finishedAt ?? latest.startedAt).getTime() < 15 * 60_000);
  const stale = !lastOk || Date.now() - lastOk.createdAt.getTime() > app.staleAfterHours * 3600_000;
  // Newer backups than the last good one whose dump left the backups directory: the likeliest way out of "stale".
  const missingNewer = restorable.filter((b) => b.status === "missing" && (!lastOk || b.createdAt > lastOk.createdAt)).length;
  const change = lastChange ? parseChangeRecord(lastChange.result) : null;
  const undoNeeds =
    lastChange && change?.undo.available && change.preRollbackBackupId
      ? { backupId: change.preRollbackBackupId, jobId: lastChange.id, undoTitle: undoTitle(lastChange, change.undoOf) }
      : undefined;
  const headerLink = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50";

  return (
    <div className="space-y-6">
      <LiveRefresh app={app.slug} />
      <PageHeader
        breadcrumbs={[{ href: "/apps", label: "Apps" }]}
        title={app.slug}
        description={
          <span className="font-mono break-all">
            {app.dbUser}:****@{app.dbHost}:{app.dbPort}/{app.dbName}
          </span>
        }
        actions={
          <>
            {previous && (
              <RollbackDialog
                app={app.slug}
                mode="rollback"
                label="Roll back…"
                disabledReason={whyNot(caps.rollback)}
                releases={releases.filter((r) => r.invalid === null).map((r) => ({ name: r.name, complete: r.complete, isCurrent: r.isCurrent }))}
                backups={caps.rollbackWithDatabase.ok ? pickerBackups(restorable) : []}
                defaultRelease={previous}
              />
            )}
            {app.deployRoot && (
              <Link href={`/apps/${app.slug}/releases`} className={headerLink}>
                Releases
              </Link>
            )}
            {caps.settings.ok && (
              <Link href={`/apps/${app.slug}/settings`} className={headerLink}>
                Settings
              </Link>
            )}
          </>
        }
      />

      <dl className="grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-3 lg:grid-cols-6">
        <Fact label="Database size" value={formatBytes(app.dbSizeBytes)} />
        <Fact label="PostgreSQL" value={app.serverVersion ?? "unknown"} />
        <Fact label="CREATEDB" value={app.canCreateDb ? "yes" : "no — clones and restores disabled"} warn={!app.canCreateDb} />
        <Fact label="App" value={<LivenessBadge liveness={liveness} hasHealthUrl={!!app.healthUrl} />} warn={liveness?.state === "down"} />
        <Fact label="Current release" value={current ?? (app.deployRoot ? "none" : "no deploy root")} />
        <Fact
          label="Last good backup"
          value={lastOk ? <RelativeTime at={lastOk.createdAt} /> : "never"}
          title={lastOk ? `${lastOk.label ? `${lastOk.label} · ` : ""}${lastOk.name} (pre-rollback copies are not counted)` : undefined}
          warn={stale}
        />
        <Fact label="Retention" value={`newest ${app.retention} automatic`} />
      </dl>

      {stale && (
        <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          {app.overdueSince && (
            <strong data-testid="overdue">Overdue since <RelativeTime at={app.overdueSince} />: the alarm (backup.overdue) went out. </strong>
          )}
          {lastOk ? `The last good backup is ${formatAge(lastOk.createdAt)} old (older than ${app.staleAfterHours}h).` : "This app has no good backup yet."}{" "}
          {missingNewer > 0 && (
            <span data-testid="missing-newer">
              {missingNewer === 1 ? "A newer backup's file is" : `${missingNewer} newer backups' files are`} missing from {app.backupsDir}: put{" "}
              {missingNewer === 1 ? "it" : "them"} back and press Verify.{" "}
            </span>
          )}
          {caps.backup.ok ? "Take one now before the next release." : "Ask an operator to take one."}
        </p>
      )}

      {lastChange && <UndoPanel app={app.slug} job={lastChange} canUndo={caps.undo.ok} />}

      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="text-base font-semibold text-slate-900">Back up now</h2>
        {caps.backup.ok ? (
          <BackupNowForm app={app.slug} defaultMethod={app.defaultMethod} canClone={caps.clone.ok} cloneReason={whyNot(caps.clone)} />
        ) : (
          <p className="text-sm text-slate-600" data-testid="capability-note">
            {whyNot(caps.backup)}
          </p>
        )}
      </section>

      {showLatest && (
        <section className="space-y-2">
          <h2 className="text-base font-semibold text-slate-900">{displayStatus(latest) === "lost contact" ? "Lost contact" : !isFinal(latest.status) ? "Running now" : "Latest job"}</h2>
          <JobProgress key={latest.id} app={app.slug} jobId={latest.id} title={latest.type.replace("_", " ")} />
        </section>
      )}

      <section className="space-y-3">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 className="text-base font-semibold text-slate-900">Backups</h2>
          {caps.backup.ok && <RefreshButton app={app.slug} />}
        </div>
        <BackupFilterForm action={`/apps/${app.slug}`} filter={filter} />
        <BackupsTable app={app} backups={page.rows} caps={caps} undoNeeds={undoNeeds} filtered={!!(filter.q || filter.status || filter.method)} />
        <Pager basePath={`/apps/${app.slug}`} params={{ q: filter.q, status: filter.status, method: filter.method }} page={page.page} pages={page.pages} total={page.total} noun="backups" />
      </section>

      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="text-base font-semibold text-slate-900">Backup size over time</h2>
        <SizeChart points={series} totals={space} />
      </section>

      <section className="space-y-3">
        <h2 className="text-base font-semibold text-slate-900">Recent jobs</h2>
        <RecentJobs app={app.slug} jobs={jobs} canRecover={caps.undo.ok} />
      </section>
    </div>
  );
}

function Fact({ label, value, warn, title }: { label: string; value: ReactNode; warn?: boolean; title?: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className={`mt-0.5 font-medium break-words ${warn ? "text-amber-700" : "text-slate-900"}`} title={title}>
        {value}
      </dd>
    </div>
  );
}
