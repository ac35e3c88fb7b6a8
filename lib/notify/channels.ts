import crypto from "node:crypto";
import { changeChannel, createChannel, type ChannelSecret } from "@/lib/db/queries/notifications";
import { OpError } from "@/lib/ops/errors";
import { displaySlackUrl, displayUrl, type ChannelInput, type ChannelUpdate } from "@/lib/validation/notifications";

/**
 * Saves a channel from validated input: what may be shown goes to `config`, the rest is encrypted. For a webhook
 * without a secret of its own, Lifeboat makes one and returns it (shown once, like an API token).
 */
export async function addChannel(input: ChannelInput, by: number | null): Promise<{ id: number; generatedSecret: string | null }> {
  let generatedSecret: string | null = null;
  let made: Parameters<typeof createChannel>[0];
  if (input.kind === "webhook") {
    const hmacSecret = input.secret ?? (generatedSecret = newSigningSecret());
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

const newSigningSecret = () => crypto.randomBytes(32).toString("base64url");

/**
 * Changes a channel from validated input. A field left blank keeps its stored secret; the kind cannot change
 * (a different kind is a different channel). Returns what changed, in words without any secret, for the audit.
 */
export async function editChannel(input: ChannelUpdate): Promise<{ name: string; changed: string[] }> {
  const r = await changeChannel(input.channelId, (cur) => {
    if (cur.kind !== input.kind) throw new OpError("invalid", `"${cur.name}" is a ${cur.kind} channel; its kind cannot change. Add a new channel instead.`);
    const changed: string[] = [];
    if (cur.name !== input.name) changed.push(`name "${cur.name}" → "${input.name}"`);
    if (cur.enabled !== input.enabled) changed.push(input.enabled ? "turned on" : "turned off");
    let config: Record<string, unknown> = cur.config;
    let secret: ChannelSecret | undefined;
    if (input.kind === "webhook" || input.kind === "slack") {
      if (input.url !== undefined && input.url !== cur.secret.url) {
        config = { displayUrl: input.kind === "webhook" ? displayUrl(input.url) : displaySlackUrl(input.url) };
        secret = { ...cur.secret, url: input.url };
        changed.push(`URL → ${String(config.displayUrl)}`);
      }
      if (input.kind === "webhook" && input.secret !== undefined && input.secret !== cur.secret.hmacSecret) {
        secret = { ...(secret ?? cur.secret), hmacSecret: input.secret };
        changed.push("signing secret replaced");
      }
    } else {
      const { channelId: _id, name: _n, enabled: _e, kind: _k, password, ...next } = input;
      for (const k of Object.keys(next) as (keyof typeof next)[]) {
        if (JSON.stringify(next[k]) !== JSON.stringify(cur.config[k])) changed.push(`${k} → ${Array.isArray(next[k]) ? (next[k] as string[]).join(", ") : String(next[k])}`);
      }
      config = next;
      if (password !== undefined && password !== cur.secret.password) {
        secret = { ...cur.secret, password };
        changed.push("password replaced");
      }
    }
    return { name: input.name, enabled: input.enabled, config, secret, result: { name: input.name, changed } };
  });
  if (r === "name_taken") throw new OpError("exists", `A channel named "${input.name}" exists already. Pick another name.`);
  if (!r) throw channelGone();
  return r;
}

/** A new signing secret for a webhook channel, stored encrypted; returned once to show once. */
export async function rotateSigningSecret(channelId: number): Promise<{ name: string; secret: string }> {
  const secret = newSigningSecret();
  const r = await changeChannel(channelId, (cur) => {
    if (cur.kind !== "webhook") throw new OpError("invalid", `"${cur.name}" is a ${cur.kind} channel: only webhooks are signed.`);
    return { name: cur.name, enabled: cur.enabled, config: cur.config, secret: { ...cur.secret, hmacSecret: secret }, result: { name: cur.name, secret } };
  });
  if (!r || r === "name_taken") throw channelGone();
  return r;
}

const channelGone = () => new OpError("not_found", "That channel no longer exists.");

/** One line about where a channel sends, for the page (never a secret). */
export function channelTarget(kind: string, config: Record<string, unknown>): string {
  if (kind === "email") return `${String(config.to && (config.to as string[]).join(", "))} via ${String(config.host)}:${String(config.port)}`;
  return String(config.displayUrl ?? "");
}
