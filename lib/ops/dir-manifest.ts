import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { sha256File } from "./checksum";
import { OpError } from "./errors";

// A directory-format dump (pg_dump -Fd) is many files: toc.dat and one compressed file per table's data. Its
// checksum is the sha256 of a manifest listing every member's sha256, one `<sha256>  <name>` line per file,
// sorted by name (bytewise) — what `(export LC_ALL=C; cd DIR && sha256sum -- * | sha256sum)` prints. Every entry counts: a
// file added, removed, renamed, truncated or changed gives another checksum. Only regular files belong in
// such a directory; anything else (a symlink, a subdirectory) is refused as not what Lifeboat wrote.

/** What identifies the exact bytes of one member (like lib/ops/integrity.ts's FileStamp). */
export interface MemberStamp {
  name: string;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** Members of a dump directory with their stamps, sorted by name; refuses anything but regular files. */
export async function dirMembers(dir: string): Promise<MemberStamp[]> {
  const names = (await fs.readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: MemberStamp[] = [];
  for (const name of names) {
    const st = await fs.lstat(path.join(dir, name), { bigint: true });
    if (!st.isFile()) {
      throw new OpError("tampered", `${path.join(dir, name)} is not a regular file: a dump directory Lifeboat writes holds only files. It is not restored.`);
    }
    out.push({ name, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs });
  }
  return out;
}

/** The manifest text of `members` (hashed here, two files at a time) and its sha256. */
export async function dirManifest(dir: string, members: MemberStamp[], signal?: AbortSignal): Promise<{ sha256: string; sizeBytes: number; manifest: string }> {
  const hashes = new Array<string>(members.length);
  let next = 0;
  const worker = async () => {
    while (next < members.length) {
      const i = next++;
      hashes[i] = await sha256File(path.join(dir, members[i]!.name), signal);
    }
  };
  await Promise.all([worker(), worker()]);
  const manifest = members.map((m, i) => `${hashes[i]}  ${m.name}\n`).join("");
  return {
    sha256: crypto.createHash("sha256").update(manifest).digest("hex"),
    sizeBytes: members.reduce((n, m) => n + Number(m.size), 0),
    manifest,
  };
}

/** The checksum of a dump directory as it is now. */
export async function sha256Dir(dir: string, signal?: AbortSignal): Promise<string> {
  return (await dirManifest(dir, await dirMembers(dir), signal)).sha256;
}

/** Bytes of a dump file, or of all members of a dump directory. */
export async function backupSize(p: string): Promise<number> {
  const st = await fs.stat(p);
  if (!st.isDirectory()) return st.size;
  return (await dirMembers(p)).reduce((n, m) => n + Number(m.size), 0);
}

/** The same members with the same stamps (names, inodes, sizes, mtimes, ctimes)? */
export function sameMembers(a: MemberStamp[], b: MemberStamp[]): boolean {
  return (
    a.length === b.length &&
    a.every((m, i) => {
      const o = b[i]!;
      return m.name === o.name && m.ino === o.ino && m.size === o.size && m.mtimeNs === o.mtimeNs && m.ctimeNs === o.ctimeNs;
    })
  );
}
