import fs from "node:fs/promises";
import path from "node:path";

/** The release `current` points at (its directory name under releases/), or null when there is none. */
export async function readCurrentRelease(deployRoot: string): Promise<string | null> {
  try {
    const target = await fs.readlink(path.join(deployRoot, "current"));
    return path.basename(target);
  } catch {
    return null;
  }
}
