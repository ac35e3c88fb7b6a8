// CLI commands for changes to what an app runs: rollback, restore, switch-release, undo, and `plan` to see
// the steps first. Each shows its plan and asks for the app's name (or --yes, for scripts).
import readline from "node:readline/promises";
import { previewRollback, startRestore, startRollback, startSwitchRelease, startUndo } from "@/lib/jobs/rollback-job";
import { parseChangeRecord } from "@/lib/ops/change-record";
import { OpError } from "@/lib/ops/errors";
import { backupIdSchema, jobIdSchema, releaseNameSchema } from "@/lib/validation/rollback";
import { follow, requireApp } from "./cli-common";

type Flags = Record<string, string | true>;
type Command = (positional: string[], flags: Flags, actor: string) => Promise<number>;

function opt<T>(schema: { parse: (v: unknown) => T }, value: string | true | undefined, flag: string): T | undefined {
  if (value === undefined) return undefined;
  try {
    return schema.parse(value);
  } catch {
    throw new OpError("usage", `--${flag}: not valid (${String(value)}).`);
  }
}

async function confirm(slug: string, flags: Flags): Promise<boolean> {
  if (flags.yes === true) return true;
  if (!process.stdin.isTTY) {
    console.error("Refusing without confirmation: pass --yes (no terminal to ask on).");
    return false;
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`Type ${slug} to confirm: `);
  rl.close();
  return answer.trim() === slug;
}

async function showPlan(req: Parameters<typeof previewRollback>[0]) {
  const p = await previewRollback(req);
  console.log(`\n${p.plan.title}\n`);
  p.plan.steps.forEach((s, i) => console.log(`  ${i + 1}. ${s.text}`));
  if (p.plan.dataLoss) console.log(`\n  Data-loss window: ${p.plan.dataLoss.text}`);
  for (const w of p.plan.warnings) console.log(`  ! ${w}`);
  console.log("");
  return p;
}

async function run(slug: string | undefined, flags: Flags, kind: "rollback" | "restore" | "switch_release" | "undo", actor: string, planOnly = false) {
  const app = await requireApp(slug);
  const targetRelease = opt(releaseNameSchema, flags.release, "release");
  const backupId = opt(backupIdSchema, flags.backup, "backup");
  const jobId = opt(jobIdSchema, flags.job, "job");
  const restoreDatabase = flags["restore-db"] === true;
  const need = (v: unknown, flag: string) => {
    if (v === undefined) throw new OpError("usage", `--${flag} is required for ${kind.replace("_", "-")}.`);
  };
  let req: Parameters<typeof previewRollback>[0];
  if (kind === "rollback") req = { kind, app, targetRelease, restoreDatabase, backupId };
  else if (kind === "restore") (need(backupId, "backup"), (req = { kind, app, backupId: backupId! }));
  else if (kind === "switch_release") (need(targetRelease, "release"), (req = { kind, app, release: targetRelease! }));
  else (need(jobId, "job"), (req = { kind, app, jobId: jobId! }));

  await showPlan(req);
  if (planOnly) return 0;
  if (!(await confirm(app.slug, flags))) return 1;
  const started =
    req.kind === "rollback"
      ? await startRollback({ ...req, actor })
      : req.kind === "restore"
        ? await startRestore({ ...req, actor })
        : req.kind === "switch_release"
          ? await startSwitchRelease({ ...req, actor })
          : await startUndo({ ...req, actor });
  const outcome = await follow(started.jobId, started.done);
  const undo = parseChangeRecord(outcome.result)?.undo;
  if (undo?.available) console.log(`Undo with: npm run lifeboat -- undo ${app.slug} --job ${started.jobId}`);
  return outcome.status === "ok" ? 0 : 1;
}

export const rollbackCommands: Record<string, Command> = {
  /** npm run lifeboat -- plan shop [--release R] [--restore-db] [--backup ID] */
  plan: ([slug], flags, actor) => run(slug, flags, "rollback", actor, true),
  /** npm run lifeboat -- rollback shop [--release R] [--restore-db [--backup ID]] [--yes] */
  rollback: ([slug], flags, actor) => run(slug, flags, "rollback", actor),
  /** npm run lifeboat -- restore shop --backup ID [--yes] */
  restore: ([slug], flags, actor) => run(slug, flags, "restore", actor),
  /** npm run lifeboat -- switch-release shop --release R [--yes] */
  "switch-release": ([slug], flags, actor) => run(slug, flags, "switch_release", actor),
  /** npm run lifeboat -- undo shop --job ID [--yes] */
  undo: ([slug], flags, actor) => run(slug, flags, "undo", actor),
};
