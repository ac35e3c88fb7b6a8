import type { AppView } from "@/lib/db/queries/apps";
import type { BackupView } from "@/lib/db/queries/backups";
import { whyNot, type Capabilities } from "@/lib/auth/capabilities";
import { formatAge, formatBytes, formatDateTime, formatDuration } from "@/lib/format";
import { RollbackDialog } from "@/components/rollback/rollback-dialog";
import Link from "next/link";
import { BackupDrillActions } from "./backup-drill-actions";
import { BackupRowActions, type UndoNeeds } from "./backup-row-actions";
import { RestoreBlockers } from "./restore-blockers";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { RelativeTime } from "@/components/ui/relative-time";

const KIND_LABEL: Record<BackupView["kind"], string> = {
  automatic: "automatic",
  manual: "manual",
  named: "named",
  found: "found",
  pre_rollback: "pre-rollback",
  scheduled: "scheduled",
};

const STATUS_TONE: Record<BackupView["status"], BadgeTone> = {
  ok: "green",
  running: "blue",
  failed: "red",
  interrupted: "yellow",
  tampered: "red",
  missing: "red",
};

export function BackupsTable(props: { app: AppView; backups: BackupView[]; caps: Capabilities; undoNeeds?: UndoNeeds; filtered?: boolean }) {
  const { app, backups, caps } = props;
  if (backups.length === 0) {
    return (
      <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center text-sm text-slate-500">
        {props.filtered ? "No backup matches this filter." : "No backups yet."}
      </p>
    );
  }
  return (
    <Table label="Backups">
      <THead>
        <tr>
          <Th>Backup</Th>
          <Th>Status</Th>
          <Th />
          <Th>Kind</Th>
          <Th align="right">Size</Th>
          <Th>Created</Th>
          <Th align="right">Took</Th>
          <Th>Verified · sha256</Th>
          <Th>Release</Th>
        </tr>
      </THead>
      <TBody>
        {backups.map((b) => (
          <Tr key={b.id} data-testid="backup-row" data-method={b.method} data-status={b.status} data-name={b.name} className="align-top">
            <Td className="min-w-36 max-w-60 sm:max-w-none sm:min-w-48">
              {b.label && <div className="font-semibold text-slate-900" data-testid="backup-label">{b.label}</div>}
              <Link href={`/apps/${app.slug}/backups/${b.id}`} className={`font-mono text-xs break-all hover:underline ${b.label ? "text-slate-500" : "text-slate-900"}`}>
                {b.name}
              </Link>
              <div className="text-xs text-slate-500">
                {b.method === "dump" ? `pg_dump ${b.format ?? ""}` : "clone database"}
                {b.pinned && (
                  <span className="ml-2 rounded bg-slate-800 px-1.5 py-0.5 text-[10px] font-semibold text-white" title={b.pinnedBy ? `pinned by ${b.pinnedBy}` : undefined}>
                    {b.pinnedRole === "admin" ? "PINNED · ADMIN" : "PINNED"}
                  </span>
                )}
              </div>
              {b.status === "ok" && (b.method === "clone" || b.sha256) && (
                <Link href={`/apps/${app.slug}/backups/${b.id}`} className="mt-1 block text-xs text-sky-700 hover:underline">
                  Manual restore command →
                </Link>
              )}
              {/* A missing file's hint (Status column) says what to do; its error (where and when it was looked for) is its title. */}
              {b.error && b.status !== "missing" && <p className="mt-1 max-w-56 text-xs whitespace-pre-wrap text-red-700 [overflow-wrap:anywhere] sm:max-w-md">{b.error}</p>}
            </Td>
            <Td>
              <Badge tone={STATUS_TONE[b.status]}>{b.status === "missing" ? "file missing" : b.status}</Badge>
              {b.status === "missing" && (
                <p className="mt-1 max-w-56 text-xs text-red-800 [overflow-wrap:anywhere]" data-testid="missing-hint" title={b.error ?? undefined}>
                  Not restorable. Put {b.name} into {app.backupsDir} and press Verify, or delete this row.
                </p>
              )}
              <DrillMark b={b} />
              <RestoreBlockers blockers={b.restoreBlockers} />
            </Td>
            <Td className="space-y-1">
              {caps.restore.ok || caps.rollback.ok
                ? b.status === "ok" && !b.restoreBlockers?.length && (b.method === "clone" || b.sha256) && (
                    <RollbackDialog app={app.slug} mode="restore" label="Restore database…" tone="neutral" size="sm" backupId={b.id} disabledReason={whyNot(caps.restore)} />
                  )
                : null}
              {b.status !== "running" && (
                <BackupRowActions
                  app={app.slug}
                  backupId={b.id}
                  name={b.name}
                  pinned={b.pinned}
                  adminPinned={b.pinned && b.pinnedRole === "admin"}
                  canOperate={caps.pin.ok}
                  canDelete={caps.deleteBackup.ok}
                  verifiable={(b.status === "ok" || (b.status === "missing" && b.method === "dump")) && !(b.kind === "found" && b.method === "dump" && !b.adoptedAt)}
                  undoNeeds={props.undoNeeds?.backupId === b.id ? props.undoNeeds : undefined}
                />
              )}
              {caps.verify.ok && (
                <BackupDrillActions
                  app={app.slug}
                  backupId={b.id}
                  adoptable={b.kind === "found" && b.method === "dump" && !b.adoptedAt}
                  drillable={b.status === "ok" && (b.method === "clone" || !!b.sha256)}
                  downloadHref={caps.deleteBackup.ok && b.method === "dump" && b.format !== "directory" && b.sha256 && b.status === "ok" ? `/api/apps/${app.slug}/backups/${b.id}/download` : undefined}
                />
              )}
            </Td>
            <Td className="text-slate-700">{b.kind === "found" ? (b.method === "dump" ? "found on disk" : "found on server") : KIND_LABEL[b.kind]}</Td>
            <Td align="right" className="tabular-nums">{formatBytes(b.sizeBytes)}</Td>
            <Td className="text-slate-700">
              <div title={formatDateTime(b.createdAt)}><RelativeTime at={b.createdAt} /></div>
              <div className="text-xs text-slate-500">{b.createdBy ?? "—"}</div>
            </Td>
            <Td align="right" className="tabular-nums text-slate-700">{formatDuration(b.durationMs)}</Td>
            <Td className="text-xs text-slate-600">
              <div>{b.verifiedAt ? `${formatAge(b.verifiedAt)} ago` : "—"}</div>
              <div className="font-mono" title={b.sha256 ?? undefined}>{b.sha256 ? `${b.sha256.slice(0, 12)}…` : ""}</div>
            </Td>
            <Td className="text-xs text-slate-600">
              <div>{b.release ?? "—"}</div>
              {b.forRelease && <div className="text-slate-500">for {b.forRelease}</div>}
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}

/** "found on disk — not adopted", or the last drill: "restore-tested <date>" / "drill failed <date>". */
function DrillMark({ b }: { b: BackupView }) {
  if (b.kind === "found" && b.method === "dump" && !b.adoptedAt) {
    return <div className="mt-1 text-xs text-amber-800" data-testid="found-unadopted">not made by Lifeboat · unverified · not restorable until adopted</div>;
  }
  if (!b.drilledAt) return null;
  return (
    <div className="mt-1" title={formatDateTime(b.drilledAt)} data-testid="drill-mark">
      <Badge tone={b.drillOk ? "green" : "red"}>{b.drillOk ? "restore-tested" : "drill failed"}</Badge>
      <span className="ml-1 text-xs text-slate-500">{formatAge(b.drilledAt)} ago</span>
    </div>
  );
}
