import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useMetaDb } from "@/test/helpers";
import { freePort, receiver, until } from "@/test/notify-receiver";

// Notifications end to end: app events → rules → deliveries on the pg-boss queue → the in-process worker →
// a real HTTP receiver / a real SMTP server started here. Retries use a 1 s base delay (env below).
process.env.LIFEBOAT_NOTIFY_RETRY_LIMIT = "3";
process.env.LIFEBOAT_NOTIFY_RETRY_DELAY_S = "1";
process.env.LIFEBOAT_NOTIFY_TIMEOUT_MS = "3000";

let m: {
  q: typeof import("@/lib/db/queries/notifications");
  channels: typeof import("@/lib/notify/channels");
  emit: typeof import("@/lib/events/emit");
  sign: typeof import("@/lib/notify/sign");
  send: typeof import("@/lib/notify/send");
  deliver: typeof import("@/lib/notify/deliver");
  client: typeof import("@/lib/db/client");
  worker: typeof import("@/lib/jobs/worker");
};
let appId: number;
let otherAppId: number;
const logged: string[] = [];
const origError = console.error;
const origLog = console.log;

async function makeApp(slug: string): Promise<number> {
  const { apps } = await import("@/lib/db/schema");
  const [row] = await m.client.getDb().insert(apps).values({ slug, dbHost: "127.0.0.1", dbUser: "x", dbName: slug.replace(/-/g, "_"), backupsDir: "/tmp" }).returning({ id: apps.id });
  return row!.id;
}

const deliveriesOf = async (channelId: number) => m.q.listDeliveries({ channelIds: [channelId] });

beforeAll(async () => {
  await useMetaDb();
  console.error = (...a: unknown[]) => void logged.push(a.map(String).join(" "));
  console.log = (...a: unknown[]) => void logged.push(a.map(String).join(" "));
  m = {
    q: await import("@/lib/db/queries/notifications"),
    channels: await import("@/lib/notify/channels"),
    emit: await import("@/lib/events/emit"),
    sign: await import("@/lib/notify/sign"),
    send: await import("@/lib/notify/send"),
    deliver: await import("@/lib/notify/deliver"),
    client: await import("@/lib/db/client"),
    worker: await import("@/lib/jobs/worker"),
  };
  // The worker's log goes through console.log too, so the secrets check below sees it.
  await m.worker.ensureInProcessWorker();
  appId = await makeApp("notify-shop");
  otherAppId = await makeApp("notify-other");
});

afterAll(async () => {
  await m?.worker.stopInProcessWorker();
  await m?.client.closeDb();
  console.error = origError;
  console.log = origLog;
});

describe("webhook channel", () => {
  it("delivers a signed JSON body that verifies, with the event id as idempotency key, only for matching rules", async () => {
    const r = await receiver();
    const secret = "s3cret-hmac-key-for-the-test-0001";
    const { id } = await m.channels.addChannel({ kind: "webhook", name: "hook", url: r.url, secret }, null);
    expect(await m.q.addRule({ channelId: id, appId, kind: "backup.failed" })).toBe(true);
    expect(await m.q.addRule({ channelId: id, appId, kind: "backup.failed" })).toBe(false);

    // Not matching: another app, another kind.
    await m.emit.emitAppEvent({ appId: otherAppId, kind: "backup.failed", summary: "other app" });
    await m.emit.emitAppEvent({ appId, kind: "app.down", summary: "other kind" });
    const eventId = await m.emit.emitAppEvent({ appId, kind: "backup.failed", summary: "Backup #7 failed: pg_dump: disk full" });
    expect(eventId).not.toBeNull();

    const got = await until("the webhook", async () => r.got[0]);
    const ts = got.headers["x-lifeboat-timestamp"] as string;
    const sig = got.headers["x-lifeboat-signature"] as string;
    expect(m.sign.verifySignature({ secret, timestamp: ts, body: got.body, signature: sig })).toBe(true);
    expect(m.sign.verifySignature({ secret: "wrong-secret-wrong-secret", timestamp: ts, body: got.body, signature: sig })).toBe(false);
    expect(m.sign.verifySignature({ secret, timestamp: ts, body: got.body.replace("disk full", "all good"), signature: sig })).toBe(false);
    // Replayed later than the window: refused by a receiver that checks the timestamp.
    expect(m.sign.verifySignature({ secret, timestamp: ts, body: got.body, signature: sig, nowSec: Number(ts) + 301 })).toBe(false);
    expect(JSON.parse(got.body)).toMatchObject({ id: `event-${eventId}`, kind: "backup.failed", label: "Backup failed", summary: "Backup #7 failed: pg_dump: disk full", app: { slug: "notify-shop" } });
    expect(got.headers["x-lifeboat-event-id"]).toBe(`event-${eventId}`);

    const log = await until("delivered", async () => ((await deliveriesOf(id))[0]?.status === "delivered" ? deliveriesOf(id) : null));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ eventId, attempts: 1, lastStatusCode: 200, status: "delivered" });
    // Handing the same event over again makes no second delivery.
    await m.deliver.notifyEvent(eventId!);
    expect(await deliveriesOf(id)).toHaveLength(1);
    expect(r.got).toHaveLength(1);
    await r.close();
  });

  it("retries a refused delivery (500, then 200) with the same body and logs both attempts", async () => {
    const r = await receiver((n) => (n === 0 ? 500 : 200));
    const { id } = await m.channels.addChannel({ kind: "webhook", name: "flaky", url: r.url, secret: "another-secret-of-enough-length" }, null);
    await m.q.addRule({ channelId: id, appId: null, kind: "rollback.failed" });
    const eventId = await m.emit.emitAppEvent({ appId, kind: "rollback.failed", summary: "Rollback to r1 failed" });

    const retrying = await until("the retry state", async () => (await deliveriesOf(id)).find((d) => d.status === "retrying"));
    expect(retrying).toMatchObject({ attempts: 1, lastStatusCode: 500, lastError: expect.stringMatching(/answered 500/) });
    expect(retrying.nextRetryAt).not.toBeNull();
    const done = await until("delivered", async () => (await deliveriesOf(id)).find((d) => d.status === "delivered"));
    expect(done).toMatchObject({ attempts: 2, lastStatusCode: 200, lastError: null, eventId });
    expect(r.got).toHaveLength(2);
    expect(JSON.parse(r.got[0]!.body).id).toBe(JSON.parse(r.got[1]!.body).id);
    await r.close();
  });

  it("retries while the receiver is down and delivers once it is up", async () => {
    const port = await freePort();
    const { id } = await m.channels.addChannel({ kind: "webhook", name: "late", url: `http://127.0.0.1:${port}/hook`, secret: "late-secret-late-secret-late" }, null);
    await m.q.addRule({ channelId: id, appId, kind: "app.down" });
    await m.emit.emitAppEvent({ appId, kind: "app.down", summary: "shop is down" });
    const refused = await until("a refused attempt", async () => (await deliveriesOf(id)).find((d) => d.attempts >= 1));
    expect(refused.status).toBe("retrying");
    expect(refused.lastError).toMatch(/ECONNREFUSED/);
    const r = await receiver(() => 200, port);
    const done = await until("delivered", async () => (await deliveriesOf(id)).find((d) => d.status === "delivered"), 60_000);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(r.got).toHaveLength(1);
    await r.close();
  });

  it("gives up after the retry limit and says so", async () => {
    const r = await receiver(() => 503);
    const { id } = await m.channels.addChannel({ kind: "webhook", name: "broken", url: r.url, secret: "broken-secret-broken-secret" }, null);
    const testId = await m.deliver.sendTestNotification(id, "admin@example.com");
    const failed = await until("failed", async () => (await deliveriesOf(id)).find((d) => d.id === testId && d.status === "failed"), 60_000);
    expect(failed).toMatchObject({ attempts: 4, lastStatusCode: 503, nextRetryAt: null, kind: "test" });
    expect(r.got).toHaveLength(4);
    expect(JSON.parse(r.got[0]!.body)).toMatchObject({ id: `test-${testId}`, kind: "test" });
    await r.close();
  });

  it("a disabled channel gets nothing", async () => {
    const r = await receiver();
    const { id } = await m.channels.addChannel({ kind: "webhook", name: "off", url: r.url, secret: "off-secret-off-secret-off" }, null);
    await m.q.addRule({ channelId: id, appId, kind: "health.failed" });
    await m.q.setChannelEnabled(id, false);
    await m.emit.emitAppEvent({ appId, kind: "health.failed", summary: "health failed" });
    expect(await deliveriesOf(id)).toHaveLength(0);
    await r.close();
  });
});

describe("one attempt against a hostile receiver", () => {
  it("a redirect is reported, not followed; a receiver that never answers is given up on at the timeout", async () => {
    const target = await receiver();
    const http = await import("node:http");
    const hang = http.createServer((req, res) => {
      if (req.url === "/redirect") return void res.writeHead(302, { location: target.url }).end();
      // never answers
    });
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
    const port = (hang.address() as AddressInfo).port;
    const channel = (url: string) => ({ id: 0, name: "x", kind: "webhook" as const, enabled: true, config: {}, secret: { url, hmacSecret: "hostile-secret-hostile-secret" } });
    const msg = { key: "test-0", kind: "test", summary: "x", app: null, at: new Date(), details: {} };
    expect(await m.send.sendToChannel(channel(`http://127.0.0.1:${port}/redirect`), msg, 2000)).toMatchObject({ ok: false, statusCode: 302 });
    expect(target.got).toHaveLength(0);
    expect(await m.send.sendToChannel(channel(`http://127.0.0.1:${port}/slow`), msg, 500)).toMatchObject({ ok: false, error: "no answer within the timeout" });
    hang.closeAllConnections();
    hang.close();
    await target.close();
  });
});

describe("slack channel", () => {
  it("posts {text} to the incoming-webhook URL, and the URL (a credential) is never shown or logged", async () => {
    const r = await receiver();
    const secretPath = "/services/T000/B000/XXXXsecretXXXXtoken";
    const url = `http://127.0.0.1:${r.port}${secretPath}`;
    const { id } = await m.channels.addChannel({ kind: "slack", name: "slack", url }, null);
    await m.q.addRule({ channelId: id, appId, kind: "rollback.finished" });
    await m.emit.emitAppEvent({ appId, kind: "rollback.finished", summary: "Rolled back to r1 with its database" });
    const got = await until("the slack post", async () => r.got[0]);
    const body = JSON.parse(got.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["text"]);
    expect(body.text).toMatch(/Rollback finished.*notify-shop[\s\S]*Rolled back to r1/);
    expect(got.headers["x-lifeboat-signature"]).toBeUndefined();
    await r.close();

    // Now the receiver is gone: the error is logged without the URL's secret path.
    await m.emit.emitAppEvent({ appId, kind: "rollback.finished", summary: "second" });
    const refused = await until("refused", async () => (await deliveriesOf(id)).find((d) => d.status === "retrying"));
    expect(refused.lastError).not.toContain("XXXXsecretXXXXtoken");
    const listed = JSON.stringify(await m.q.listChannels());
    expect(listed).not.toContain("XXXXsecretXXXXtoken");
    expect(listed).toContain(`http://127.0.0.1:${r.port}/…`);
  });
});

describe("secrets at rest and in logs", () => {
  it("stores URL, HMAC secret and SMTP password encrypted; lists, logs and errors never carry them", async () => {
    const hmac = "hmac-secret-never-shown-0123456789";
    const password = "smtp-password-never-shown";
    const port = await freePort();
    const { id: hookId } = await m.channels.addChannel({ kind: "webhook", name: "creds", url: `http://alice:url-pass-never-shown@127.0.0.1:${port}/h?token=query-token-never-shown`, secret: hmac }, null);
    await m.channels.addChannel({ kind: "email", name: "mail-secret", host: "127.0.0.1", port: 1, user: "u", password, from: "lifeboat@example.com", to: ["ops@example.com"], tlsSkipVerify: false }, null);
    await m.q.addRule({ channelId: hookId, appId, kind: "backup.tampered" });
    await m.emit.emitAppEvent({ appId, kind: "backup.tampered", summary: "tampered" });
    await until("a failed attempt", async () => (await deliveriesOf(hookId)).find((d) => d.attempts >= 1));

    const sql = m.client.getDb().$client;
    const raw = JSON.stringify(await sql`select * from notify_channels`);
    const shown = JSON.stringify([await m.q.listChannels(), await m.q.listDeliveries(), await m.q.listRules()]);
    for (const s of [hmac, password, "url-pass-never-shown", "query-token-never-shown"]) {
      expect(raw, "stored in clear").not.toContain(s);
      expect(shown, "shown").not.toContain(s);
      expect(logged.join("\n"), "logged").not.toContain(s);
    }
    expect(shown).toContain("http://127.0.0.1:" + port + "/h?…");
  });
});

describe("email channel (real SMTP server, STARTTLS)", () => {
  async function smtp(opts: Partial<ConstructorParameters<typeof SMTPServer>[0]> = {}) {
    const mails: { raw: string; secure: boolean; user?: string; to: string[] }[] = [];
    const server = new SMTPServer({
      // The package's own self-signed certificate; STARTTLS offered, AUTH only after it.
      authOptional: false,
      onAuth(auth, _session, cb) {
        if (auth.username === "mailer" && auth.password === "mail-pass-123") cb(null, { user: auth.username });
        else cb(new Error("bad credentials"));
      },
      onData(stream, session, cb) {
        let raw = "";
        stream.on("data", (c: Buffer) => (raw += c.toString("utf8")));
        stream.on("end", () => {
          mails.push({ raw, secure: session.secure, user: session.user as string | undefined, to: session.envelope.rcptTo.map((t) => t.address) });
          cb();
        });
      },
      logger: false,
      ...opts,
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.server.address() as AddressInfo).port;
    return { port, mails, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  const mailChannel = async (name: string, port: number, tlsSkipVerify: boolean) => {
    const { id } = await m.channels.addChannel({ kind: "email", name, host: "127.0.0.1", port, user: "mailer", password: "mail-pass-123", from: "lifeboat@example.com", to: ["ops@example.com", "dev@example.com"], tlsSkipVerify }, null);
    return (await m.q.getChannelForSend(id))!;
  };
  const msg = { key: "event-999", kind: "backup.failed", summary: "Backup #3 failed", app: { slug: "notify-shop" }, at: new Date(), details: {} };

  it("sends over STARTTLS with AUTH through the queue, to every recipient", async () => {
    const s = await smtp();
    const ch = await mailChannel("mail", s.port, true);
    await m.q.addRule({ channelId: ch.id, appId, kind: "drill.failed" });
    const eventId = await m.emit.emitAppEvent({ appId, kind: "drill.failed", summary: "Drill of backup #3 failed: 12 rows missing" });
    const mail = await until("the mail", async () => s.mails[0]);
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe("mailer");
    expect(mail.to).toEqual(["ops@example.com", "dev@example.com"]);
    expect(mail.raw).toMatch(/Subject: \[Lifeboat\] notify-shop: Restore drill failed/);
    expect(mail.raw).toContain("Drill of backup #3 failed: 12 rows missing");
    expect(mail.raw).toMatch(new RegExp(`^X-Lifeboat-Event-Id: event-${eventId}\\r$`, "im"));
    const d = await until("delivered", async () => (await deliveriesOf(ch.id)).find((x) => x.status === "delivered"));
    expect(d.lastStatusCode).toBe(250);
    await s.close();
  });

  it("refuses a server that does not offer STARTTLS, and an unverifiable certificate unless allowed", async () => {
    const plain = await smtp({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
    const out = await m.send.sendToChannel(await mailChannel("mail-plain", plain.port, true), msg, 3000);
    expect(out).toMatchObject({ ok: false, error: expect.stringMatching(/STARTTLS/i) });
    expect(plain.mails).toHaveLength(0);
    await plain.close();

    const s = await smtp();
    const strict = await m.send.sendToChannel(await mailChannel("mail-strict", s.port, false), msg, 3000);
    expect(strict).toMatchObject({ ok: false, error: expect.stringMatching(/certificate/i) });
    expect(s.mails).toHaveLength(0);
    await s.close();
  });
});
