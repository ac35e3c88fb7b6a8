// `release <app> --release R [--wait]`: the guarded release for deploy scripts (lib/jobs/release-job.ts) —
// verified backup → stop → switch current → start → health → the health policy on failure. Idempotent per
// release name, like the API. Exit codes: 0 released (or, without --wait, queued); 1 failed or undone; 2 usage.
import { startRelease } from "@/lib/jobs/release-job";
import { waitForRelease, type ReleaseStatus } from "@/lib/jobs/release-status";
import { releaseNameSchema } from "@/lib/validation/rollback";
import { appArg, checked, cliActor, follow, parseCommand, requireApp, UsageError, type CliCommand } from "./cli-common";

export const releaseSpec = {
  usage: "release <app> --release R [--wait] [--method dump|clone] [--end-sessions] [--json]",
  options: { release: { type: "string" }, wait: { type: "boolean" }, json: { type: "boolean" }, method: { type: "string" }, "end-sessions": { type: "boolean" } },
  positionals: ["app"],
} as const;

export interface ReleaseArgs {
  app: string;
  release: string;
  wait: boolean;
  json: boolean;
  method?: "dump" | "clone";
  endSessions: boolean;
}

/** The whole command line, validated: pure, no database. Throws UsageError. */
export function parseReleaseArgs(args: string[]): ReleaseArgs {
  const usage = `usage: npm run lifeboat -- ${releaseSpec.usage}`;
  const { values, positionals } = parseCommand<Record<string, { type: "string" | "boolean" }>>(releaseSpec, args);
  const app = appArg(positionals[0], usage);
  const release = checked(releaseNameSchema, values.release as string | undefined, "--release", usage);
  if (release === undefined) throw new UsageError("--release is required", usage);
  const method = values.method as string | undefined;
  if (method !== undefined && method !== "dump" && method !== "clone") throw new UsageError(`--method must be dump or clone, not ${JSON.stringify(method)}`, usage);
  return { app, release, wait: values.wait === true, json: values.json === true, method, endSessions: values["end-sessions"] === true };
}

const OUTCOME_TEXT: Record<ReleaseStatus["outcome"], string> = {
  pending: "still running",
  released: "is current and healthy",
  failed: "FAILED",
  undone: "FAILED its health check and was UNDONE (the previous release is back)",
  undo_failed: "FAILED, and its automatic undo failed too: look at the app NOW",
};

export const releaseCommand: CliCommand = async (args) => {
  const parsed = parseReleaseArgs(args);
  const app = await requireApp(parsed.app);
  const started = await startRelease({ app, release: parsed.release, actor: cliActor(), method: parsed.method, endSessions: parsed.endSessions });
  const say = parsed.json ? console.error : console.log;
  say(`${app.slug}: ${started.summary} (job #${started.jobId})`);
  if (!parsed.wait) {
    const status = await waitForRelease(app, started.jobId, 0);
    if (parsed.json) console.log(JSON.stringify({ ...status, reused: started.reused }));
    else say(`Follow it with: npm run lifeboat -- release ${app.slug} --release ${parsed.release} --wait`);
    return 0;
  }
  // Progress lines for people; the outcome (with the automatic undo, if any) is what decides the exit code.
  if (!parsed.json) await follow(started.jobId, started.done);
  const status = await waitForRelease(app, started.jobId, Number.POSITIVE_INFINITY);
  if (parsed.json) console.log(JSON.stringify({ ...status, reused: started.reused }));
  else {
    const line = `release ${parsed.release} on ${app.slug} ${OUTCOME_TEXT[status.outcome]}; backup ${status.backup?.name ?? "none"}; current → ${status.current ?? "nothing"}`;
    if (status.outcome === "released") console.log(`✔ ${line}`);
    else console.error(`✖ ${line}${status.undo ? ` (undo job #${status.undo.jobId})` : ""}`);
  }
  return status.outcome === "released" ? 0 : 1;
};
