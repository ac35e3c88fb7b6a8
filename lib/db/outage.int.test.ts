// Real driver errors, through drizzle as the pages see them: which ones mean "Lifeboat's own database is
// unreachable" (issue 6 finding 5) and which are ordinary failures that must keep the generic error page.
import net from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { urlFor } from "@/test/helpers";
import { closeDb, getDb } from "./client";
import { isMetadataUnreachable, markMetadataUnreachable, METADATA_UNREACHABLE_DIGEST } from "./outage";

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable("the query succeeded"), (e: unknown) => e);

afterAll(async () => {
  await closeDb();
});

describe("isMetadataUnreachable", () => {
  it("is true for a server that refuses connections (nothing listening)", async () => {
    const e = await failure(getDb(`postgres://u:p@127.0.0.1:${await freePort()}/lifeboat`).execute(sql`select 1`));
    expect(isMetadataUnreachable(e)).toBe(true);
    const marked = markMetadataUnreachable(e) as { digest?: string };
    expect(marked.digest).toBe(METADATA_UNREACHABLE_DIGEST);
  });

  it("is true for a metadata database that does not exist (a wrong DATABASE_URL)", async () => {
    expect(isMetadataUnreachable(await failure(getDb(urlFor("no_such_metadata_db")).execute(sql`select 1`)))).toBe(true);
  });

  it("is false for an ordinary SQL error: that page keeps the generic error with a reference", async () => {
    const e = await failure(getDb(urlFor("postgres")).execute(sql`select * from no_such_table`));
    expect(isMetadataUnreachable(e)).toBe(false);
    expect((markMetadataUnreachable(e) as { digest?: string }).digest).toBeUndefined();
  });
});
