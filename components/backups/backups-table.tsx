import type { AppView } from "@/lib/db/queries/apps";
import type { BackupView } from "@/lib/db/queries/backups";
import { formatAge, formatBytes, formatDateTime, formatDuration } from "@/lib/format";
import { manualRestoreCommand } from "@/lib/ops/restore-command";
import { RollbackDialog } from "@/components/rollback/rollback-dialog";
import { BackupRowActions } from "./backup-row-actions";

const KIND_LABEL: Record<BackupView["kind"], string> = {
  automatic: "automatic",
  manual: "manual",
  named: "named",
  found: "found on server",
  pre_rollback: "pre-rollback",
};

const STATUS_TONE: Record<BackupView["status"], string> = {
  ok: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  running: "bg-sky-50 text-sky-800 ring-sky-200",
  failed: "bg-red-50 text-red-800 ring-red-200",
  interrupted: "bg-amber-50 text-amber-900 ring-amber-200",
};

export function BackupsTable(props: { app: AppView; backups: BackupView[]; canOperate: boolean; canAdmin: boolean }) {
  const { app, backups } = props;
  if (backups.length === 0) {
    return <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center text-sm text-slate-500">No backups yet.</p>;
  }
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full text-sm" aria-label="Backups">
        <thead className="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-3 py-2">Backup</th>
            <th className="px-3 py-2">Kind</th>
            <th className="px-3 py-2 text-right">Size</th>
            <th className="px-3 py-2">Created</th>
            <th className="px-3 py-2 text-right">Took</th>
            <th className="px-3 py-2">Status</th>
            <th className="px-3 py-2">Verified · sha256</th>
            <th className="px-3 py-2">Release</th>
            <th className="px-3 py-2" />
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {backups.map((b) => (
            <tr key={b.id} data-testid="backup-row" data-method={b.method} data-status={b.status} className="align-top">
              <td className="px-3 py-2">
                <div className="font-mono text-xs text-slate-900">{b.name}</div>
                <div className="text-xs text-slate-500">
                  {b.method === "dump" ? `pg_dump ${b.format ?? ""}` : "clone database"}
                  {b.pinned && <span className="ml-2 rounded bg-slate-800 px-1.5 py-0.5 text-[10px] font-semibold text-white">PINNED</span>}
                </div>
                {b.status === "ok" && (
                  <details className="mt-1 text-xs">
                    <summary className="cursor-pointer text-sky-700">Manual restore command</summary>
                    <pre className="mt-1 max-w-xl overflow-x-auto whitespace-pre-wrap rounded bg-slate-950 p-2 font-mono text-[11px] text-slate-100">
                      {manualRestoreCommand({ app, backup: b })}
                    </pre>
                  </details>
                )}
                {b.error && <p className="mt-1 max-w-md whitespace-pre-wrap text-xs text-red-700">{b.error}</p>}
              </td>
              <td className="px-3 py-2 text-slate-700">{KIND_LABEL[b.kind]}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatBytes(b.sizeBytes)}</td>
              <td className="px-3 py-2 text-slate-700">
                <div title={formatDateTime(b.createdAt)}>{formatAge(b.createdAt)} ago</div>
                <div className="text-xs text-slate-500">{b.createdBy ?? "—"}</div>
              </td>
              <td className="px-3 py-2 text-right tabular-nums text-slate-700">{formatDuration(b.durationMs)}</td>
              <td className="px-3 py-2">
                <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${STATUS_TONE[b.status]}`}>{b.status}</span>
              </td>
              <td className="px-3 py-2 text-xs text-slate-600">
                <div>{b.verifiedAt ? `${formatAge(b.verifiedAt)} ago` : "—"}</div>
                <div className="font-mono" title={b.sha256 ?? undefined}>{b.sha256 ? `${b.sha256.slice(0, 12)}…` : ""}</div>
              </td>
              <td className="px-3 py-2 text-xs text-slate-600">
                <div>{b.release ?? "—"}</div>
                {b.forRelease && <div className="text-slate-500">for {b.forRelease}</div>}
              </td>
              <td className="space-y-1 px-3 py-2 text-right">
                {props.canAdmin && b.status === "ok" && (
                  <RollbackDialog app={app.slug} mode="restore" label="Restore database…" tone="neutral" size="sm" backupId={b.id} />
                )}
                {b.status !== "running" && (
                  <BackupRowActions
                    app={app.slug}
                    backupId={b.id}
                    name={b.name}
                    pinned={b.pinned}
                    canOperate={props.canOperate}
                    canDelete={props.canAdmin}
                    verifiable={b.status === "ok"}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
