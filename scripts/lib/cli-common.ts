// Shared by the CLI's commands: strict argument parsing (node's util.parseArgs, strict), confirmation,
// following a job. Every command parses and validates all of its arguments before it touches a database:
// a malformed flag is an error that names it (exit 2), never a default.
import os from "node:os";
import readline from "node:readline/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { z } from "zod";
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { getJob } from "@/lib/db/queries/jobs";
import { formatBytes } from "@/lib/format";
import { describeJobResult } from "@/lib/jobs/describe-result";
import { noWorkerWarning, type JobOutcome } from "@/lib/jobs/runner";
import { slugSchema } from "@/lib/validation/apps";
import { MAX_ROW_ID } from "@/lib/validation/ids";

/** A command's `run(args)`: the arguments after the command's name; resolves with the exit code. */
export type CliCommand = (args: string[]) => Promise<number>;

/** A mistake in the command line. The CLI prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** Who the audit log names for CLI calls: having a shell on the Lifeboat host is the authorisation. */
export const cliActor = () => `cli:${os.userInfo().username}`;

type Options = Record<string, { type: "string" | "boolean" }>;
type Values<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "string" ? string : boolean };

export interface CommandSpec<O extends Options> {
  /** One line per form, e.g. "restore <app> --backup ID [--yes]". */
  usage: string;
  options: O;
  /** Names of the positional arguments, all required, e.g. ["app"]. */
  positionals: readonly string[];
}

function describeParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const flag = /'(-[^' ]*)/.exec(err.message ?? "")?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag ?? ""}`.trim();
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(err.message ?? "") ? `${flag} takes no value` : `${flag} needs a value`;
    default:
      return err.message ?? String(e);
  }
}

/**
 * util.parseArgs with strict: true, plus what it lets through: a flag given twice, an empty value
 * (`--backup ""`, `--backup=`), and missing or extra positional arguments. Throws UsageError.
 */
export function parseCommand<O extends Options>(spec: CommandSpec<O>, args: string[]): { values: Values<O>; positionals: string[] } {
  const usage = `usage: npm run lifeboat -- ${spec.usage}`;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: spec.options as ParseArgsConfig["options"], strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    throw new UsageError(describeParseError(e), usage);
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option") continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given more than once`, usage);
    seen.add(t.name);
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === "string" && value.trim() === "") throw new UsageError(`--${name} needs a value (it is empty)`, usage);
  }
  const names = spec.positionals;
  if (parsed.positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(parsed.positionals.length).map((n) => `<${n}>`).join(" ")}`, usage);
  }
  if (parsed.positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[names.length])}`, usage);
  }
  for (const [i, p] of parsed.positionals.entries()) {
    if (p.trim() === "") throw new UsageError(`<${names[i]}> is empty`, usage);
  }
  return { values: parsed.values as Values<O>, positionals: parsed.positionals };
}

/** An id flag: digits only, positive, safe as a number ("", "1e3", "0x10", "-1", "1.0" are errors). */
export function idFlag(value: string | undefined, flag: string, usage?: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[1-9][0-9]{0,14}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} must be a positive whole number, not ${JSON.stringify(value)}`, usage);
  if (n > MAX_ROW_ID) throw new UsageError(`--${flag} ${n}: there is none that large (ids go up to ${MAX_ROW_ID})`, usage);
  return n;
}

/** A flag or positional checked with a shared zod schema (the same one the forms and the API use). */
export function checked<T>(schema: z.ZodType<T>, value: string | undefined, what: string, usage?: string): T | undefined {
  if (value === undefined) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(`${what}: ${r.error.issues[0]?.message ?? "not valid"} (got ${JSON.stringify(value)})`, usage);
  return r.data;
}

export const appArg = (value: string | undefined, usage?: string) => checked(slugSchema, value, "<app>", usage)!;

export async function requireApp(slug: string) {
  return requireAppBySlug(slug);
}

/**
 * Destructive commands: --yes goes ahead; otherwise the operator types `expected` on a terminal. Without
 * a terminal (a script) and without --yes: refused.
 */
export async function confirm(expected: string, yes: boolean | undefined, whatYesDoes: string): Promise<boolean> {
  if (yes) return true;
  console.log(`With --yes this would ${whatYesDoes} without asking.`);
  if (!process.stdin.isTTY) {
    console.error("Refusing without confirmation: no terminal to ask on. Pass --yes to go ahead.");
    return false;
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`Type ${expected} to confirm: `);
  rl.close();
  return answer.trim() === expected;
}

/**
 * Prints a job's phase and progress as it runs, then its outcome in words; resolves with the outcome. With
 * `json`, stdout gets exactly one line — {"job","status","result"|"error"} — and everything else goes to stderr.
 */
export async function follow(jobId: number, done: Promise<JobOutcome>, opts: { json?: boolean } = {}): Promise<JobOutcome> {
  const say = opts.json ? console.error : console.log;
  const warning = await noWorkerWarning();
  if (warning) console.error(`job #${jobId}: ${warning}`);
  let last = "";
  // A tick reads the job row; one still reading when the job ends must not print after the outcome line.
  let stopped = false;
  let tick: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    tick = (async () => {
      const job = await getJob(jobId).catch(() => undefined);
      if (!job || stopped) return;
      const pct = job.progressTotal ? ` ${Math.min(100, Math.round(((job.progressDone ?? 0) / job.progressTotal) * 100))}%` : "";
      const line = `job #${jobId}: ${job.phase}${pct}${job.progressDone ? ` (${formatBytes(job.progressDone)})` : ""}`;
      if (line !== last) say(line);
      last = line;
    })();
  }, 500);
  const outcome = await done;
  stopped = true;
  clearInterval(timer);
  await tick;
  if (opts.json) console.log(JSON.stringify({ job: jobId, status: outcome.status, ...(outcome.status === "ok" ? { result: outcome.result ?? {} } : { error: outcome.error }) }));
  else if (outcome.status === "ok") console.log(`✔ job #${jobId} ok: ${describeJobResult(outcome.result)}`);
  if (outcome.status !== "ok") console.error(`✖ job #${jobId} FAILED — ${outcome.error?.message}`);
  return outcome;
}
