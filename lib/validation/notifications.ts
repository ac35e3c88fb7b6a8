import { z } from "zod";
import { wholeNumber } from "./numbers";
import { rowIdSchema } from "./ids";
import { APP_EVENT_KINDS } from "@/lib/events/kinds";
import { slugSchema } from "./apps";
import { emailSchema } from "./email";

// Notification channels and rules: the page's forms and the actions parse with these. A URL is http(s) only,
// without control characters; credentials inside it are accepted (some receivers want them) but the URL is
// stored encrypted and only displayUrl() of it is ever shown.

const CONTROL = /[\u0000-\u001f\u007f]/;

export const notifyUrlSchema = z
  .string()
  .trim()
  .min(1, "enter the URL")
  .max(2000, "at most 2000 characters")
  .refine((s) => !CONTROL.test(s) && !/\s/.test(s), "no spaces or control characters")
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname.length > 0;
    } catch {
      return false;
    }
  }, "an http:// or https:// URL")
  // fetch() refuses a URL with a user or password in it: every delivery would fail. A receiver's token goes
  // in the path or the query (both stored encrypted, never shown).
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.username === "" && u.password === "";
    } catch {
      return true;
    }
  }, "no user:password@ in the URL (it cannot be sent that way); put the receiver's token in the path or query");

/** The URL as it may be shown: no user:password, no query (tokens live there), no fragment. */
export function displayUrl(raw: string): string {
  const u = new URL(raw);
  return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?…" : ""}`;
}

/** Slack-style URLs carry the credential in the path: only the host is shown. */
export function displaySlackUrl(raw: string): string {
  const u = new URL(raw);
  return `${u.protocol}//${u.host}/…`;
}

const name = z
  .string()
  .trim()
  .min(1, "enter a name")
  .max(60, "at most 60 characters")
  .refine((s) => !CONTROL.test(s), "no control characters");

const checkbox = z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean());

const hostSchema = z
  .string()
  .trim()
  .min(1, "enter the SMTP host")
  .max(253)
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?)*|\[[0-9A-Fa-f:.]+\])$/, "a host name or IP address");

const recipients = z
  .string()
  .trim()
  .min(1, "enter at least one address")
  .max(2000)
  // Errors stay on the field itself (not "to.1"), so the form shows them under To and names the address.
  .transform((s, ctx) => {
    const list = s.split(/[,;\s]+/).filter(Boolean);
    if (list.length > 20) ctx.addIssue({ code: "custom", message: "at most 20 addresses" });
    const out: string[] = [];
    for (const a of list) {
      const r = emailSchema.safeParse(a);
      if (r.success) out.push(r.data);
      else ctx.addIssue({ code: "custom", message: `“${a.slice(0, 80)}” is not an email address` });
    }
    if (list.length === 0) ctx.addIssue({ code: "custom", message: "enter at least one address" });
    return out;
  });

const hmacSecretSchema = z
  .string()
  .min(16, "at least 16 characters")
  .max(200, "at most 200 characters")
  .refine((s) => !CONTROL.test(s), "no control characters");

export const webhookChannelSchema = z.object({
  kind: z.literal("webhook"),
  name,
  url: notifyUrlSchema,
  // Empty: Lifeboat makes one and shows it once.
  secret: z.preprocess((v) => (v === "" ? undefined : v), hmacSecretSchema.optional()),
});

export const slackChannelSchema = z.object({ kind: z.literal("slack"), name, url: notifyUrlSchema });

export const emailChannelSchema = z.object({
  kind: z.literal("email"),
  name,
  host: hostSchema,
  port: wholeNumber(1, 65535).default(587),
  user: z.string().trim().max(320).refine((s) => !CONTROL.test(s), "no control characters").optional().default(""),
  password: z.string().max(1000).optional().default(""),
  from: emailSchema,
  to: recipients,
  tlsSkipVerify: checkbox.optional().default(false),
});

export const channelSchema = z.discriminatedUnion("kind", [webhookChannelSchema, slackChannelSchema, emailChannelSchema]);
export type ChannelInput = z.output<typeof channelSchema>;

export const channelIdSchema = z.object({ channelId: rowIdSchema("a channel id") });

// Editing: the kind stays; a blank secret field (URL of a webhook or Slack channel, signing secret, SMTP
// password) keeps the stored one, since none of them is ever sent back to the page to be re-submitted.
const blankIsKeep = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === "" || v === null ? undefined : v), s.optional());
const editBase = { channelId: rowIdSchema("a channel id"), name, enabled: checkbox.optional().default(false) };

export const channelUpdateSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("webhook"), ...editBase, url: blankIsKeep(notifyUrlSchema), secret: blankIsKeep(hmacSecretSchema) }),
  z.object({ kind: z.literal("slack"), ...editBase, url: blankIsKeep(notifyUrlSchema) }),
  z.object({
    kind: z.literal("email"),
    ...editBase,
    ...emailChannelSchema.omit({ kind: true, name: true, password: true }).shape,
    password: blankIsKeep(z.string().max(1000, "at most 1000 characters").refine((s) => !CONTROL.test(s), "no control characters")),
  }),
]);
export type ChannelUpdate = z.output<typeof channelUpdateSchema>;
export const channelEnabledSchema = channelIdSchema.extend({ enabled: checkbox });

const kinds = Object.keys(APP_EVENT_KINDS) as [keyof typeof APP_EVENT_KINDS, ...(keyof typeof APP_EVENT_KINDS)[]];

export const ruleSchema = z.object({
  channelId: rowIdSchema("a channel id"),
  // "" or "*": every app.
  app: z.preprocess((v) => (v === "" || v === "*" ? undefined : v), slugSchema.optional()),
  kind: z.enum(kinds, "pick an event"),
});

export const ruleIdSchema = z.object({ ruleId: rowIdSchema("a rule id") });
