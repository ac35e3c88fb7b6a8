import crypto from "node:crypto";
import { createChannel } from "@/lib/db/queries/notifications";
import { OpError } from "@/lib/ops/errors";
import { displaySlackUrl, displayUrl, type ChannelInput } from "@/lib/validation/notifications";

/**
 * Saves a channel from validated input: what may be shown goes to `config`, the rest is encrypted. For a webhook
 * without a secret of its own, Lifeboat makes one and returns it (shown once, like an API token).
 */
export async function addChannel(input: ChannelInput, by: number | null): Promise<{ id: number; generatedSecret: string | null }> {
  let generatedSecret: string | null = null;
  let made: Parameters<typeof createChannel>[0];
  if (input.kind === "webhook") {
    const hmacSecret = input.secret ?? (generatedSecret = crypto.randomBytes(32).toString("base64url"));
    made = { name: input.name, kind: "webhook", config: { displayUrl: displayUrl(input.url) }, secret: { url: input.url, hmacSecret }, by };
  } else if (input.kind === "slack") {
    made = { name: input.name, kind: "slack", config: { displayUrl: displaySlackUrl(input.url) }, secret: { url: input.url }, by };
  } else {
    const { name, password, kind, ...config } = input;
    made = { name, kind, config, secret: { password }, by };
  }
  const id = await createChannel(made);
  if (id === null) throw new OpError("exists", `A channel named "${input.name}" exists already. Pick another name.`);
  return { id, generatedSecret };
}

/** One line about where a channel sends, for the page (never a secret). */
export function channelTarget(kind: string, config: Record<string, unknown>): string {
  if (kind === "email") return `${String(config.to && (config.to as string[]).join(", "))} via ${String(config.host)}:${String(config.port)}`;
  return String(config.displayUrl ?? "");
}
