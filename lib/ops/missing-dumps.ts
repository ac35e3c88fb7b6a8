import fs from "node:fs/promises";
import path from "node:path";
import { assertAbsoluteRoot, assertSafeName } from "./paths";

/**
 * Which of `names` (dump files, or `.dir` directory-format dumps) are not in the backups directory `dir`.
 * Only looked at (lstat), never opened, followed or changed. A directory that does not exist holds none of
 * them; any other error (permission, I/O) answers nothing, so a flaky mount never marks good backups missing.
 */
export async function dumpsAbsentFrom(dir: string, names: readonly string[]): Promise<Set<string> | null> {
  const root = assertAbsoluteRoot(dir, "backups directory");
  const absent = new Set<string>();
  const rootOk = await fs.stat(root).then(
    (st) => st.isDirectory(),
    (e: NodeJS.ErrnoException) => (e.code === "ENOENT" || e.code === "ENOTDIR" ? false : null),
  );
  if (rootOk === null) return null;
  if (!rootOk) return new Set(names);
  for (const name of names) {
    // A name that is not a plain file name is never looked up (nor marked): one odd row must not stop a refresh.
    if (!isSafe(name)) continue;
    const found = await fs.lstat(path.join(root, name)).then(
      () => true,
      (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? false : null),
    );
    if (found === null) return null;
    if (!found) absent.add(name);
  }
  return absent;
}

function isSafe(name: string): boolean {
  try {
    assertSafeName(name, "backup file");
    return true;
  } catch {
    return false;
  }
}
