import { beforeAll, describe, expect, it } from "vitest";
import { holdTable, waitFor } from "@/test/fixtures/workers";
import { adminSql, createScratchDb, target, urlFor } from "@/test/helpers";
import { withFingerprintedSnapshot } from "./backup-identity";
import type { OpContext } from "./context";

// The fingerprint a dump records is read beside pg_dump, in the snapshot pg_dump imports. What happens to
// that reading session must never cost the dump, and a failed dump must never wait for it.
let db: string;
const logs: string[] = [];
const ctx: OpContext = { log: (l) => logs.push(l), phase: () => {}, progress: () => {}, step: async () => {} };

async function exec(sqlText: string, database = db) {
  const sql = adminSql(database);
  try {
    return await sql.unsafe(sqlText);
  } finally {
    await sql.end();
  }
}

/** The fingerprint's own session: the open transaction on `db` that is not ours. */
async function fingerprintSession(): Promise<number | null> {
  const rows = await exec(
    `SELECT pid FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid() AND application_name = 'lifeboat' AND xact_start IS NOT NULL`,
    "postgres",
  );
  return (rows[0] as { pid?: number } | undefined)?.pid ?? null;
}

beforeAll(async () => {
  db = await createScratchDb("fp");
  await exec(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 1000) i;`);
});

describe("the fingerprint beside the dump", () => {
  it("reads the rows of the dump's own snapshot, not later writes", async () => {
    const r = await withFingerprintedSnapshot(target(db), ctx, async (snapshot) => {
      expect(snapshot).toMatch(/^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/);
      // A write after the snapshot was exported is in neither the dump nor the count.
      await exec(`INSERT INTO t SELECT i, 'late' FROM generate_series(1001, 1100) i`);
      await waitFor(async () => (await fingerprintSession()) !== null, 5000, () => "no fingerprint session");
      return "dumped";
    });
    expect(r.result).toBe("dumped");
    expect(r.fingerprint?.rows).toEqual({ "public.t": 1000 });
  });

  it("a fingerprint session ended mid-dump costs the fingerprint, never the dump", async () => {
    const lock = await holdTable(urlFor(db), "t");
    try {
      const r = await withFingerprintedSnapshot(target(db), ctx, async () => {
        // The fingerprint waits for the locked table; end its session from the outside.
        let pid: number | null = null;
        await waitFor(async () => (pid = await fingerprintSession()) !== null, 5000, () => "no fingerprint session");
        await exec(`SELECT pg_terminate_backend(${pid})`, "postgres");
        await lock.release();
        return "dumped";
      });
      expect(r.result).toBe("dumped");
      expect(r.fingerprint).toBeNull();
      expect(logs.join("\n")).toContain("could not read the fingerprint");
    } finally {
      await lock.release();
    }
  });

  it("a failed dump ends at once, even while the fingerprint waits for a lock", async () => {
    const lock = await holdTable(urlFor(db), "t");
    try {
      await expect(
        withFingerprintedSnapshot(target(db), ctx, async () => {
          await waitFor(async () => (await fingerprintSession()) !== null, 5000, () => "no fingerprint session");
          throw new Error("pg_dump failed");
        }),
      ).rejects.toThrow("pg_dump failed");
      // Its server session notices the closed connection (client_connection_check_interval) and goes away.
      await waitFor(async () => (await fingerprintSession()) === null, 10_000, () => "the fingerprint session outlived the failed dump");
    } finally {
      await lock.release();
    }
  });
});
