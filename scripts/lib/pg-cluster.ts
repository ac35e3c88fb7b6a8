// A throwaway PostgreSQL cluster for the demo, the tests and the benchmarks, built from the system's
// PostgreSQL programs. As root the server programs run as the `postgres` user (initdb refuses root).
import crypto from "node:crypto";
import { accessSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { run, runUnchecked } from "@/lib/ops/exec";
import { listPgBinDirs, APT_HINT } from "@/lib/ops/pg-bin";

export interface ClusterInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  socketDir: string;
  binDir: string;
  major: number;
}

export interface StartOptions {
  baseDir: string;
  /** fsync=off: for tests only; never for data anyone keeps. */
  fsyncOff?: boolean;
  log?: (line: string) => void;
}

export class Cluster {
  constructor(
    readonly info: ClusterInfo,
    private readonly asPostgres: (file: string, args: string[]) => Promise<unknown>,
  ) {}

  url(database = "postgres", user = this.info.user, password = this.info.password): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${this.info.host}:${this.info.port}/${encodeURIComponent(database)}`;
  }

  async stop(): Promise<void> {
    await this.asPostgres(path.join(this.info.binDir, "pg_ctl"), ["-D", this.info.dataDir, "-m", "fast", "-w", "stop"]);
  }

  /** Tests only: a crash-like stop (no checkpoint, sessions cut). startCluster() with the same baseDir starts it again. */
  async stopImmediate(): Promise<void> {
    await this.asPostgres(path.join(this.info.binDir, "pg_ctl"), ["-D", this.info.dataDir, "-m", "immediate", "-w", "stop"]);
  }
}

const isRoot = () => process.getuid?.() === 0;

export async function startCluster(opts: StartOptions): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  const bins = await listPgBinDirs(process.env.PG_BIN || undefined);
  const bin = bins.find((b) => existsSync(path.join(b.dir, "initdb")));
  if (!bin) {
    throw new Error(`PostgreSQL server programs (initdb, pg_ctl) are not installed.\nInstall them with:\n  ${APT_HINT}`);
  }
  const baseDir = path.resolve(opts.baseDir);
  const dataDir = path.join(baseDir, "data");
  const socketDir = path.join(baseDir, "run");
  const stateFile = path.join(baseDir, "cluster.json");
  await fs.mkdir(socketDir, { recursive: true });
  await fs.chmod(baseDir, 0o755);

  const asPostgres = async (file: string, args: string[]) =>
    isRoot() ? run("runuser", ["-u", "postgres", "--", file, ...args]) : run(file, args);

  if (isRoot()) {
    const probe = await runUnchecked("runuser", ["-u", "postgres", "--", "test", "-x", baseDir]);
    if (probe.code !== 0) {
      throw new Error(
        `The postgres user cannot reach ${baseDir} (a parent directory is not traversable). ` +
          `Run Lifeboat from a directory that other users can enter, or chmod o+x its parents.`,
      );
    }
    await run("chown", ["postgres:postgres", socketDir]);
  }

  let state = await readState(stateFile);
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`Creating a PostgreSQL ${bin.major} cluster in ${dataDir}`);
    state = { port: 0, password: crypto.randomBytes(18).toString("base64url") };
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const pwFile = path.join(baseDir, ".pwfile");
    await fs.writeFile(pwFile, state.password + "\n", { mode: 0o600 });
    if (isRoot()) await run("chown", ["-R", "postgres:postgres", dataDir, pwFile]);
    try {
      await asPostgres(path.join(bin.dir, "initdb"), [
        "-D", dataDir, "-U", "postgres", `--pwfile=${pwFile}`,
        "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C",
      ]);
    } finally {
      await fs.rm(pwFile, { force: true });
    }
    await fs.appendFile(path.join(dataDir, "postgresql.conf"), "\ninclude_if_exists = 'lifeboat.conf'\n");
  }
  if (!state) throw new Error(`${stateFile} is missing; remove ${baseDir} to start over.`);

  const pgCtl = path.join(bin.dir, "pg_ctl");
  const running = (await runUnchecked(isRoot() ? "runuser" : pgCtl,
    isRoot() ? ["-u", "postgres", "--", pgCtl, "-D", dataDir, "status"] : ["-D", dataDir, "status"])).code === 0;

  if (!running) {
    if (!state.port || !(await portFree(state.port))) state.port = await freePort();
    const conf = [
      `port = ${state.port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${socketDir}'`,
      `max_connections = 200`,
      opts.fsyncOff ? "fsync = off\nsynchronous_commit = off\nfull_page_writes = off" : "",
    ].join("\n");
    const confFile = path.join(dataDir, "lifeboat.conf");
    await fs.writeFile(confFile, conf + "\n", { mode: 0o600 });
    if (isRoot()) await run("chown", ["postgres:postgres", confFile]);
    log(`Starting PostgreSQL ${bin.major} on 127.0.0.1:${state.port}`);
    await asPostgres(pgCtl, ["-D", dataDir, "-l", path.join(socketDir, "postgres.log"), "-w", "-t", "60", "start"]);
  } else {
    log(`Reusing the running PostgreSQL cluster on 127.0.0.1:${state.port}`);
  }
  await fs.writeFile(stateFile, JSON.stringify(state), { mode: 0o600 });

  return new Cluster(
    { host: "127.0.0.1", port: state.port, user: "postgres", password: state.password, dataDir, socketDir, binDir: bin.dir, major: bin.major },
    asPostgres,
  );
}

async function readState(file: string): Promise<{ port: number; password: string } | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8"));
  } catch {
    return undefined;
  }
}

function existsSync(p: string): boolean {
  try {
    accessSync(p);
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}
