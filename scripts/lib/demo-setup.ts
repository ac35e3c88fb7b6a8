// Small pieces of `npm run demo` (scripts/demo.ts): its secrets, kept between runs, the environment file that
// points the CLI at it, and whether the production build is older than the source.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface DemoSecrets {
  authSecret: string;
  secretKey: string;
  adminPassword: string;
  shopPassword: string;
}

/** The demo's secrets: made once (0600 in the demo's directory), then the same on every run. */
export function loadDemoSecrets(baseDir: string): DemoSecrets {
  const file = path.join(baseDir, "secrets.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  const rnd = (n: number) => crypto.randomBytes(n).toString("base64url");
  const s: DemoSecrets = {
    authSecret: rnd(32),
    secretKey: crypto.randomBytes(32).toString("base64"),
    adminPassword: `${rnd(6)}-${rnd(6)}-${rnd(6)}`,
    shopPassword: rnd(18),
  };
  fs.writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

/** The file (0600, in the demo's directory) that points a shell's `npm run lifeboat` at the demo. */
export const CLI_ENV = "cli.env";

/** Writes CLI_ENV: the demo's metadata database and key, for `set -a; . <dir>/cli.env; set +a`. */
export function writeCliEnv(baseDir: string, vars: { DATABASE_URL: string; LIFEBOAT_SECRET_KEY: string }): void {
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const text = Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`).join("\n") + "\n";
  const file = path.join(baseDir, CLI_ENV);
  fs.writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** True when there is no production build, or a file under app/, components/ or lib/ is newer than it. */
export function needsBuild(root = process.cwd()): boolean {
  const id = path.join(root, ".next", "BUILD_ID");
  if (!fs.existsSync(id)) return true;
  const built = fs.statSync(id).mtimeMs;
  const newest = (dir: string): number => {
    let m = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      m = Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }
    return m;
  };
  return ["app", "components", "lib"].some((d) => fs.existsSync(path.join(root, d)) && newest(path.join(root, d)) > built);
}
