import nodemailer from "nodemailer";
import type { ChannelForSend } from "@/lib/db/queries/notifications";
import { mailContent, slackBody, webhookBody, type NotifyMessage } from "./message";
import { EVENT_ID_HEADER, signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./sign";

// One attempt to hand one message to one channel. Never throws: the outcome says what happened, in words an
// operator can act on, with every secret of the channel scrubbed out of them (they end up in the delivery log).

export type SendOutcome = { ok: true; statusCode: number | null } | { ok: false; statusCode: number | null; error: string };

export interface EmailConfig {
  host: string;
  port: number;
  user: string;
  from: string;
  to: string[];
  tlsSkipVerify: boolean;
}

function scrub(text: string, ch: ChannelForSend): string {
  let out = text;
  for (const s of [ch.secret.url, ch.secret.hmacSecret, ch.secret.password]) if (s && s.length >= 4) out = out.split(s).join("[secret]");
  return out.slice(0, 500);
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (e.name === "TimeoutError" || e.name === "AbortError") return "no answer within the timeout";
  return cause?.code ? `${e.message}: ${cause.code}${cause.message ? ` (${cause.message})` : ""}` : e.message;
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<SendOutcome> {
  // redirect "manual": a receiver's redirect is reported, not followed (the signed body would go elsewhere).
  const r = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", "user-agent": "Lifeboat", ...headers }, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  await r.body?.cancel().catch(() => {});
  if (r.status >= 200 && r.status < 300) return { ok: true, statusCode: r.status };
  return { ok: false, statusCode: r.status, error: `the receiver answered ${r.status}${r.statusText ? ` ${r.statusText}` : ""}` };
}

export async function sendToChannel(ch: ChannelForSend, m: NotifyMessage, timeoutMs: number): Promise<SendOutcome> {
  const out = await attempt(ch, m, timeoutMs);
  return out.ok ? out : { ...out, error: scrub(out.error, ch) };
}

async function attempt(ch: ChannelForSend, m: NotifyMessage, timeoutMs: number): Promise<SendOutcome> {
  try {
    if (ch.kind === "webhook") {
      const body = webhookBody(m);
      const ts = Math.floor(Date.now() / 1000);
      return await post(ch.secret.url!, body, { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody(ch.secret.hmacSecret!, ts, body), [EVENT_ID_HEADER]: m.key }, timeoutMs);
    }
    if (ch.kind === "slack") return await post(ch.secret.url!, slackBody(m), {}, timeoutMs);
    return await sendMail(ch.config as unknown as EmailConfig, ch.secret.password ?? "", m, timeoutMs);
  } catch (e) {
    return { ok: false, statusCode: null, error: describe(e) };
  }
}

async function sendMail(c: EmailConfig, password: string, m: NotifyMessage, timeoutMs: number): Promise<SendOutcome> {
  const implicitTls = c.port === 465;
  const transport = nodemailer.createTransport({
    host: c.host,
    port: c.port,
    secure: implicitTls,
    // STARTTLS is required: a server that does not offer it (or a man in the middle stripping it) gets nothing.
    requireTLS: !implicitTls,
    auth: c.user ? { user: c.user, pass: password } : undefined,
    tls: { rejectUnauthorized: !c.tlsSkipVerify, minVersion: "TLSv1.2" },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
  });
  try {
    const { subject, text } = mailContent(m);
    const info = await transport.sendMail({
      from: c.from,
      to: c.to,
      subject,
      text,
      // The same event keeps the same Message-ID on a retry, so a mail store can drop a duplicate.
      messageId: `<${m.key}@lifeboat.invalid>`,
      headers: { "X-Lifeboat-Event-Id": m.key },
    });
    const code = Number(/^(\d{3})/.exec(info.response ?? "")?.[1]);
    return { ok: true, statusCode: Number.isFinite(code) ? code : null };
  } catch (e) {
    const code = (e as { responseCode?: number }).responseCode ?? null;
    return { ok: false, statusCode: code, error: describe(e) };
  } finally {
    transport.close();
  }
}
