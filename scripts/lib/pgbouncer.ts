// A throwaway PgBouncer in front of a throwaway cluster, for the tests and bench:rollback. PgBouncer refuses
// to run as root, so as root it runs as the `postgres` user, with its files in a directory that user owns.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { run, runUnchecked } from "@/lib/ops/exec";
import { freePort } from "./pg-cluster";

export interface PgBouncerInfo {
  host: string;
  port: number;
  /** The admin console's user (admin_users) and password. */
  adminUser: string;
  adminPassword: string;
}

export interface StartPgBouncerOptions {
  dir: string;
  /** The PostgreSQL server behind it, and a login PgBouncer may use for it (also the clients' login). */
  server: { host: string; port: number; user: string; password: string };
  poolMode?: "transaction" | "session";
  port?: number;
}

export class PgBouncer {
  constructor(
    readonly info: PgBouncerInfo,
    private readonly pidFile: string,
  ) {}

  /** A client URL through PgBouncer as the server's user. */
  url(database: string, user: string, password: string): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${this.info.host}:${this.info.port}/${encodeURIComponent(database)}`;
  }

  async stop(): Promise<void> {
    const pid = Number((await fs.readFile(this.pidFile, "utf8").catch(() => "")).trim());
    if (!pid) return;
    try {
      process.kill(pid, "SIGINT");
    } catch {
      return;
    }
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(pid, "SIGKILL");
  }
}

const isRoot = () => process.getuid?.() === 0;

/** Starts PgBouncer (Debian package `pgbouncer`) daemonized; every database name maps to the same server. */
export async function startPgBouncer(opts: StartPgBouncerOptions): Promise<PgBouncer> {
  const dir = path.resolve(opts.dir);
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, 0o755);
  const port = opts.port ?? (await freePort());
  const adminUser = "lifeboat_pgb_admin";
  const adminPassword = crypto.randomBytes(12).toString("base64url");
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const userlist = path.join(dir, "userlist.txt");
  await fs.writeFile(userlist, `${q(opts.server.user)} ${q(opts.server.password)}\n${q(adminUser)} ${q(adminPassword)}\n`, { mode: 0o600 });
  const pidFile = path.join(dir, "pgbouncer.pid");
  const ini = path.join(dir, "pgbouncer.ini");
  await fs.writeFile(
    ini,
    [
      "[databases]",
      `* = host=${opts.server.host} port=${opts.server.port}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = scram-sha-256",
      `auth_file = ${userlist}`,
      `admin_users = ${adminUser}`,
      `pool_mode = ${opts.poolMode ?? "transaction"}`,
      "max_client_conn = 200",
      "default_pool_size = 10",
      // Drivers send these at startup; PgBouncer refuses unknown ones unless told to ignore them.
      "ignore_startup_parameters = extra_float_digits,options",
      `logfile = ${path.join(dir, "pgbouncer.log")}`,
      `pidfile = ${pidFile}`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const argv = ["-d", ini];
  if (isRoot()) {
    await run("chown", ["-R", "postgres:postgres", dir]);
    const which = await runUnchecked("runuser", ["-u", "postgres", "--", "pgbouncer", "--version"]);
    if (which.code !== 0) throw new Error("PgBouncer is not installed. Install it with:\n  apt-get install -y --no-install-recommends pgbouncer");
    await run("runuser", ["-u", "postgres", "--", "pgbouncer", ...argv]);
  } else {
    await run("pgbouncer", argv);
  }
  const bouncer = new PgBouncer({ host: "127.0.0.1", port, adminUser, adminPassword }, pidFile);
  // -d returns once it has forked; wait until it listens.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return bouncer;
    if (i > 100) throw new Error(`PgBouncer did not start listening on ${port}; see ${path.join(dir, "pgbouncer.log")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
