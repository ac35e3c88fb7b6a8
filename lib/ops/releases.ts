import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { OpError } from "./errors";
import { defineSteps, type JournalEntry } from "./journal";
import { assertAbsoluteRoot, assertSafeName, fsyncDir } from "./paths";

// Releases follow the Capistrano/Ansible layout (seed 000): <deploy root>/releases/<name>/ and a symlink
// <deploy root>/current → releases/<name>.
//
// Completeness rule: a release is complete when it is a real directory (not a symlink) directly inside
// releases/ and holds a regular file named `.lifeboat-release-complete`, which the deploy writes as its very
// last step, after the code is fully in place (`touch releases/$NAME/.lifeboat-release-complete`). A release
// without it may be a deploy that is still copying files or that died half-way, so it can never become
// current. The release `current` points at is shown as current whatever it holds (it is what runs), and
// switching back to the release a rollback left may skip the marker check (`allowUnmarked`): it was current
// until then. The demo's releases (scripts/lib/demo-releases.ts) carry the marker.

export const RELEASE_COMPLETE_MARKER = ".lifeboat-release-complete";
const CURRENT = "current";
const TEMP_LINK = /^current\.tmp-[0-9a-f]{8,32}$/;

// Release names: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 200 characters,
// no "..": a timestamp (20250530103000), a version (v1.4.2), a commit (a1b2c3d). Anything else (a space, a
// leading dot, a quote) is listed as invalid: it can never become current, so it is never a default target.
const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Why `name` cannot be a release, or null when it can. */
export function releaseNameProblem(name: string): string | null {
  if (name === CURRENT || TEMP_LINK.test(name)) return "it is a name Lifeboat uses for the current link";
  if (name.startsWith(".")) return "it starts with a dot (a hidden directory)";
  if (name.includes("..")) return 'it contains ".."';
  if (!RELEASE_NAME.test(name)) return "release names may only use letters, digits, '.', '_' and '-', starting with a letter or digit (at most 200)";
  return null;
}

export interface ReleaseInfo {
  name: string;
  /** When the deploy finished (the marker's mtime), else the directory's mtime. */
  mtime: Date;
  complete: boolean;
  isCurrent: boolean;
  /** Null for a usable name; otherwise why this directory can never become current (see releaseNameProblem). */
  invalid: string | null;
}

/**
 * What `current` is: a link to a release directory under releases/ (`release`), a link to anywhere else
 * (`outside`: another directory, a path outside the deploy root), not a symlink, or missing.
 */
export type CurrentLink =
  | { state: "release"; name: string; target: string }
  | { state: "outside"; target: string }
  | { state: "not_symlink" }
  | { state: "none" };

export async function readCurrentLink(deployRoot: string): Promise<CurrentLink> {
  const root = path.resolve(deployRoot);
  const link = path.join(root, CURRENT);
  let target: string;
  try {
    target = await fs.readlink(link);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EINVAL") return { state: "not_symlink" };
    return { state: "none" };
  }
  const releasesDir = path.join(root, "releases");
  const abs = path.resolve(root, target);
  const name = path.basename(abs);
  let inside = path.dirname(abs) === releasesDir;
  if (!inside) {
    // An absolute link through another spelling of the deploy root (a symlinked parent) still counts.
    const [realParent, realReleases] = await Promise.all([
      fs.realpath(path.dirname(abs)).catch(() => null),
      fs.realpath(releasesDir).catch(() => null),
    ]);
    inside = realParent !== null && realParent === realReleases;
  }
  if (!inside) return { state: "outside", target };
  return { state: "release", name, target };
}

/**
 * The release `current` points at (its directory name under releases/), or null when there is none —
 * also when `current` points outside releases/: that is not a release, whatever its last path component.
 */
export async function readCurrentRelease(deployRoot: string): Promise<string | null> {
  const link = await readCurrentLink(deployRoot);
  return link.state === "release" ? link.name : null;
}

/** Every directory in releases/, newest first (by the time its deploy finished, then by name), invalid names included. */
export async function listReleases(deployRoot: string): Promise<ReleaseInfo[]> {
  const root = assertAbsoluteRoot(deployRoot, "deploy root");
  const dir = path.join(root, "releases");
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") throw missingReleases(root);
    throw e;
  });
  const current = await readCurrentRelease(root);
  const out: ReleaseInfo[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const stat = await fs.stat(path.join(dir, e.name));
    const marker = await markerStat(path.join(dir, e.name));
    out.push({ name: e.name, mtime: marker?.mtime ?? stat.mtime, complete: !!marker, isCurrent: e.name === current, invalid: releaseNameProblem(e.name) });
  }
  return out.sort((a, b) => b.mtime.getTime() - a.mtime.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

/**
 * Proves `name` may become current and returns its real path: a plain name (not `.`, `..`, `current`, no
 * `/`), a real directory directly inside the real releases/ directory (a symlink, or anything resolving
 * elsewhere, is refused), and complete (see the rule above) unless `allowUnmarked`.
 */
export async function assertSwitchable(deployRoot: string, name: string, opts: { allowUnmarked?: boolean } = {}): Promise<string> {
  const root = assertAbsoluteRoot(deployRoot, "deploy root");
  if (typeof name !== "string" || name === "." || name === ".." || name === CURRENT || name.includes("/") || name.includes("\0")) {
    throw invalidRelease(name, "it is not a release directory name");
  }
  assertSafeName(name, "release name");
  if (TEMP_LINK.test(name)) throw invalidRelease(name, "it is Lifeboat's temporary link");
  const releasesDir = await fs.realpath(path.join(root, "releases")).catch(() => {
    throw missingReleases(root);
  });
  const candidate = path.join(releasesDir, name);
  const lstat = await fs.lstat(candidate).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") throw new OpError("release_missing", `There is no release "${name}" in ${path.join(root, "releases")}.`);
    throw e;
  });
  if (!lstat.isDirectory()) {
    throw invalidRelease(name, lstat.isSymbolicLink() ? "it is a symlink, not a release directory" : "it is not a directory");
  }
  const real = await fs.realpath(candidate);
  if (path.dirname(real) !== releasesDir) throw invalidRelease(name, `it resolves outside ${path.join(root, "releases")}`);
  if (!opts.allowUnmarked && !(await markerStat(real))) {
    throw new OpError(
      "release_incomplete",
      `The release "${name}" is incomplete: it has no ${RELEASE_COMPLETE_MARKER} file, which the deploy writes as its last step. ` +
        `Finish or redo that deploy (or, if its files are all in place, create the file), then try again.`,
    );
  }
  return real;
}

/**
 * Points `current` at releases/<name> atomically: a temporary symlink renamed over `current` (rename is
 * atomic; `ln -sfn` may unlink first), then an fsync of the deploy root so the switch survives a crash.
 * Returns the release `current` pointed at before.
 */
export async function switchRelease(deployRoot: string, name: string, opts: { allowUnmarked?: boolean } = {}): Promise<string | null> {
  const root = assertAbsoluteRoot(deployRoot, "deploy root");
  await assertSwitchable(root, name, opts);
  const currentPath = path.join(root, CURRENT);
  const existing = await fs.lstat(currentPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (existing && !existing.isSymbolicLink()) {
    throw new OpError(
      "current_not_symlink",
      `${currentPath} is a real ${existing.isDirectory() ? "directory" : "file"}, not a symlink; Lifeboat only switches a current symlink. Move it into releases/ and link it.`,
    );
  }
  const previous = await readCurrentRelease(root);
  const tmp = path.join(root, `${CURRENT}.tmp-${crypto.randomBytes(8).toString("hex")}`);
  // Relative, like the seed's `current -> releases/<name>`: it keeps working if the deploy root moves.
  await fs.symlink(path.join("releases", name), tmp);
  try {
    await fs.rename(tmp, currentPath);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  await fsyncDir(root);
  return previous;
}

/** Recovery: removes temporary links a switch left when it died between creating and renaming them. */
export async function removeStrayTempLinks(deployRoot: string): Promise<string[]> {
  const root = assertAbsoluteRoot(deployRoot, "deploy root");
  const names = await fs.readdir(root).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [] as string[];
    throw e;
  });
  const removed: string[] = [];
  for (const n of names) {
    if (!TEMP_LINK.test(n)) continue;
    const st = await fs.lstat(path.join(root, n)).catch(() => undefined);
    if (!st?.isSymbolicLink()) continue;
    await fs.unlink(path.join(root, n));
    removed.push(n);
  }
  if (removed.length) await fsyncDir(root);
  return removed;
}

/** Is the release `name` complete (marker present, real directory inside releases/)? Never throws. */
export async function isCompleteRelease(deployRoot: string, name: string): Promise<boolean> {
  return assertSwitchable(deployRoot, name).then(
    () => true,
    () => false,
  );
}

async function markerStat(releaseDir: string) {
  const st = await fs.lstat(path.join(releaseDir, RELEASE_COMPLETE_MARKER)).catch(() => undefined);
  return st?.isFile() ? st : undefined;
}

function invalidRelease(name: unknown, why: string): OpError {
  const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 80)) : "(not text)";
  return new OpError("invalid_release", `Refusing release ${shown}: ${why}. Pick a release from the releases list.`);
}

function missingReleases(root: string): OpError {
  return new OpError(
    "no_releases_dir",
    `${path.join(root, "releases")} does not exist. Check the app's deploy root (it must hold releases/ and current).`,
  );
}

// ─── the switch as a journaled step, and its recovery ─────────────────────────────────────────────────────

/** Written before `current` is switched (lib/ops/rollback.ts); the name stays what LIFEBOAT_CRASH_AT knows. */
export const releaseSteps = defineSteps({
  switch: ["rollback:switch", z.object({ from: z.string().nullable(), to: z.string().min(1), deployRoot: z.string().min(1) })],
});

export interface SwitchReconciliation {
  switched: boolean;
  /** What `current` pointed at before the switch (when it is known), else what it points at now. */
  previousRelease: string | null;
  current: string | null;
  decisions: string[];
}

/**
 * Recovery of a release switch whose process died. The rename over `current` is atomic, so `current` is
 * either the old or the new release; stray temporary links are removed. `finishTo`: the release `current`
 * must end on because the database already matches it (the swap committed) — the switch is then finished.
 */
export async function reconcileReleaseSwitch(
  journal: readonly JournalEntry[],
  opts: { deployRoot: string; finishTo: string | null; allowUnmarked: boolean },
): Promise<SwitchReconciliation> {
  const log = releaseSteps.read(journal);
  const decisions = [...log.problems];
  for (const l of await removeStrayTempLinks(opts.deployRoot)) decisions.push(`removed the stray temporary link ${l}`);
  let current = await readCurrentRelease(opts.deployRoot);
  const step = log.last("switch");
  const target = opts.finishTo ?? step?.to ?? null;
  let previous = step ? step.from : current;
  let switched = false;
  if (step && target && current === target && previous !== target) {
    switched = true;
    decisions.push(`current had been switched to ${target}`);
  } else if (opts.finishTo && current !== opts.finishTo) {
    try {
      previous = await switchRelease(opts.deployRoot, opts.finishTo, { allowUnmarked: opts.allowUnmarked });
      current = opts.finishTo;
      switched = true;
      decisions.push(`finished the release switch: current → ${opts.finishTo} (was ${previous ?? "nothing"}), to match the swapped database`);
    } catch (e) {
      decisions.push(`could not switch current to ${opts.finishTo} (${(e as Error).message}); current still → ${current ?? "nothing"}`);
    }
  } else if (step) {
    decisions.push(`current had not been switched; it still points at ${current ?? "nothing"}`);
  }
  if (current) {
    const complete = await assertSwitchable(opts.deployRoot, current, { allowUnmarked: current === previous }).then(
      () => true,
      () => false,
    );
    if (!complete) decisions.push(`WARNING: current points at ${current}, which is not a complete release — switch it by hand`);
  }
  return { switched, previousRelease: switched ? previous : current, current, decisions };
}
