import fs from "node:fs/promises";
import { sha256File } from "./checksum";
import { verifyAndHashDir, verifyDumpDir } from "./dump-dir";
import { errorLine } from "./dump-pipe";
import { OpError } from "./errors";
import { runUnchecked } from "./exec";

export type DumpFormat = "custom" | "plain" | "directory";

/** The last line pg_dump writes to a plain dump that it finished (POSTGRES-SAFETY: pg_dump / psql). */
export const PLAIN_TRAILER = "-- PostgreSQL database dump complete";

/**
 * A dump file already on disk (recovery of an interrupted backup): the full read-back (pg_restore, its own
 * process) and the sha256 (Node's thread pool) both read the whole file, so they run side by side. Both read
 * the same closed file, which nothing writes any more, so the checksum covers exactly the bytes that were
 * verified. When either fails the other is stopped and awaited, so no pg_restore outlives the call.
 */
export async function verifyAndChecksum(
  file: string,
  format: DumpFormat,
  pgRestore: string,
  signal?: AbortSignal,
): Promise<{ ok: true; sha256: string } | { ok: false; reason: string }> {
  if (format === "directory") {
    const r = await verifyAndHashDir(file, pgRestore, signal);
    if (signal?.aborted) throw cancelled();
    return r;
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (signal?.aborted) stop.abort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  let hashError: unknown;
  try {
    const [verified, hashed] = await Promise.allSettled([
      verifyDumpFile(file, format, pgRestore, stop.signal).then(
        (check) => {
          if (!check.ok) stop.abort();
          return check;
        },
        (e: unknown) => {
          stop.abort();
          throw e;
        },
      ),
      sha256File(file, stop.signal).catch((e: unknown) => {
        // An error of its own (not our stop) ends the verification too, and is the one reported.
        if (!stop.signal.aborted) hashError = e;
        stop.abort();
        return undefined;
      }),
    ]);
    if (signal?.aborted) throw cancelled();
    if (hashError !== undefined) throw hashError;
    if (verified.status === "rejected") throw verified.reason;
    const check = verified.value;
    if (!check.ok) return { ok: false, reason: check.reason ?? "it does not read back" };
    const sha256 = hashed.status === "fulfilled" ? hashed.value : undefined;
    if (!sha256) throw new Error("the checksum of the dump did not complete");
    return { ok: true, sha256 };
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Reads a dump back in full. Custom format: `pg_restore -f /dev/null` (`--list` only reads the table of
 * contents and passes a truncated file). Plain: the file must end with pg_dump's completion trailer.
 */
export async function verifyDumpFile(
  file: string,
  format: DumpFormat,
  pgRestore: string,
  signal?: AbortSignal,
): Promise<{ ok: boolean; reason?: string }> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch (e) {
    return { ok: false, reason: `cannot read the file: ${(e as Error).message}` };
  }
  if (format === "directory") return verifyDumpDir(file, pgRestore, signal);
  if (size === 0) return { ok: false, reason: "the file is empty" };
  if (format === "plain") {
    const tail = await readTail(file, 4096);
    return plainDumpComplete(tail)
      ? { ok: true }
      : { ok: false, reason: `the file does not end with "${PLAIN_TRAILER}": it is incomplete` };
  }
  const r = await runUnchecked(pgRestore, ["-f", "/dev/null", file], { signal }).catch((e: Error) => e);
  if (r instanceof Error) return { ok: false, reason: `pg_restore could not be run: ${r.message}` };
  if (r.code === 0) return { ok: true };
  return { ok: false, reason: `pg_restore could not read it: ${errorLine(r.stderrTail) || `exit code ${r.code}`}` };
}

/** Does the end of a plain dump carry pg_dump's completion trailer (possibly followed by `\unrestrict`)? */
export function plainDumpComplete(tail: string): boolean {
  const lines = tail.split("\n").map((l) => l.replace(/\r$/, ""));
  let i = lines.length - 1;
  while (i >= 0 && (lines[i] === "" || lines[i] === "--" || /^\\unrestrict [A-Za-z0-9]+$/.test(lines[i]!))) i--;
  return i >= 0 && lines[i] === PLAIN_TRAILER;
}

export async function readTail(file: string, bytes: number): Promise<string> {
  const fh = await fs.open(file, "r");
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString("utf8");
  } finally {
    await fh.close();
  }
}

function cancelled(): OpError {
  return new OpError("cancelled", "The backup was cancelled; its partial file was removed.");
}
