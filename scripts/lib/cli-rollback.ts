// CLI commands that change what an app runs: rollback, restore, switch-release, undo, and `plan` to see
// the steps first. Each parses its whole command line before anything else, prints its plan, and then goes
// ahead only with --yes or the app's name typed on a terminal.
import { previewRollback, startRestore, startRollback, startSwitchRelease, startUndo } from "@/lib/jobs/rollback-job";
import { releaseNameSchema } from "@/lib/validation/rollback";
import { appArg, checked, cliActor, confirm, follow, idFlag, parseCommand, requireApp, UsageError, type CliCommand } from "./cli-common";
import { parseChangeRecord } from "@/lib/ops/change-record";

const release = { type: "string" } as const;
const backup = { type: "string" } as const;
const job = { type: "string" } as const;
const flag = { type: "boolean" } as const;

export const rollbackSpecs = {
  plan: { usage: "plan <app> [--release R] [--restore-db [--backup ID]]   (shows the steps, changes nothing)", options: { release, "restore-db": flag, backup }, positionals: ["app"] },
  rollback: { usage: "rollback <app> [--release R] [--restore-db [--backup ID]] [--allow-bad] [--yes] [--json]", options: { release, "restore-db": flag, backup, "allow-bad": flag, yes: flag, json: flag }, positionals: ["app"] },
  restore: { usage: "restore <app> --backup ID [--yes] [--json]", options: { backup, yes: flag, json: flag }, positionals: ["app"] },
  "switch-release": { usage: "switch-release <app> --release R [--allow-bad] [--yes] [--json]", options: { release, "allow-bad": flag, yes: flag, json: flag }, positionals: ["app"] },
  undo: { usage: "undo <app> --job ID [--yes] [--json]", options: { job, yes: flag, json: flag }, positionals: ["app"] },
} as const;
export type RollbackCommandName = keyof typeof rollbackSpecs;

/** allowBad: the target release is marked bad and that is meant (lib/jobs/rollback-expect.ts). */
export type RollbackArgs = { app: string; yes: boolean; planOnly: boolean; allowBad?: boolean; json?: boolean } & (
  | { kind: "rollback"; targetRelease?: string; restoreDatabase: boolean; backupId?: number }
  | { kind: "restore"; backupId: number }
  | { kind: "switch_release"; release: string }
  | { kind: "undo"; jobId: number }
);

/** The whole command line, validated: pure, no database. Throws UsageError. */
export function parseRollbackArgs(command: RollbackCommandName, args: string[]): RollbackArgs {
  const spec = rollbackSpecs[command];
  const usage = `usage: npm run lifeboat -- ${spec.usage}`;
  const { values, positionals } = parseCommand<Record<string, { type: "string" | "boolean" }>>(spec, args);
  const app = appArg(positionals[0], usage);
  const str = (k: string) => values[k] as string | undefined;
  const yes = values.yes === true;
  const allowBad = values["allow-bad"] === true;
  const json = values.json === true || undefined;
  const targetRelease = checked(releaseNameSchema, str("release"), "--release", usage);
  const backupId = idFlag(str("backup"), "backup", usage);
  const jobId = idFlag(str("job"), "job", usage);
  const required = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw new UsageError(`--${name} is required for ${command}`, usage);
    return v;
  };
  switch (command) {
    case "plan":
    case "rollback": {
      const restoreDatabase = values["restore-db"] === true;
      // Without --restore-db a backup would be ignored: refuse rather than roll back code only by surprise.
      if (backupId !== undefined && !restoreDatabase) throw new UsageError("--backup needs --restore-db (it says which backup to restore)", usage);
      return { kind: "rollback", app, yes, json, planOnly: command === "plan", targetRelease, restoreDatabase, backupId, ...(allowBad ? { allowBad } : {}) };
    }
    case "restore":
      return { kind: "restore", app, yes, json, planOnly: false, backupId: required(backupId, "backup") };
    case "switch-release":
      return { kind: "switch_release", app, yes, json, planOnly: false, release: required(targetRelease, "release"), ...(allowBad ? { allowBad } : {}) };
    case "undo":
      return { kind: "undo", app, yes, json, planOnly: false, jobId: required(jobId, "job") };
  }
}

async function run(parsed: RollbackArgs): Promise<number> {
  const app = await requireApp(parsed.app);
  const req =
    parsed.kind === "rollback"
      ? { kind: parsed.kind, app, targetRelease: parsed.targetRelease, restoreDatabase: parsed.restoreDatabase, backupId: parsed.backupId }
      : parsed.kind === "restore"
        ? { kind: parsed.kind, app, backupId: parsed.backupId }
        : parsed.kind === "switch_release"
          ? { kind: parsed.kind, app, release: parsed.release }
          : { kind: parsed.kind, app, jobId: parsed.jobId };

  const p = await previewRollback(req);
  // With --json stdout carries only the outcome: the plan goes to stderr.
  const say = parsed.json ? console.error : console.log;
  say(`\n${p.plan.title}\n`);
  p.plan.steps.forEach((s, i) => say(`  ${i + 1}. ${s.text}`));
  if (p.plan.dataLoss) say(`\n  Data-loss window: ${p.plan.dataLoss.text}`);
  for (const w of p.plan.warnings) say(`  ! ${w}`);
  say("");
  if (parsed.planOnly) return 0;
  if (!(await confirm(app.slug, parsed.yes, `run these ${p.plan.steps.length} steps on ${app.slug} now`))) return 1;

  // What the plan above showed must still hold when the job is queued (someone may have acted meanwhile).
  const checks = { actor: cliActor(), expect: p.expect, confirmBad: !!parsed.allowBad };
  const started =
    req.kind === "rollback"
      ? await startRollback({ ...req, ...checks })
      : req.kind === "restore"
        ? await startRestore({ ...req, ...checks })
        : req.kind === "switch_release"
          ? await startSwitchRelease({ ...req, ...checks })
          : await startUndo({ ...req, ...checks });
  const outcome = await follow(started.jobId, started.done, { json: parsed.json });
  const undo = parseChangeRecord(outcome.result)?.undo;
  if (undo?.available) say(`Undo with: npm run lifeboat -- undo ${app.slug} --job ${started.jobId}`);
  return outcome.status === "ok" ? 0 : 1;
}

const command =
  (name: RollbackCommandName): CliCommand =>
  (args) =>
    run(parseRollbackArgs(name, args));

export const rollbackCommands: Record<RollbackCommandName, CliCommand> = {
  plan: command("plan"),
  rollback: command("rollback"),
  restore: command("restore"),
  "switch-release": command("switch-release"),
  undo: command("undo"),
};
