import crypto from "node:crypto";
import type fs from "node:fs/promises";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { ProcessError, spawnStreaming, type StreamingProcess } from "./exec";

// The single-pass verified dump: pg_dump writes to our pipe (spawned without a shell, its exit code checked —
// a shell pipe would hide it), and each chunk goes at once to the exclusive .partial file, to a sha256 and,
// for the custom format, to `pg_restore -f /dev/null` reading stdin (the full read-back that fails on a
// truncated archive). Verification and checksum end with the dump instead of after it.
// Any failure stops everything: pg_dump exiting non-zero, pg_restore exiting non-zero or dying (its stdin
// then breaks), a write error on the file (a full disk). The caller removes the .partial.

export interface PipedDumpInput {
  pgDump: string;
  /** pg_dump's arguments, writing to stdout (no -f). */
  dumpArgs: string[];
  env: Record<string, string>;
  /** The custom format's read-back; null for plain dumps (verified by their trailer afterwards). */
  pgRestore: string | null;
  /** The open .partial file, written from position 0. Fsynced here; closed by the caller. */
  file: fs.FileHandle;
  signal?: AbortSignal;
  onStderrLine?: (line: string) => void;
  /** Bytes written so far. */
  onBytes?: (bytes: number) => void;
}

export type PipedDumpResult =
  | { ok: true; sha256: string; sizeBytes: number }
  /** pg_dump succeeded but the stream did not read back (pg_restore failed). */
  | { ok: false; reason: string };

/** Runs the pipeline described above. Throws ProcessError when pg_dump fails, or the file's write error. */
export async function pipedDump(input: PipedDumpInput): Promise<PipedDumpResult> {
  const dump = spawnStreaming(input.pgDump, input.dumpArgs, { env: input.env, signal: input.signal, onStderrLine: input.onStderrLine, stdout: true });
  const restore = input.pgRestore ? spawnStreaming(input.pgRestore, ["-f", "/dev/null"], { signal: input.signal, stdin: true }) : null;
  const hash = crypto.createHash("sha256");
  let written = 0;
  let restoreBroken = false;
  // pg_restore stopping early breaks its stdin (EPIPE): that is its failure, read from its exit status.
  restore?.stdin!.on("error", () => (restoreBroken = true));
  // pg_dump writes in small pieces: they are gathered into batches of BATCH_BYTES, and one batch is written (to
  // the file and to pg_restore) while the next is read, so neither pg_dump nor we wait on every piece.
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let inflight: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batchBytes === 0) return;
    const buf = Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    await inflight; // one write at a time, in order; a failed one (ENOSPC) throws here
    const pos = written;
    written += buf.length;
    inflight = (async () => {
      const toRestore = restore && !restoreBroken ? writeChunk(restore.stdin!, buf) : null;
      let off = 0;
      while (off < buf.length) off += (await input.file.write(buf, off, buf.length - off, pos + off)).bytesWritten;
      input.onBytes?.(pos + buf.length);
      await toRestore;
    })();
    inflight.catch(() => {}); // awaited above or below; never an unhandled rejection meanwhile
  };
  try {
    for await (const chunk of dump.stdout! as AsyncIterable<Buffer>) {
      hash.update(chunk);
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH_BYTES) await flush();
    }
    await flush();
    await inflight;
    restore?.stdin!.end();
    const [d, r] = await Promise.all([dump.done, restore?.done]);
    if (d.code !== 0) throw new ProcessError(dump.argv, d.code, d.signal, d.stderrTail, d.timedOut);
    if (r && r.code !== 0) return { ok: false, reason: `pg_restore could not read it: ${errorLine(r.stderrTail) || (r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`)}` };
    await input.file.sync();
    return { ok: true, sha256: hash.digest("hex"), sizeBytes: written };
  } catch (e) {
    // The file failed (ENOSPC) or pg_dump did: stop both and wait for them, so none outlives the call.
    await stopAll(dump, restore);
    throw e;
  }
}

/**
 * pg_restore may fall behind pg_dump for a while (it inflates what pg_dump deflated): up to this many bytes wait
 * in memory for it, so that neither stalls the other at every chunk; beyond it the dump waits (bounded memory).
 */
const RESTORE_BUFFER_BYTES = 64 * 1024 * 1024;
const BATCH_BYTES = 1024 * 1024;

async function writeChunk(w: Writable, chunk: Buffer): Promise<void> {
  if (w.destroyed || w.writableEnded) return;
  if (!w.write(chunk) && w.writableLength > RESTORE_BUFFER_BYTES) {
    await Promise.race([once(w, "drain"), once(w, "close"), once(w, "error")]).catch(() => {});
  }
}

async function stopAll(...procs: (StreamingProcess | null)[]): Promise<void> {
  for (const p of procs) {
    if (!p) continue;
    p.stdin?.destroy();
    p.stdout?.destroy();
    p.kill();
  }
  await Promise.all(procs.map((p) => p?.done.catch(() => {})));
}

/** The most useful line of a stderr tail: the last one that says error, else the last line. */
export function errorLine(stderrTail: string): string {
  const lines = stderrTail.trim().split("\n").map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /\b(error|fatal|panic):/i.test(l));
  return (errors[errors.length - 1] ?? lines[lines.length - 1] ?? "").replace(/^pg_\w+: /, "");
}
