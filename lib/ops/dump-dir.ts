import os from "node:os";
import { dirManifest, dirMembers } from "./dir-manifest";
import { errorLine } from "./dump-pipe";
import { run, runUnchecked } from "./exec";

// Directory format (pg_dump -Fd -j N): one file per table's data, written by N pg_dump workers at once, and
// restorable with pg_restore -j N. It cannot go through a pipe (many files), so it is verified after the dump:
// `pg_restore -f /dev/null DIR` reads the table of contents and every data member in full (a truncated member
// fails it), while the manifest checksum (lib/ops/dir-manifest.ts) reads every file, side by side.

/** pg_dump workers for a directory dump: each is a server session and a process here. */
const MAX_DUMP_JOBS = 4;

/** Workers for this machine: the cores, at most MAX_DUMP_JOBS (pg_dump uses fewer when there are fewer tables). */
export function dirDumpJobs(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores, MAX_DUMP_JOBS));
}

/** Directory-format arguments (gzip level as for custom dumps: see DUMP_COMPRESSION_LEVEL). */
export function pgDumpDirArgs(dir: string, jobs: number, level: number, snapshot?: string): string[] {
  if (snapshot !== undefined && !/^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/i.test(snapshot)) throw new Error("not a snapshot name");
  const j = Math.max(1, Math.floor(jobs));
  // pg_dump writes into an existing directory only when it is empty: the exclusive .partial made by the caller.
  return ["--no-password", "-Fd", "-Z", String(level), "-j", String(j), ...(snapshot ? [`--snapshot=${snapshot}`] : []), "-f", dir];
}

export interface DirDumpInput {
  pgDump: string;
  pgRestore: string;
  args: string[];
  env: Record<string, string>;
  /** The (empty, exclusive) .partial directory pg_dump writes into. */
  dir: string;
  signal?: AbortSignal;
  onStderrLine?: (line: string) => void;
  onBytes?: (bytes: number) => void;
}

/**
 * Runs pg_dump (throws ProcessError when it fails: exit code checked), then reads everything back and
 * checksums it. pg_dump fsyncs the files and the directory itself (no --no-sync).
 */
export async function runDirDump(input: DirDumpInput): Promise<{ ok: true; sha256: string; sizeBytes: number } | { ok: false; reason: string }> {
  const timer = setInterval(() => {
    dirMembers(input.dir).then(
      (m) => input.onBytes?.(m.reduce((n, x) => n + Number(x.size), 0)),
      () => {},
    );
  }, 1000);
  try {
    await run(input.pgDump, input.args, { env: input.env, signal: input.signal, onStderrLine: input.onStderrLine });
  } finally {
    clearInterval(timer);
  }
  return verifyAndHashDir(input.dir, input.pgRestore, input.signal);
}

/** Full read-back (pg_restore) and manifest checksum of a dump directory, side by side; either failing stops the other. */
export async function verifyAndHashDir(dir: string, pgRestore: string, signal?: AbortSignal): Promise<{ ok: true; sha256: string; sizeBytes: number } | { ok: false; reason: string }> {
  const members = await dirMembers(dir).catch((e: Error) => e);
  if (members instanceof Error) return { ok: false, reason: members.message };
  if (!members.some((m) => m.name === "toc.dat")) return { ok: false, reason: "it has no toc.dat (pg_dump did not finish it)" };
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const [check, hashed] = await Promise.allSettled([
      verifyDumpDir(dir, pgRestore, stop.signal).then((r) => {
        if (!r.ok) stop.abort();
        return r;
      }),
      dirManifest(dir, members, stop.signal).catch((e: unknown) => {
        stop.abort();
        throw e;
      }),
    ]);
    if (check.status === "rejected") throw check.reason;
    if (!check.value.ok) return { ok: false, reason: check.value.reason };
    if (hashed.status === "rejected") throw hashed.reason;
    // What was hashed must be what pg_restore read: nothing added, removed or rewritten meanwhile.
    const after = await dirMembers(dir);
    if (JSON.stringify(after.map((m) => [m.name, String(m.size), String(m.ctimeNs)])) !== JSON.stringify(members.map((m) => [m.name, String(m.size), String(m.ctimeNs)]))) {
      return { ok: false, reason: "its files changed while they were being read back" };
    }
    return { ok: true, sha256: hashed.value.sha256, sizeBytes: hashed.value.sizeBytes };
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** `pg_restore -f /dev/null DIR`: the table of contents and every data member, read and decompressed in full. */
export async function verifyDumpDir(dir: string, pgRestore: string, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; reason: string }> {
  const r = await runUnchecked(pgRestore, ["-f", "/dev/null", dir], { signal }).catch((e: Error) => e);
  if (r instanceof Error) return { ok: false, reason: `pg_restore could not be run: ${r.message}` };
  if (r.code === 0) return { ok: true };
  return { ok: false, reason: `pg_restore could not read it: ${errorLine(r.stderrTail) || (r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`)}` };
}
