// The Notifications page's actions against a real metadata database: admin only, hostile input refused before
// anything is stored, secrets never returned, never in the audit log, never in what the page lists. Editing a
// channel and rotating a webhook's signing secret run against the in-process worker and real local HTTP receivers:
// a changed URL is where the next (and a retrying) delivery goes, a rotated secret signs what follows, a channel
// turned off gets nothing, a blank secret field keeps the stored secret, hostile input changes nothing, and a
// deleted channel's queued delivery ends as "channel deleted".
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/lib/auth/session";
import { useMetaDb } from "@/test/helpers";
import { receiver, until, type Receiver } from "@/test/notify-receiver";

process.env.LIFEBOAT_NOTIFY_RETRY_LIMIT = "20";
process.env.LIFEBOAT_NOTIFY_RETRY_DELAY_S = "1";
process.env.LIFEBOAT_NOTIFY_TIMEOUT_MS = "3000";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/auth/session", () => ({
  getSessionUser: async () => session.user,
  requireUser: async () => {
    throw new Error("pages are not under test here");
  },
}));
vi.mock("@/lib/auth", () => ({}));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

let actions: typeof import("./actions");
let q: typeof import("@/lib/db/queries/notifications");
let client: typeof import("@/lib/db/client");
let emit: typeof import("@/lib/events/emit");
let sign: typeof import("@/lib/notify/sign");
let worker: typeof import("@/lib/jobs/worker");
let appId: number;
const receivers: Receiver[] = [];

const form = (o: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(o)) f.append(k, v);
  return f;
};

const verifies = (secret: string, got: { headers: Record<string, unknown>; body: string }) =>
  sign.verifySignature({ secret, timestamp: got.headers["x-lifeboat-timestamp"] as string, body: got.body, signature: got.headers["x-lifeboat-signature"] as string });
async function listen(answer?: (n: number) => number) {
  const r = await receiver(answer);
  receivers.push(r);
  return r;
}
async function webhook(name: string, url: string, secret: string): Promise<number> {
  const r = await actions.createChannelAction(form({ kind: "webhook", name, url, secret }));
  if (r.status !== "ok") throw new Error(r.message);
  await q.addRule({ channelId: r.data.id, appId, kind: "backup.failed" });
  return r.data.id;
}
const deliveriesOf = (channelId: number) => q.listDeliveries({ channelIds: [channelId] });

beforeAll(async () => {
  await useMetaDb();
  actions = await import("./actions");
  q = await import("@/lib/db/queries/notifications");
  client = await import("@/lib/db/client");
  const { createUser } = await import("@/lib/db/queries/users");
  const admin = await createUser({ email: "admin@example.com", password: "admin-password-1", role: "admin" });
  session.user = { id: admin.id, email: "admin@example.com", role: "admin" };
  emit = await import("@/lib/events/emit");
  sign = await import("@/lib/notify/sign");
  worker = await import("@/lib/jobs/worker");
  const { apps } = await import("@/lib/db/schema");
  const [row] = await client.getDb().insert(apps).values({ slug: "edit-shop", dbHost: "127.0.0.1", dbUser: "x", dbName: "edit_shop", backupsDir: "/tmp" }).returning({ id: apps.id });
  appId = row!.id;
  await worker.ensureInProcessWorker();
});
afterAll(async () => {
  await worker?.stopInProcessWorker();
  for (const r of receivers) await r.close();
  await client?.closeDb();
});

describe("channel actions", () => {
  it("refuses hostile input and stores nothing", async () => {
    const hostile: Record<string, string>[] = [
      { kind: "webhook", name: "a", url: "javascript:alert(1)" },
      { kind: "webhook", name: "a", url: "file:///etc/passwd" },
      { kind: "webhook", name: "a", url: "ftp://example.com/x" },
      { kind: "webhook", name: "a", url: "http://exa mple.com/" },
      { kind: "webhook", name: "a", url: "http://example.com/\r\nX-Evil: 1" },
      { kind: "webhook", name: "a\u0000b", url: "https://example.com/" },
      { kind: "webhook", name: "a", url: "https://example.com/", secret: "short" },
      { kind: "slack", name: "a", url: "gopher://example.com/" },
      { kind: "email", name: "m", host: "mail.example.com", port: "587", from: "a@example.com", to: "ops@example.com\r\nBcc: evil@example.com" },
      { kind: "email", name: "m", host: "mail.example.com;rm -rf /", port: "587", from: "a@example.com", to: "ops@example.com" },
      { kind: "email", name: "m", host: "mail.example.com", port: "70000", from: "a@example.com", to: "ops@example.com" },
      { kind: "email", name: "m", host: "mail.example.com", port: "587", from: "not-an-address", to: "ops@example.com" },
      { kind: "sms", name: "x" },
      { name: "x".repeat(61), kind: "slack", url: "https://hooks.example.com/x" },
    ];
    for (const input of hostile) expect(await actions.createChannelAction(form(input)), JSON.stringify(input)).toMatchObject({ status: "invalid" });
    expect(await q.listChannels()).toHaveLength(0);
    // Every refusal is audited, the one with a NUL byte in it too (it used to make the audit insert fail).
    const rows = await client.getDb().$client`select result from audit_log where action = 'notifications.channel_create'`;
    expect(rows.map((r) => r.result)).toEqual(hostile.map(() => "invalid"));
  });

  it("makes a signing secret once, returns no other secret, and keeps them out of the audit log", async () => {
    // A user:password@ in the URL cannot be sent (fetch refuses it): refused, and not written down anywhere.
    const withLogin = await actions.createChannelAction(form({ kind: "webhook", name: "pager", url: "https://user:hook-pass-xyz@hooks.example.com/in" }));
    expect(withLogin).toMatchObject({ status: "invalid", fieldErrors: { url: [expect.stringContaining("no user:password@")] } });
    const url = "https://hooks.example.com/in?token=tok-secret-xyz";
    const r = await actions.createChannelAction(form({ kind: "webhook", name: "pager", url }));
    expect(r).toMatchObject({ status: "ok", data: { name: "pager", generatedSecret: expect.stringMatching(/^[\w-]{40,}$/) } });
    const slack = await actions.createChannelAction(form({ kind: "slack", name: "chat", url: "https://hooks.slack.example/services/T1/B2/slack-secret-xyz" }));
    expect(slack).toMatchObject({ status: "ok", data: { generatedSecret: null } });
    const mail = await actions.createChannelAction(form({ kind: "email", name: "mail", host: "smtp.example.com", port: "587", user: "u", password: "smtp-pass-xyz", from: "lb@example.com", to: "a@example.com, b@example.com" }));
    expect(mail).toMatchObject({ status: "ok" });
    expect(JSON.stringify(mail)).not.toContain("smtp-pass-xyz");
    expect(await actions.createChannelAction(form({ kind: "slack", name: "chat", url: "https://hooks.slack.example/x" }))).toMatchObject({ status: "error", code: "exists" });

    const generated = r.status === "ok" ? r.data.generatedSecret! : "";
    const sql = client.getDb().$client;
    const audit = JSON.stringify(await sql`select * from audit_log`);
    const shown = JSON.stringify(await q.listChannels());
    for (const s of ["hook-pass-xyz", "tok-secret-xyz", "slack-secret-xyz", "smtp-pass-xyz", generated]) {
      expect(audit).not.toContain(s);
      expect(shown).not.toContain(s);
    }
    expect(shown).toContain("https://hooks.example.com/in?…");
    expect(audit).toContain("notifications.channel_create");
  });

  it("adds a rule for one app or every app, refuses an unknown app, and is admin-only", async () => {
    const [ch] = await q.listChannels();
    expect(await actions.addRuleAction(form({ channelId: String(ch!.id), app: "*", kind: "backup.failed" }))).toMatchObject({ status: "ok", data: { added: true } });
    expect(await actions.addRuleAction(form({ channelId: String(ch!.id), app: "", kind: "backup.failed" }))).toMatchObject({ status: "ok", data: { added: false } });
    expect(await actions.addRuleAction(form({ channelId: String(ch!.id), app: "nosuchapp", kind: "backup.failed" }))).toMatchObject({ status: "error", code: "not_found" });
    expect(await actions.addRuleAction(form({ channelId: String(ch!.id), app: "*", kind: "drop table" }))).toMatchObject({ status: "invalid" });
    const me = session.user;
    session.user = { id: 999, email: "op@example.com", role: "operator" };
    expect(await actions.sendTestNotificationAction(form({ channelId: String(ch!.id) }))).toMatchObject({ status: "error", code: "forbidden" });
    session.user = me;
    expect(await q.listRules()).toHaveLength(1);
  });
});

describe("editing a channel", () => {
  it("sends a retrying delivery and the next one to the new URL, signed with the kept secret (blank = keep)", async () => {
    const down = await listen(() => 503);
    const up = await listen();
    const secret = "edit-test-secret-0123456789";
    const id = await webhook("edit-url", `${down.url}?token=old-token-xyz`, secret);
    await emit.emitAppEvent({ appId, kind: "backup.failed", summary: "first" });
    await until("a refused attempt", async () => (await deliveriesOf(id)).find((d) => d.status === "retrying"));

    const r = await actions.updateChannelAction(form({ channelId: String(id), kind: "webhook", name: "edit-url", url: `${up.url}?token=new-token-xyz`, secret: "", enabled: "on" }));
    expect(r).toMatchObject({ status: "ok", data: { name: "edit-url", changed: 1 } });
    await until("the retry at the new URL", async () => up.got[0]);
    expect(JSON.parse(up.got[0]!.body).summary).toBe("first");
    expect(verifies(secret, up.got[0]!)).toBe(true);
    await emit.emitAppEvent({ appId, kind: "backup.failed", summary: "second" });
    await until("the next delivery at the new URL", async () => up.got[1]);
    const downBefore = down.got.length;
    expect(JSON.parse(up.got[1]!.body).summary).toBe("second");
    expect(verifies(secret, up.got[1]!)).toBe(true);
    expect((await deliveriesOf(id)).map((d) => d.status)).toEqual(["delivered", "delivered"]);
    expect(down.got.length).toBe(downBefore);
    const [shown] = (await q.listChannels()).filter((c) => c.id === id);
    expect(JSON.stringify(shown)).not.toContain("new-token-xyz");
    expect(shown!.config).toEqual({ displayUrl: expect.stringMatching(new RegExp(`:${up.port}/hook\\?…$`)) });
  });

  it("rotates the signing secret: shown once, deliveries after it verify with the new one and not the old", async () => {
    const r1 = await listen();
    const old = "rotate-old-secret-0123456789";
    const id = await webhook("rotating", r1.url, old);
    const rot = await actions.rotateChannelSecretAction(form({ channelId: String(id), confirm: "rotating" }));
    expect(rot).toMatchObject({ status: "ok", data: { name: "rotating", secret: expect.stringMatching(/^[\w-]{40,}$/) } });
    const fresh = rot.status === "ok" ? rot.data.secret : "";
    await emit.emitAppEvent({ appId, kind: "backup.failed", summary: "after rotation" });
    const got = await until("the delivery", async () => r1.got[0]);
    expect(verifies(fresh, got)).toBe(true);
    expect(verifies(old, got)).toBe(false);
    // Slack and email channels are not signed: nothing to rotate.
    const slack = await actions.createChannelAction(form({ kind: "slack", name: "chat-rot", url: "https://hooks.slack.example/T/B/x" }));
    expect(await actions.rotateChannelSecretAction(form({ channelId: String(slack.status === "ok" ? slack.data.id : 0) }))).toMatchObject({ status: "error", code: "invalid" });

    const sql = client.getDb().$client;
    const audit = JSON.stringify(await sql`select action, result, message, params from audit_log where action like 'notifications.channel_%'`);
    expect(audit).toContain("notifications.channel_rotate_secret");
    expect(audit).toContain("notifications.channel_update");
    for (const s of [fresh, old, "new-token-xyz", "old-token-xyz"]) expect(audit).not.toContain(s);
    expect(JSON.stringify(await q.listChannels())).not.toContain(fresh);
  });

  it("an edit and a rotation at the same moment keep both changes (neither writes back a stale secret)", async () => {
    const id = await webhook("concurrent", "https://hooks.example.com/c0", "concurrent-secret-0123456789");
    for (let i = 1; i <= 5; i++) {
      const [rot, upd] = await Promise.all([
        actions.rotateChannelSecretAction(form({ channelId: String(id) })),
        actions.updateChannelAction(form({ channelId: String(id), kind: "webhook", name: "concurrent", url: `https://hooks.example.com/c${i}`, enabled: "on" })),
      ]);
      expect(upd).toMatchObject({ status: "ok" });
      const ch = await q.getChannelForSend(id);
      expect(ch?.secret).toEqual({ url: `https://hooks.example.com/c${i}`, hmacSecret: rot.status === "ok" ? rot.data.secret : "?" });
    }
  });

  it("a channel turned off receives nothing and keeps its rules; turned on again it does", async () => {
    const r = await listen();
    const id = await webhook("switchable", r.url, "switch-secret-0123456789");
    // The checkbox left unticked: off.
    expect(await actions.updateChannelAction(form({ channelId: String(id), kind: "webhook", name: "switchable" }))).toMatchObject({ status: "ok" });
    await emit.emitAppEvent({ appId, kind: "backup.failed", summary: "while off" });
    expect((await q.listRules()).filter((x) => x.channelId === id)).toHaveLength(1);
    expect(await actions.sendTestNotificationAction(form({ channelId: String(id) }))).toMatchObject({ status: "error", code: "disabled" });
    expect(await actions.updateChannelAction(form({ channelId: String(id), kind: "webhook", name: "switchable", enabled: "on" }))).toMatchObject({ status: "ok" });
    await emit.emitAppEvent({ appId, kind: "backup.failed", summary: "while on" });
    await until("the delivery while on", async () => (await deliveriesOf(id)).find((d) => d.status === "delivered"));
    expect(r.got.map((g) => JSON.parse(g.body).summary)).toEqual(["while on"]);
  });

  it("keeps an SMTP password when its field is blank, replaces it when given, and refuses hostile input without changing anything", async () => {
    const mail = await actions.createChannelAction(form({ kind: "email", name: "mail-edit", host: "smtp.example.com", port: "587", user: "u", password: "smtp-pass-old", from: "lb@example.com", to: "a@example.com" }));
    const id = mail.status === "ok" ? mail.data.id : 0;
    const base = { channelId: String(id), kind: "email", name: "mail-edit", host: "smtp2.example.com", port: "2525", user: "u2", from: "lb@example.com", to: "a@example.com, b@example.com", enabled: "on" };
    expect(await actions.updateChannelAction(form({ ...base, password: "" }))).toMatchObject({ status: "ok" });
    let ch = await q.getChannelForSend(id);
    expect(ch).toMatchObject({ config: { host: "smtp2.example.com", port: 2525, user: "u2", to: ["a@example.com", "b@example.com"] }, secret: { password: "smtp-pass-old" } });
    expect(await actions.updateChannelAction(form({ ...base, password: "smtp-pass-new" }))).toMatchObject({ status: "ok" });
    expect((await q.getChannelForSend(id))?.secret.password).toBe("smtp-pass-new");

    const hook = await webhook("hostile-target", "https://hooks.example.com/in", "hostile-secret-0123456789");
    const w = { channelId: String(hook), kind: "webhook", name: "hostile-target", enabled: "on" };
    const hostile: [Record<string, string>, string][] = [
      [{ ...w, url: "javascript:alert(1)" }, "url"],
      [{ ...w, url: "file:///etc/passwd" }, "url"],
      [{ ...w, url: "https://example.com/\r\nX-Evil: 1" }, "url"],
      [{ ...w, url: `https://example.com/${"a".repeat(5000)}` }, "url"],
      [{ ...w, secret: "short" }, "secret"],
      [{ ...w, secret: "x".repeat(100_000) }, "secret"],
      [{ ...w, name: "n".repeat(10_000) }, "name"],
      [{ ...w, name: "a\r\nb" }, "name"],
      [{ ...base, host: "smtp.example.com\r\nRCPT TO:<evil@example.com>" }, "host"],
      [{ ...base, user: "u\r\nMAIL FROM:<x@example.com>" }, "user"],
      [{ ...base, from: "lb@example.com\r\nBcc: evil@example.com" }, "from"],
      [{ ...base, to: "a@example.com\r\nBcc: evil@example.com" }, "to"],
      [{ ...base, password: "p\r\nQUIT" }, "password"],
      [{ ...base, port: "0" }, "port"],
    ];
    const before = JSON.stringify([await q.getChannelForSend(id), await q.getChannelForSend(hook)]);
    for (const [input, field] of hostile) {
      const r = await actions.updateChannelAction(form(input));
      expect(r, JSON.stringify(input).slice(0, 200)).toMatchObject({ status: "invalid", fieldErrors: { [field]: expect.any(Array) } });
      expect(r.message).toMatch(new RegExp(`^Nothing was done\\. Fix ${field}: `));
    }
    // The kind of a channel cannot change.
    expect(await actions.updateChannelAction(form({ channelId: String(hook), kind: "slack", name: "hostile-target", url: "https://hooks.example.com/x" }))).toMatchObject({ status: "error", code: "invalid" });
    // Another channel's name is taken.
    expect(await actions.updateChannelAction(form({ ...w, name: "mail" }))).toMatchObject({ status: "error", code: "exists" });
    expect(JSON.stringify([await q.getChannelForSend(id), await q.getChannelForSend(hook)])).toBe(before);
    ch = await q.getChannelForSend(id);
    const audit = JSON.stringify(await client.getDb().$client`select message, params from audit_log where action = 'notifications.channel_update'`);
    for (const s of ["smtp-pass-old", "smtp-pass-new", "hostile-secret-0123456789"]) expect(audit).not.toContain(s);
    expect(audit).toContain("host → smtp2.example.com");
  });

  it("a deleted channel's retrying delivery ends as 'channel deleted' and stays in the log", async () => {
    const down = await listen(() => 500);
    const id = await webhook("doomed", down.url, "doomed-secret-0123456789");
    const eventId = await emit.emitAppEvent({ appId, kind: "backup.failed", summary: "never arrives" });
    const retrying = await until("a refused attempt", async () => (await deliveriesOf(id)).find((d) => d.status === "retrying"));
    expect(await actions.deleteChannelAction(form({ channelId: String(id), confirm: "doomed" }))).toMatchObject({ status: "ok" });
    const seen = down.got.length;
    const [row] = (await q.listDeliveries({ limit: 500 })).filter((d) => d.id === retrying.id);
    expect(row).toMatchObject({ eventId, status: "failed", lastError: "channel deleted", channelName: null, channelId: null });
    // The queued retry runs and finds no channel: nothing is sent, the row stays as it is.
    await new Promise((r) => setTimeout(r, 2500));
    expect(down.got.length).toBe(seen);
    expect((await q.listDeliveries({ limit: 500 })).find((d) => d.id === retrying.id)).toMatchObject({ status: "failed", lastError: "channel deleted" });
  });
});
