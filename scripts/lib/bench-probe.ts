// One bench probe process (started by scripts/lib/bench-probes.ts): queries the live database every 10 ms with
// one driver — postgres.js, node-postgres (`pg`) or libpq (a psql process) — over one connection, reconnecting
// as that driver's users would, and prints a summary of every answer when it gets SIGTERM. Its settings come on
// stdin as one JSON line (the password never in argv).
import { createRequire } from "node:module";
import postgres from "postgres";
import { spawnStreaming, type StreamingProcess } from "@/lib/ops/exec";

export type Driver = "postgres.js" | "pg" | "psql";
export interface ProbeConfig {
  driver: Driver;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  psql: string;
  /** Through PgBouncer's transaction pooling: no named prepared statements. */
  pooled: boolean;
  offsetMs: number;
}

const QUERY = `SELECT (SELECT value FROM settings WHERE key = 'banner') AS banner,
  EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'pgbench_accounts_pkey') AS indexed`;
const TICK_MS = 10;
/** An answer slower than this counts as bad; a query pending longer is abandoned and the client replaced. */
const SLOW_MS = 200;
const HUNG_MS = 2500;

/** A statement_timeout sent at startup; PgBouncer refuses unknown startup parameters (08P01), so none through it. */
const startupTimeout = (c: ProbeConfig) => (c.pooled ? {} : { statement_timeout: 2000 });

type Row = { banner: string | null; indexed: boolean };
interface Client {
  query(): Promise<Row>;
  close(): void;
}

function postgresJs(c: ProbeConfig): Client {
  const sql = postgres({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, max: 1, idle_timeout: 0, connect_timeout: 2,
    prepare: !c.pooled, fetch_types: false, onnotice: () => {}, connection: { application_name: "bench-probe", ...startupTimeout(c) } });
  return { query: async () => (await sql.unsafe<Row[]>(QUERY))[0]!, close: () => void sql.end({ timeout: 0 }).catch(() => {}) };
}

interface PgClient {
  connect(): Promise<void>;
  query(q: string): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
  on(ev: "error", cb: (e: Error) => void): void;
}
const pgModule = createRequire(import.meta.url)("pg") as { Client: new (o: Record<string, unknown>) => PgClient };

function nodePg(c: ProbeConfig): Client {
  let client: PgClient | null = null;
  let connecting: Promise<PgClient> | null = null;
  const get = () =>
    (connecting ??= (async () => {
      const cl = new pgModule.Client({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database,
        connectionTimeoutMillis: 2000, application_name: "bench-probe", ...startupTimeout(c) });
      // A session ended by the server emits "error" on an idle client: the next query reconnects.
      cl.on("error", () => {
        client = null;
        connecting = null;
      });
      await cl.connect();
      client = cl;
      return cl;
    })().catch((e) => {
      connecting = null;
      throw e;
    }));
  return {
    async query() {
      const cl = client ?? (await get());
      try {
        return (await cl.query(QUERY)).rows[0]!;
      } catch (e) {
        if (!(e as { code?: string }).code || /terminat|Connection/i.test((e as Error).message)) {
          client = null;
          connecting = null;
          void cl.end().catch(() => {});
        }
        throw e;
      }
    },
    close: () => void client?.end().catch(() => {}),
  };
}

/** libpq: one psql session reading queries from stdin; psql exits when its connection is lost, then a new one starts. */
function libpq(c: ProbeConfig): Client {
  let proc: StreamingProcess | null = null;
  let buf = "";
  let waiter: ((line: string | null) => void) | null = null;
  const start = () => {
    const p = spawnStreaming(c.psql, ["-X", "-q", "-A", "-t", "-F", "|"], {
      stdin: true,
      stdout: true,
      env: { PGHOST: c.host, PGPORT: String(c.port), PGUSER: c.user, PGPASSWORD: c.password, PGDATABASE: c.database, PGAPPNAME: "bench-probe", PGCONNECT_TIMEOUT: "2", PGOPTIONS: "-c statement_timeout=2000" },
    });
    p.stdin!.on("error", () => {});
    p.stdout!.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      let i: number;
      while (waiter && (i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        waiter(line);
      }
    });
    void p.done.then(() => {
      if (proc === p) proc = null;
      waiter?.(null);
    });
    buf = "";
    return p;
  };
  const nextLine = () =>
    new Promise<string | null>((r) => {
      const i = buf.indexOf("\n");
      if (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        return r(line);
      }
      if (!proc) return r(null);
      waiter = (line) => {
        waiter = null;
        r(line);
      };
    });
  return {
    async query() {
      const p = (proc ??= start());
      const lines: string[] = [];
      p.stdin!.write(`${QUERY.replace(/\n/g, " ")};\n\\echo __end__ :ERROR :SQLSTATE\n`);
      for (;;) {
        const line = await nextLine();
        if (line === null) throw new Error("psql: connection lost");
        if (line.startsWith("__end__")) {
          const [, error, state] = line.split(" ");
          if (error === "true") throw Object.assign(new Error(`psql error ${state}`), { code: state });
          const [banner, indexed] = (lines[0] ?? "").split("|");
          return { banner: banner || null, indexed: indexed === "t" };
        }
        lines.push(line);
      }
    },
    close: () => proc?.kill(),
  };
}

async function main() {
  const config = JSON.parse(await firstLine()) as ProbeConfig;
  const make = () => (config.driver === "postgres.js" ? postgresJs(config) : config.driver === "pg" ? nodePg(config) : libpq(config));
  let client = make();
  const samples: [number, number, boolean, string | null][] = [];
  let stopping = false;
  process.on("SIGTERM", () => (stopping = true));
  const hung = Symbol("hung");
  await new Promise((r) => setTimeout(r, config.offsetMs));
  let announced = false;
  while (!stopping) {
    const start = performance.now();
    let good = false;
    let error: string | null = null;
    try {
      const got = await Promise.race([client.query(), new Promise<typeof hung>((r) => setTimeout(() => r(hung), HUNG_MS))]);
      if (got === hung) {
        client.close();
        client = make();
        throw new Error("query hung");
      }
      good = got.banner != null && got.indexed;
      if (!good) error = got.banner == null ? "banner missing" : "index not built yet";
    } catch (e) {
      error = (e as { code?: string }).code || (e as Error).message;
    }
    const end = performance.now();
    const failed = !good;
    if (end - start > SLOW_MS && good) {
      good = false;
      error = `blocked ${Math.round(end - start)} ms`;
    }
    samples.push([start, end, good, failed ? error : null]);
    if (good && !announced) {
      announced = true;
      process.stdout.write("ready\n");
    }
    const wait = TICK_MS - (performance.now() - start);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  process.stdout.write(JSON.stringify(summarize(samples)) + "\n");
  client.close();
  process.exit(0);
}

/**
 * An outage runs from the start of its first bad answer to the end of the next good one: the longest a request
 * arriving in it waited for a good answer. "failed" counts queries that got an error (not merely slow ones).
 */
export function summarize(samples: [number, number, boolean, string | null][]) {
  let longest = 0;
  let runStart: number | null = null;
  let bad = 0;
  let failed = 0;
  let slowest = 0;
  let slowestAt: number | null = null;
  let worstAt: number | null = null;
  const errors = new Set<string>();
  for (const [start, end, good, error] of samples) {
    if (end - start > slowest) {
      slowest = end - start;
      slowestAt = start;
    }
    if (!good) {
      bad++;
      if (error) {
        failed++;
        errors.add(/^[0-9A-Z]{5}$/.test(error) ? error : error.replace(/\d+/g, "N"));
      }
      runStart ??= start;
    }
    if (runStart !== null && end - runStart > longest) {
      longest = end - runStart;
      worstAt = runStart;
    }
    if (good) runStart = null;
  }
  return { downtimeMs: Math.round(longest), worstAt: worstAt === null ? null : performance.timeOrigin + worstAt, bad, failed, slowestMs: Math.round(slowest), slowestAt: slowestAt === null ? null : performance.timeOrigin + slowestAt, total: samples.length, errors: [...errors] };
}

function firstLine(): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    process.stdin.setEncoding("utf8").on("data", (d: string) => {
      data += d;
      const i = data.indexOf("\n");
      if (i >= 0) resolve(data.slice(0, i));
    });
  });
}

if (process.argv[1]?.endsWith("bench-probe.ts")) void main();
