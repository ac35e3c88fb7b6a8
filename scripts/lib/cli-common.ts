// Shared by the CLI's commands.
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { getJob } from "@/lib/db/queries/jobs";
import { formatBytes } from "@/lib/format";
import { noWorkerWarning, type JobOutcome } from "@/lib/jobs/runner";
import { OpError } from "@/lib/ops/errors";

export function parseArgs(argv: string[]): { positional: string[]; flags: Record<string, string | true> } {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2) as [string, string | undefined];
      if (v !== undefined) flags[k] = v;
      else if (argv[i + 1] && !argv[i + 1]!.startsWith("--")) flags[k] = argv[++i]!;
      else flags[k] = true;
    } else positional.push(a);
  }
  return { positional, flags };
}

export async function requireApp(slug: string | undefined) {
  if (!slug) throw new OpError("usage", "Name the app, e.g. `npm run lifeboat -- backup shop`.");
  return requireAppBySlug(slug);
}

/** Prints a job's phase and progress as it runs, then its outcome; resolves with the outcome. */
export async function follow(jobId: number, done: Promise<JobOutcome>): Promise<JobOutcome> {
  const warning = await noWorkerWarning();
  if (warning) console.error(`job #${jobId}: ${warning}`);
  let last = "";
  const timer = setInterval(async () => {
    const job = await getJob(jobId).catch(() => undefined);
    if (!job) return;
    const pct = job.progressTotal ? ` ${Math.min(100, Math.round(((job.progressDone ?? 0) / job.progressTotal) * 100))}%` : "";
    const line = `job #${jobId}: ${job.phase}${pct}${job.progressDone ? ` (${formatBytes(job.progressDone)})` : ""}`;
    if (line !== last) console.log(line);
    last = line;
  }, 500);
  const outcome = await done;
  clearInterval(timer);
  if (outcome.status === "ok") console.log(`job #${jobId}: ok ${JSON.stringify(outcome.result ?? {})}`);
  else console.error(`job #${jobId}: FAILED — ${outcome.error?.message}`);
  return outcome;
}

