import crypto from "node:crypto";
import fs from "node:fs";

/** sha256 of a file as lower-case hex, streamed (dumps can be larger than memory). */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024, signal })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}
