import { APP_EVENT_KINDS, isAppEventKind } from "@/lib/events/kinds";

// What a notification says, per channel kind. Pure: the sender adds transport (headers, signature, SMTP).

export interface NotifyMessage {
  /** Idempotency key: "event-<app_events.id>", or "test-<delivery id>" for "Send a test". */
  key: string;
  kind: string;
  summary: string;
  app: { slug: string } | null;
  at: Date;
  details: Record<string, unknown>;
}

export function kindLabel(kind: string): string {
  return isAppEventKind(kind) ? APP_EVENT_KINDS[kind] : kind === "test" ? "Test message" : kind;
}

/** The webhook body: stable field names a receiver can rely on. */
export function webhookBody(m: NotifyMessage): string {
  return JSON.stringify({
    id: m.key,
    kind: m.kind,
    label: kindLabel(m.kind),
    summary: m.summary,
    app: m.app,
    at: m.at.toISOString(),
    details: m.details,
  });
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ").slice(0, 500);

/** Slack-compatible incoming webhook (also Mattermost, Rocket.Chat, Discord's /slack endpoint): {text}. */
export function slackBody(m: NotifyMessage): string {
  const where = m.app ? m.app.slug : "Lifeboat";
  return JSON.stringify({ text: `*${kindLabel(m.kind)}* · ${where}\n${oneLine(m.summary)}` });
}

export function mailContent(m: NotifyMessage): { subject: string; text: string } {
  const where = m.app ? m.app.slug : "Lifeboat";
  return {
    subject: oneLine(`[Lifeboat] ${where}: ${kindLabel(m.kind)}`).slice(0, 200),
    text: [m.summary, "", `App: ${m.app?.slug ?? "-"}`, `Event: ${m.kind}`, `At: ${m.at.toISOString()}`, `Id: ${m.key}`].join("\n"),
  };
}
