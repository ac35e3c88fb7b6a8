import { constants as fsc } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";

// Settings name directories Lifeboat will write into (backups), switch symlinks in (deploy root) or run
// commands from (working directory). A typo there is dangerous, not just wrong: /etc/passwd as a backups
// directory, / as a deploy root. So a configured directory must exist, be a directory, and is stored as its
// real path, symlinks resolved, so what the operator sees is what Lifeboat touches.

export type DirPurpose = "deploy root" | "backups directory" | "working directory";

export type DirCheck = { ok: true; real: string; resolvedFrom?: string } | { ok: false; message: string };

// Directories of the system itself: never an app's deploy root, backups directory or working directory.
const SYSTEM_DIRS = ["/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr", "/var"];
const SYSTEM_TREES = ["/dev", "/etc", "/proc", "/sys", "/boot"];

/** Checks one configured directory and returns its real path, or a message for the form's field. */
export async function checkConfiguredDir(p: string, purpose: DirPurpose): Promise<DirCheck> {
  if (!path.isAbsolute(p) || p.includes("\0")) return { ok: false, message: `The ${purpose} must be an absolute path, like /opt/shop.` };
  let real: string;
  try {
    real = await fs.realpath(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, message: `${p} does not exist. Create the directory first (mkdir -p ${p}), then save again.` };
    if (code === "ENOTDIR") return { ok: false, message: `${p} is not a directory: part of that path is a file.` };
    if (code === "EACCES") return { ok: false, message: `Lifeboat may not open ${p} (permission denied). Give the Lifeboat user access to it.` };
    if (code === "ELOOP") return { ok: false, message: `${p} is a symlink loop.` };
    return { ok: false, message: `${p} cannot be used (${code ?? "unknown error"}).` };
  }
  const shown = real === path.resolve(p) ? p : `${p} (a symlink to ${real})`;
  const st = await fs.stat(real);
  if (!st.isDirectory()) {
    return { ok: false, message: `${shown} is ${st.isFile() ? "a file" : "not a regular directory"}. The ${purpose} must be a directory.` };
  }
  if (SYSTEM_DIRS.includes(real) || SYSTEM_TREES.some((t) => real.startsWith(`${t}/`))) {
    return { ok: false, message: `${shown} is a directory of the operating system itself. Use a directory of the app's own, like /opt/<app>.` };
  }
  if (purpose !== "working directory") {
    // Lifeboat writes here: dumps (backups) and the current symlink (deploy root).
    const writable = await fs.access(real, fsc.W_OK | fsc.X_OK).then(() => true, () => false);
    if (!writable) return { ok: false, message: `Lifeboat may not write to ${shown}. Give the user Lifeboat runs as write access to it.` };
    // Anyone on the host could put files there: a backup replaced, a release or symlink planted.
    if (st.mode & 0o002) {
      return { ok: false, message: `${shown} is writable by every user on this host (mode ${(st.mode & 0o7777).toString(8)}). Use a directory only Lifeboat's user can write to (chmod 700 or 750).` };
    }
  }
  return real === path.resolve(p) ? { ok: true, real } : { ok: true, real, resolvedFrom: p };
}
