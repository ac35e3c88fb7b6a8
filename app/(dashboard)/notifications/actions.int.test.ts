// The Notifications page's actions against a real metadata database: admin only, hostile input refused before
// anything is stored, secrets never returned, never in the audit log, never in what the page lists.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/lib/auth/session";
import { useMetaDb } from "@/test/helpers";

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

const form = (o: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(o)) f.append(k, v);
  return f;
};

beforeAll(async () => {
  await useMetaDb();
  actions = await import("./actions");
  q = await import("@/lib/db/queries/notifications");
  client = await import("@/lib/db/client");
  const { createUser } = await import("@/lib/db/queries/users");
  const admin = await createUser({ email: "admin@example.com", password: "admin-password-1", role: "admin" });
  session.user = { id: admin.id, email: "admin@example.com", role: "admin" };
});
afterAll(async () => {
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
    const url = "https://user:hook-pass-xyz@hooks.example.com/in?token=tok-secret-xyz";
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
