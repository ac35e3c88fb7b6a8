import fs from "node:fs/promises";
import path from "node:path";
import { OpError } from "./errors";
import { assertAbsoluteRoot, fsyncDir } from "./paths";
import { listReleases, RELEASE_COMPLETE_MARKER } from "./releases";

// Seed 000's deploys write releases/<timestamp>/ and current, but not Lifeboat's completion marker, so after
// adoption every existing release reads "incomplete — cannot become current". An operator who knows those
// deploys finished (no deploy is running now) marks them complete once; the marker's time is set to the
// release directory's, so the order of releases (by when each deploy finished) does not change.

/** Releases with a valid name, not yet marked complete: what "mark existing releases complete" would mark. */
export async function unmarkedReleases(deployRoot: string): Promise<string[]> {
  return (await listReleases(deployRoot)).filter((r) => !r.complete && r.invalid === null).map((r) => r.name);
}

/**
 * Writes the marker into each of `names` (default: every unmarked release). Only real directories directly
 * inside releases/; the marker is created exclusively (never overwrites). Returns the names marked.
 */
export async function markReleasesComplete(deployRoot: string, note: string, names?: string[]): Promise<string[]> {
  const root = assertAbsoluteRoot(deployRoot, "deploy root");
  const unmarked = new Set(await unmarkedReleases(root));
  const todo = names ?? [...unmarked];
  const releasesDir = await fs.realpath(path.join(root, "releases"));
  const marked: string[] = [];
  for (const name of todo) {
    if (!unmarked.has(name)) throw new OpError("not_unmarked", `${name} is not an unmarked release of ${root}.`);
    const dir = path.join(releasesDir, name);
    const st = await fs.lstat(dir);
    if (!st.isDirectory() || path.dirname(await fs.realpath(dir)) !== releasesDir) {
      throw new OpError("invalid_release", `${name} is not a real directory inside ${releasesDir}; not marked.`);
    }
    const marker = path.join(dir, RELEASE_COMPLETE_MARKER);
    const fh = await fs.open(marker, "wx", 0o644);
    try {
      await fh.writeFile(`${note}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.utimes(marker, st.atime, st.mtime);
    await fsyncDir(dir);
    marked.push(name);
  }
  return marked;
}
