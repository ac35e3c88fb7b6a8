import fs from "node:fs/promises";
import path from "node:path";
import { OpError } from "./errors";

// Every filesystem path Lifeboat touches is built here from a configured root and a validated name, then
// proven to stay under that root after symlinks are resolved. Clients send ids, never paths.

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** A single path component we are willing to create or open: no separators, no `.`/`..`, no hidden names. */
export function assertSafeName(name: string, what = "name"): string {
  if (!SAFE_NAME.test(name) || name.includes("..")) {
    throw new OpError(
      "invalid_name",
      `Invalid ${what} "${name.slice(0, 80)}": use letters, digits, '.', '_' and '-', starting with a letter or digit.`,
    );
  }
  return name;
}

/** An absolute, normalised root from configuration. */
export function assertAbsoluteRoot(root: string, what = "directory"): string {
  if (!path.isAbsolute(root)) throw new OpError("invalid_path", `The ${what} must be an absolute path (got "${root}").`);
  return path.resolve(root);
}

/**
 * root/name, with the real location checked to be inside the real root. For a name that does not exist yet
 * the parent is checked instead.
 */
export async function resolveInside(root: string, name: string, what = "name"): Promise<string> {
  assertSafeName(name, what);
  const realRoot = await fs.realpath(assertAbsoluteRoot(root)).catch(() => {
    throw new OpError("missing_dir", `The directory ${root} does not exist.`);
  });
  const candidate = path.join(realRoot, name);
  const real = await fs.realpath(candidate).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return candidate;
    throw e;
  });
  if (!isWithin(realRoot, real)) {
    throw new OpError("path_escape", `Refusing ${what} "${name}": it resolves outside ${root}.`);
  }
  return real;
}

export function isWithin(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/** fsync a directory so a rename or unlink inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
