import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { CommandBlock } from "@/components/ui/copy-button";
import { appCrumbs, PageHeader } from "@/components/ui/page-header";
import { requireUser } from "@/lib/auth/session";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { getBackup } from "@/lib/db/queries/backups";
import { listDrillsOfBackup } from "@/lib/db/queries/drills";
import { DrillEvidence } from "@/components/backups/drill-evidence";
import { formatAge, formatBytes, formatDateTime, formatDuration } from "@/lib/format";
import { manualRestoreCommand } from "@/lib/ops/restore-command";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ app: string; id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { app, id } = await params;
  return { title: `Backup #${id} · ${app}` };
}

/** One backup in full, and the commands to restore it by hand (kept off the list: they were most of its weight). */
export default async function BackupPage({ params }: Props) {
  await requireUser("viewer");
  const { app: slug, id } = await params;
  const backupId = /^\d{1,9}$/.test(id) ? Number(id) : NaN;
  const app = await getAppBySlug(slug);
  const b = app && Number.isSafeInteger(backupId) ? await getBackup(app.id, backupId) : undefined;
  if (!app || !b) notFound();
  const facts: [string, string][] = [
    ["Name", b.name],
    ["Method", b.method === "dump" ? `pg_dump ${b.format ?? ""}` : "clone database"],
    ["Kind", b.kind.replace("_", "-")],
    ["Status", b.status],
    ["Size", formatBytes(b.sizeBytes)],
    ["Created", `${formatDateTime(b.createdAt)} (${formatAge(b.createdAt)} ago) by ${b.createdBy ?? "—"}`],
    ["Took", formatDuration(b.durationMs)],
    ["Verified", b.verifiedAt ? `${formatDateTime(b.verifiedAt)} (${formatAge(b.verifiedAt)} ago)` : "not verified"],
    ["sha256", b.sha256 ?? "—"],
    ["Release", `${b.release ?? "—"}${b.forRelease ? ` (taken before deploying ${b.forRelease})` : ""}`],
    ["Pinned", b.pinned ? `yes, by ${b.pinnedBy ?? "?"} (${b.pinnedRole ?? "?"})` : "no"],
    ...(b.kind === "found" && b.method === "dump"
      ? [["Adopted", b.adoptedAt ? `${formatDateTime(b.adoptedAt)} by ${b.adoptedBy ?? "?"}: read in full, scanned, sha256 recorded` : "no — found on disk, not made by Lifeboat; not restorable until adopted"] as [string, string]]
      : []),
    ["Restore-tested", b.drilledAt ? `${b.drillOk ? "passed" : "FAILED"} ${formatDateTime(b.drilledAt)} (${formatAge(b.drilledAt)} ago)` : "never drilled"],
  ];
  const drills = await listDrillsOfBackup(app.id, b.id);
  return (
    <div className="max-w-4xl space-y-5">
      <PageHeader
        breadcrumbs={appCrumbs(app.slug)}
        title={b.label ? `Backup ${b.label}` : `Backup #${b.id}`}
      />
      <dl className="grid gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-[max-content_1fr]">
        {facts.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="font-medium text-slate-600">{k}</dt>
            <dd className="min-w-0 font-mono text-xs break-all text-slate-900 sm:text-sm">{v}</dd>
          </div>
        ))}
      </dl>
      {b.error && <p className="rounded-md border border-red-300 bg-red-50 p-3 text-sm break-words whitespace-pre-wrap text-red-800">{b.error}</p>}
      {b.jobId && (
        <p className="text-sm">
          <Link href={`/apps/${app.slug}/jobs/${b.jobId}`} className="text-sky-700 hover:underline">
            The job that took it (#{b.jobId}): log and evidence →
          </Link>
        </p>
      )}
      <DrillEvidence app={app.slug} drills={drills} />
      {b.status === "ok" && (b.method === "clone" || b.sha256) && (
        <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="text-base font-semibold">Manual restore command</h2>
          <p className="text-sm text-slate-600">For when Lifeboat itself is unavailable: run it on a host with the PostgreSQL client tools. The password is never filled in.</p>
          <CommandBlock text={manualRestoreCommand({ app, backup: b })} />
        </section>
      )}
    </div>
  );
}
