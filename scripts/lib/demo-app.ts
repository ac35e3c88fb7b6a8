// The demo app "shop" as the demo runs it: its settings file (bin/app.env.json, which appctl.mjs reads),
// a port that stays the same across restarts (so the health URL Lifeboat has registered stays right), and
// its start and stop commands.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { getAppBySlug, setAppEndpoints } from "@/lib/db/queries/apps";
import { run } from "@/lib/ops/exec";
import { freePort } from "./pg-cluster";

export interface DemoAppSettings {
  port: number;
  host: string;
  pgPort: number;
  password: string;
}

export function demoAppEnvFile(deployRoot: string): string {
  return path.join(deployRoot, "bin", "app.env.json");
}

/** The demo app's runtime settings (port, database); appctl.mjs reads them. Demo-only: holds a password. */
export function writeDemoAppEnv(deployRoot: string, v: DemoAppSettings): void {
  const file = demoAppEnvFile(deployRoot);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify({ PORT: String(v.port), PGHOST: v.host, PGPORT: String(v.pgPort), PGUSER: "shop_owner", PGPASSWORD: v.password, PGDATABASE: "shop" }),
    { mode: 0o600 },
  );
}

export function readDemoAppEnv(deployRoot: string): Record<string, string> | undefined {
  try {
    return JSON.parse(fs.readFileSync(demoAppEnvFile(deployRoot), "utf8"));
  } catch {
    return undefined;
  }
}

export function portFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * The port the demo app listens on: the one saved in its settings file when it is free, else a new free
 * one (`moved` says so, and the caller re-registers the health URL).
 */
export async function chooseDemoAppPort(deployRoot: string): Promise<{ port: number; moved?: { from: number } }> {
  const saved = Number(readDemoAppEnv(deployRoot)?.PORT);
  if (Number.isInteger(saved) && saved > 0) {
    if (await portFree(saved)) return { port: saved };
    return { port: await freePort(), moved: { from: saved } };
  }
  return { port: await freePort() };
}

export function demoHealthUrl(port: number): string {
  return `http://127.0.0.1:${port}/health`;
}

/**
 * Makes what Lifeboat has registered for the app follow where it now is: its health URL (the app moved to
 * a free port) and its database port (the cluster did). True when something changed.
 */
export async function syncRegisteredEndpoints(slug: string, now: { dbPort: number; healthUrl: string }): Promise<boolean> {
  const app = await getAppBySlug(slug);
  if (!app || (app.healthUrl === now.healthUrl && app.dbPort === now.dbPort)) return false;
  await setAppEndpoints(app.id, now);
  return true;
}

export function appctlPath(deployRoot: string): string {
  return path.join(deployRoot, "bin", "appctl.mjs");
}

/** appctl start|stop with the app's settings. Stopping a stopped app succeeds. */
export async function appctl(deployRoot: string, cmd: "start" | "stop"): Promise<void> {
  const ctl = appctlPath(deployRoot);
  if (!fs.existsSync(ctl)) return;
  await run("node", [ctl, cmd], { env: readDemoAppEnv(deployRoot) ?? {}, timeoutMs: 30_000 });
}
