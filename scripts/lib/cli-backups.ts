// CLI commands for apps and backups: list, back up, delete a backup, verify, drill or adopt one, recover interrupted jobs.
import { listAppsWithStatus } from "@/lib/db/queries/apps";
import { getBackup, listBackups } from "@/lib/db/queries/backups";
import { formatAge, formatBytes, formatDateTime } from "@/lib/format";
import { recoverInterruptedJobs, startBackup } from "@/lib/jobs";
import { deleteBackup } from "@/lib/jobs/backup-admin";
import { backupJobs, type BackupJobName } from "@/lib/jobs/backup-jobs";
import { markGoneDumpsMissing } from "@/lib/jobs/missing-backups";
import { startDrill } from "@/lib/jobs/drill-job";
import { OpError } from "@/lib/ops/errors";
import { startBackupSchema } from "@/lib/validation/backups";
import { appArg, cliActor, confirm, follow, idFlag, parseCommand, requireApp, UsageError, type CliCommand } from "./cli-common";

const str = { type: "string" } as const;
const flag = { type: "boolean" } as const;

export const backupSpecs = {
  apps: { usage: "apps", options: {}, positionals: [] },
  backups: { usage: "backups <app>", options: {}, positionals: ["app"] },
  backup: {
    usage: "backup <app> [--method dump|clone] [--name LABEL] [--auto] [--for-release R] [--end-sessions] [--json]",
    options: { method: str, name: str, auto: flag, "for-release": str, "end-sessions": flag, json: flag },
    positionals: ["app"],
  },
  "delete-backup": { usage: "delete-backup <app> --backup ID [--end-sessions] [--yes]", options: { backup: str, "end-sessions": flag, yes: flag }, positionals: ["app"] },
  verify: { usage: "verify <app> --backup ID [--json]", options: { backup: str, json: flag }, positionals: ["app"] },
  drill: { usage: "drill <app> [--backup ID] [--json]", options: { backup: str, json: flag }, positionals: ["app"] },
  adopt: { usage: "adopt <app> --backup ID [--json]", options: { backup: str, json: flag }, positionals: ["app"] },
  recover: { usage: "recover", options: {}, positionals: [] },
} as const;

const usageOf = (name: keyof typeof backupSpecs) => `usage: npm run lifeboat -- ${backupSpecs[name].usage}`;

/** backup's arguments through the same schema as the form and the API. Pure; throws UsageError. */
export function parseBackupArgs(args: string[]) {
  const { values, positionals } = parseCommand(backupSpecs.backup, args);
  const input = startBackupSchema.safeParse({
    app: positionals[0],
    method: values.method,
    label: values.name,
    automatic: values.auto === true,
    forRelease: values["for-release"],
    endSessions: values["end-sessions"] === true,
  });
  if (!input.success) {
    const flagOf: Record<string, string> = { app: "<app>", method: "--method", label: "--name", forRelease: "--for-release" };
    const issue = input.error.issues[0]!;
    throw new UsageError(`${flagOf[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`, usageOf("backup"));
  }
  return input.data;
}

export function parseDeleteBackupArgs(args: string[]) {
  const { values, positionals } = parseCommand(backupSpecs["delete-backup"], args);
  const app = appArg(positionals[0], usageOf("delete-backup"));
  const backupId = idFlag(values.backup, "backup", usageOf("delete-backup"));
  if (backupId === undefined) throw new UsageError("--backup is required for delete-backup", usageOf("delete-backup"));
  return { app, backupId, endSessions: values["end-sessions"] === true, yes: values.yes === true };
}

const backupRequired: Partial<Record<BackupJobName, string>> = {
  verify: "--backup is required for verify: the id of the backup to read back (npm run lifeboat -- backups <app>)",
  adopt: "--backup is required for adopt: the id of a file found on disk (npm run lifeboat -- backups <app>)",
};

/** verify's, drill's and adopt's arguments: the app, the backup (optional for drill), --json. Pure; throws UsageError. */
export function parseBackupJobArgs(name: BackupJobName, args: string[]) {
  const { values, positionals } = parseCommand(backupSpecs[name], args);
  const app = appArg(positionals[0], usageOf(name));
  const backupId = idFlag(values.backup, "backup", usageOf(name));
  const required = backupRequired[name];
  if (required && backupId === undefined) throw new UsageError(required, usageOf(name));
  return { app, backupId, json: values.json === true };
}

const apps: CliCommand = async (args) => {
  parseCommand(backupSpecs.apps, args);
  for (const a of await listAppsWithStatus()) {
    const stale = a.lastOkBackupAt && Date.now() - a.lastOkBackupAt.getTime() > a.staleAfterHours * 3600_000;
    console.log(
      `${a.slug.padEnd(20)} ${`${a.dbHost}:${a.dbPort}/${a.dbName}`.padEnd(36)} ${formatBytes(a.dbSizeBytes).padEnd(9)} ` +
        `last backup ${formatAge(a.lastBackupAt)} (${a.lastBackupStatus ?? "none"})${stale || !a.lastOkBackupAt ? "  ⚠ no recent good backup" : ""}`,
    );
  }
  return 0;
};

const backups: CliCommand = async (args) => {
  const { positionals } = parseCommand(backupSpecs.backups, args);
  const app = await requireApp(appArg(positionals[0], usageOf("backups")));
  // Looked at now, not at the worker's last refresh: a dump moved away shows "missing" here at once.
  await markGoneDumpsMissing(app);
  for (const b of await listBackups(app.id)) {
    console.log(
      [`#${b.id}`, b.name, b.method, b.kind, b.status, formatBytes(b.sizeBytes), formatDateTime(b.createdAt), b.release ?? "", b.pinned ? "pinned" : ""]
        .join("  ")
        .trim(),
    );
  }
  return 0;
};

const backup: CliCommand = async (args) => {
  const json = parseCommand(backupSpecs.backup, args).values.json === true;
  const { app: appSlug, ...options } = parseBackupArgs(args);
  const app = await requireApp(appSlug);
  const { jobId, done } = await startBackup({ ...options, app, actor: cliActor() });
  (json ? console.error : console.log)(`job #${jobId}: backing up ${app.slug}`);
  return (await follow(jobId, done, { json })).status === "ok" ? 0 : 1;
};

const deleteBackupCommand: CliCommand = async (args) => {
  const parsed = parseDeleteBackupArgs(args);
  const app = await requireApp(parsed.app);
  const b = await getBackup(app.id, parsed.backupId);
  if (!b) throw new OpError("not_found", `${app.slug} has no backup #${parsed.backupId} (npm run lifeboat -- backups ${app.slug}).`);
  console.log(`\nDelete backup #${b.id} of ${app.slug}: ${b.name} (${b.method}, ${formatBytes(b.sizeBytes)}, ${formatDateTime(b.createdAt)})${b.pinned ? " — pinned" : ""}\n`);
  if (!(await confirm(b.name, parsed.yes, `delete ${b.name} for good`))) return 1;
  const result = await deleteBackup(app, b.id, b.name, cliActor(), { endSessions: parsed.endSessions });
  console.log(`deleted ${result?.name ?? b.name}`);
  return 0;
};

/** Verify a backup, a restore drill (default: the newest verified backup), or adopting a dump found on disk: a job, followed. */
const backupJob = (name: BackupJobName): CliCommand => async (args) => {
  const parsed = parseBackupJobArgs(name, args);
  const app = await requireApp(parsed.app);
  // drill without --backup: the newest verified backup.
  const { jobId, done } = name === "drill" && parsed.backupId === undefined ? await startDrill(app, undefined, cliActor()) : await backupJobs[name].start(app, parsed.backupId!, cliActor());
  (parsed.json ? console.error : console.log)(`job #${jobId}: ${backupJobs[name].what} for ${app.slug}`);
  return (await follow(jobId, done, { json: parsed.json })).status === "ok" ? 0 : 1;
};

const recover: CliCommand = async (args) => {
  parseCommand(backupSpecs.recover, args);
  const reports = await recoverInterruptedJobs(cliActor());
  if (reports.length === 0) console.log("Nothing to recover: no interrupted jobs, no leftover staging databases.");
  for (const r of reports) {
    const what = r.jobId === null ? `leftovers (${r.app})` : `job #${r.jobId} (${r.app}, ${r.type})`;
    console.log(`${what}: ${r.error ? `ERROR ${r.error}` : r.decisions.join("; ")}`);
  }
  return reports.some((r) => r.error) ? 1 : 0;
};

export const backupCommands: Record<keyof typeof backupSpecs, CliCommand> = {
  apps,
  backups,
  backup,
  "delete-backup": deleteBackupCommand,
  verify: backupJob("verify"),
  drill: backupJob("drill"),
  adopt: backupJob("adopt"),
  recover,
};
