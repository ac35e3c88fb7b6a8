// Checks for what npm cannot install, with the exact apt command to fix each.
import fs from "node:fs";
import { listPgBinDirs } from "@/lib/ops/pg-bin";

export const CHROMIUM_PATHS = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

export async function checkPostgres(): Promise<string | null> {
  const dirs = await listPgBinDirs(process.env.PG_BIN || undefined).catch(() => []);
  const tools = ["initdb", "pg_ctl", "pg_dump", "pg_restore", "psql"];
  const ok = dirs.find((d) => tools.every((t) => fs.existsSync(`${d.dir}/${t}`)));
  if (ok) return null;
  return (
    "PostgreSQL server and client programs are missing (need initdb, pg_ctl, pg_dump, pg_restore, psql).\n" +
    "Install them with:\n  sudo apt-get update && sudo apt-get install -y postgresql postgresql-client\n" +
    "or point PG_BIN at a directory that has them."
  );
}

export function chromiumPath(): string | undefined {
  return CHROMIUM_PATHS.find((p) => fs.existsSync(p));
}

export function checkChromium(): string | null {
  if (chromiumPath()) return null;
  return (
    "Chromium is missing (the end-to-end tests run in Debian's Chromium).\n" +
    "Install it with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium"
  );
}

export function checkPgBouncer(): string | null {
  if (["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].some((p) => fs.existsSync(p))) return null;
  return (
    "PgBouncer is missing (the swap-through-PgBouncer tests and bench:rollback start one).\n" +
    "Install it with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends pgbouncer"
  );
}

export function checkAnsible(): string | null {
  if (["/usr/bin/ansible-playbook", "/usr/local/bin/ansible-playbook"].some((p) => fs.existsSync(p))) return null;
  return (
    "ansible-playbook is missing (the integrations/ test runs the Ansible playbook for real).\n" +
    "Install it with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends ansible-core"
  );
}

/** Prints every missing prerequisite and exits 1 if any. */
export async function requirePrereqs(opts: { chromium?: boolean; pgbouncer?: boolean; ansible?: boolean } = {}): Promise<void> {
  const problems = [await checkPostgres(), opts.chromium ? checkChromium() : null, opts.pgbouncer ? checkPgBouncer() : null, opts.ansible ? checkAnsible() : null].filter(
    (p): p is string => !!p,
  );
  if (problems.length) {
    for (const p of problems) console.error(`\n✖ ${p}`);
    console.error("");
    process.exit(1);
  }
}
