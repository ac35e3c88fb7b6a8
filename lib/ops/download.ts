import crypto from "node:crypto";
import fs from "node:fs";
import { OpError } from "./errors";
import { openVerifiedBackupFile } from "./integrity";

// A dump handed to an admin's browser: the checksum gate first (the whole file hashed against the sha256
// recorded when Lifeboat wrote or adopted it), then the very inode that was hashed is streamed in chunks —
// never buffered — and hashed again on the way. A file written to meanwhile ends the stream with an error
// before its last chunk, so a client never gets a complete-looking download of bytes nobody verified.

export interface DumpDownload {
  body: ReadableStream<Uint8Array>;
  sizeBytes: number;
  sha256: string;
  /** A Content-Disposition value: attachment, with a name reduced to safe characters. */
  disposition: string;
}

const CHUNK = 256 * 1024;

export async function openDumpDownload(file: string, name: string, sha256: string | null, signal?: AbortSignal): Promise<DumpDownload> {
  const verified = await openVerifiedBackupFile(file, sha256, signal);
  const stream = fs.createReadStream(verified.readPath, { highWaterMark: CHUNK });
  const hash = crypto.createHash("sha256");
  const iter = stream[Symbol.asyncIterator]();
  let closed = false;
  const finish = async () => {
    if (closed) return;
    closed = true;
    stream.destroy();
    await verified.close().catch(() => {});
  };
  // One chunk is held back until the next has been read, and the last until the file has been found
  // unchanged and its hash matched: with Content-Length set, a client that got every byte would otherwise
  // take an error after the last one for a complete download.
  let held: Uint8Array | null = null;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iter.next();
        if (!next.done) {
          const chunk = next.value as Buffer;
          hash.update(chunk);
          if (held) controller.enqueue(held);
          held = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          return;
        }
        await verified.assertUnchanged();
        if (hash.digest("hex") !== verified.sha256) throw new OpError("tampered", `${name} changed while it was being downloaded.`);
        if (held) controller.enqueue(held);
        held = null;
        await finish();
        controller.close();
      } catch (e) {
        await finish();
        controller.error(e);
      }
    },
    async cancel() {
      await finish();
    },
  });
  return { body, sizeBytes: Number(verified.stamp.size), sha256: verified.sha256, disposition: `attachment; filename="${safeFileName(name)}"` };
}

/** Letters, digits, '.', '_' and '-' only: nothing that could end the quoted filename or split a header. */
export function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_").slice(0, 200);
  return s || "backup";
}
