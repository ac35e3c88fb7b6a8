import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tmpDir, useMetaDb } from "@/test/helpers";
import { chooseDemoAppPort, demoHealthUrl, syncRegisteredEndpoints, writeDemoAppEnv } from "./demo-app";
import { freePort } from "./pg-cluster";

// The demo app's port across demo restarts, and the health URL Lifeboat has registered for it (a stale
// one made every rollback after a restart end "health check failed" although the swap had worked).

beforeAll(async () => {
  await useMetaDb();
});

async function registerShop(slug: string, healthUrl: string, dbPort: number) {
  const { createApp } = await import("@/lib/db/queries/apps");
  const { appFormSchema } = await import("@/lib/validation/apps");
  const input = appFormSchema.parse({
    slug,
    host: "127.0.0.1",
    port: String(dbPort),
    user: "shop_owner",
    database: "shop",
    backupsDir: "/tmp",
    healthUrl,
  });
  await createApp(input, { serverVersion: "15", serverVersionNum: 150000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 });
}

describe("the demo app's port", () => {
  it("stays the same across restarts while it is free", async () => {
    const root = await tmpDir("shop");
    const first = await chooseDemoAppPort(root);
    writeDemoAppEnv(root, { port: first.port, host: "127.0.0.1", pgPort: 5432, password: "x" });
    for (let i = 0; i < 3; i++) expect(await chooseDemoAppPort(root)).toEqual({ port: first.port });
  });

  it("moves when the saved port is taken, and the registered health URL and database port follow", async () => {
    const root = await tmpDir("shop");
    const saved = await freePort();
    writeDemoAppEnv(root, { port: saved, host: "127.0.0.1", pgPort: 5432, password: "x" });
    await registerShop("shop-moved", demoHealthUrl(saved), 5432);
    expect(await syncRegisteredEndpoints("shop-moved", { dbPort: 5432, healthUrl: demoHealthUrl(saved) })).toBe(false);

    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(saved, "127.0.0.1", r));
    try {
      const chosen = await chooseDemoAppPort(root);
      expect(chosen.moved).toEqual({ from: saved });
      expect(chosen.port).not.toBe(saved);
      expect(await syncRegisteredEndpoints("shop-moved", { dbPort: 6543, healthUrl: demoHealthUrl(chosen.port) })).toBe(true);
      const { getAppBySlug } = await import("@/lib/db/queries/apps");
      expect(await getAppBySlug("shop-moved")).toMatchObject({ healthUrl: `http://127.0.0.1:${chosen.port}/health`, dbPort: 6543 });
      // Saved for the next start, which keeps the new port.
      writeDemoAppEnv(root, { port: chosen.port, host: "127.0.0.1", pgPort: 6543, password: "x" });
      expect(JSON.parse(fs.readFileSync(path.join(root, "bin", "app.env.json"), "utf8")).PORT).toBe(String(chosen.port));
      expect(await chooseDemoAppPort(root)).toEqual({ port: chosen.port });
    } finally {
      squatter.close();
    }
  });
});
