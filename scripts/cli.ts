// The Lifeboat CLI: the same jobs as the dashboard, for a shell on the server and for deploy scripts.
// It runs against DATABASE_URL with the same lib/ layer, under the same per-app lock, and is audited as
// "cli:<os user>". Having a shell on the Lifeboat host is the authorisation.
//
//   npm run lifeboat -- apps
//   npm run lifeboat -- backups shop
//   npm run lifeboat -- backup shop [--method dump|clone] [--name v2.0.0] [--auto] [--for-release R] [--end-sessions]
//   npm run lifeboat -- recover
//   npm run lifeboat -- plan shop [--release R] [--restore-db] [--backup ID]      (shows the steps, changes nothing)
//   npm run lifeboat -- rollback shop [--release R] [--restore-db [--backup ID]] [--yes]
//   npm run lifeboat -- restore shop --backup ID [--yes]
//   npm run lifeboat -- switch-release shop --release R [--yes]
//   npm run lifeboat -- undo shop --job ID [--yes]
//   npm run lifeboat -- users list|add|set-role|disable|enable|reset-password|unlock …   (scripts/lib/cli-users.ts)
//   npm run lifeboat -- tokens list|add|revoke …                                         (scripts/lib/cli-tokens.ts)
import os from "node:os";
import { closeDb } from "@/lib/db/client";
import { listAppsWithStatus } from "@/lib/db/queries/apps";
import { listBackups } from "@/lib/db/queries/backups";
import { formatAge, formatBytes, formatDateTime } from "@/lib/format";
import { recoverInterruptedJobs, startBackup } from "@/lib/jobs";
import { OpError } from "@/lib/ops/errors";
import { startBackupSchema } from "@/lib/validation/backups";
import { follow, parseArgs, requireApp } from "./lib/cli-common";
import { rollbackCommands } from "./lib/cli-rollback";

const actor = `cli:${os.userInfo().username}`;

const commands: Record<string, (positional: string[], flags: Record<string, string | true>, actor: string) => Promise<number>> = {
  async apps() {
    for (const a of await listAppsWithStatus()) {
      const stale = a.lastOkBackupAt && Date.now() - a.lastOkBackupAt.getTime() > a.staleAfterHours * 3600_000;
      console.log(
        `${a.slug.padEnd(20)} ${`${a.dbHost}:${a.dbPort}/${a.dbName}`.padEnd(36)} ${formatBytes(a.dbSizeBytes).padEnd(9)} ` +
          `last backup ${formatAge(a.lastBackupAt)} (${a.lastBackupStatus ?? "none"})${stale || !a.lastOkBackupAt ? "  ⚠ no recent good backup" : ""}`,
      );
    }
    return 0;
  },

  async backups([slug]) {
    const app = await requireApp(slug);
    for (const b of await listBackups(app.id)) {
      console.log(
        [`#${b.id}`, b.name, b.method, b.kind, b.status, formatBytes(b.sizeBytes), formatDateTime(b.createdAt), b.release ?? "", b.pinned ? "pinned" : ""]
          .join("  ")
          .trim(),
      );
    }
    return 0;
  },

  async backup([slug], flags) {
    const input = startBackupSchema.safeParse({
      app: slug,
      method: flags.method,
      label: flags.name,
      automatic: flags.auto === true,
      forRelease: flags["for-release"],
      endSessions: flags["end-sessions"] === true,
    });
    if (!input.success) {
      for (const i of input.error.issues) console.error(`--${String(i.path[0] ?? "")}: ${i.message}`);
      return 2;
    }
    const { app: appSlug, ...options } = input.data;
    const app = await requireApp(appSlug);
    const { jobId, done } = await startBackup({ ...options, app, actor });
    console.log(`job #${jobId}: backing up ${app.slug}`);
    return (await follow(jobId, done)).status === "ok" ? 0 : 1;
  },

  async recover() {
    const reports = await recoverInterruptedJobs(actor);
    if (reports.length === 0) console.log("Nothing to recover: no interrupted jobs.");
    for (const r of reports) console.log(`job #${r.jobId} (${r.app}, ${r.type}): ${r.error ? `ERROR ${r.error}` : r.decisions.join("; ")}`);
    return reports.some((r) => r.error) ? 1 : 0;
  },

  ...rollbackCommands,
  users: () => import("./lib/cli-users").then((m) => m.run(process.argv.slice(process.argv.indexOf("users") + 1))),
  tokens: () => import("./lib/cli-tokens").then((m) => m.run(process.argv.slice(process.argv.indexOf("tokens") + 1))),

};

async function main() {
  const { positional, flags } = parseArgs(process.argv.slice(2));
  const [name, ...rest] = positional;
  const cmd = name ? commands[name] : undefined;
  if (!cmd) {
    console.log(`usage: npm run lifeboat -- <command>\ncommands: ${Object.keys(commands).join(", ")}`);
    return name ? 2 : 0;
  }
  return cmd(rest, flags, actor);
}

main()
  .then(async (code) => {
    await closeDb();
    process.exit(code);
  })
  .catch(async (e) => {
    console.error(`✖ ${e instanceof OpError ? e.message : e instanceof Error ? e.message : String(e)}`);
    await closeDb().catch(() => {});
    process.exit(1);
  });
