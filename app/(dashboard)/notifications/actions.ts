"use server";

import { revalidatePath } from "next/cache";
import { defineAction } from "@/lib/actions/wrapper";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { addRule, deleteChannel, deleteRule, getChannelForSend, setChannelEnabled } from "@/lib/db/queries/notifications";
import { addChannel, editChannel, rotateSigningSecret } from "@/lib/notify/channels";
import { sendTestNotification } from "@/lib/notify/deliver";
import { OpError } from "@/lib/ops/errors";
import { channelEnabledSchema, channelIdSchema, channelSchema, channelUpdateSchema, ruleIdSchema, ruleSchema } from "@/lib/validation/notifications";

// Admin only. Secrets (URLs, HMAC secret, SMTP password) are redacted from the audit entry by the wrapper
// (their keys are secret words) and never come back: only a webhook secret Lifeboat made is returned, once.

const PAGE = "/notifications";
const channelGone = () => new OpError("not_found", "That channel no longer exists.");

async function requireChannel(channelId: number) {
  const ch = await getChannelForSend(channelId);
  if (!ch) throw channelGone();
  return ch;
}

export const createChannelAction = defineAction({
  name: "notifications.channel_create",
  role: "admin",
  schema: channelSchema,
  handler: async (input, { user, note }) => {
    const { id, generatedSecret } = await addChannel(input, user.id);
    note(`channel #${id} "${input.name}" (${input.kind})`);
    revalidatePath(PAGE);
    return { id, name: input.name, generatedSecret };
  },
});

export const updateChannelAction = defineAction({
  name: "notifications.channel_update",
  role: "admin",
  schema: channelUpdateSchema,
  handler: async (input, { note }) => {
    const { name, changed } = await editChannel(input);
    note(`channel #${input.channelId} "${name}": ${changed.join("; ") || "nothing changed"}`);
    revalidatePath(PAGE);
    return { name, changed: changed.length };
  },
});

export const rotateChannelSecretAction = defineAction({
  name: "notifications.channel_rotate_secret",
  role: "admin",
  schema: channelIdSchema,
  handler: async ({ channelId }, { note }) => {
    const { name, secret } = await rotateSigningSecret(channelId);
    note(`new signing secret for channel #${channelId} "${name}"; deliveries signed from now on use it`);
    revalidatePath(PAGE);
    return { name, secret };
  },
});

export const deleteChannelAction = defineAction({
  name: "notifications.channel_delete",
  role: "admin",
  schema: channelIdSchema,
  handler: async ({ channelId }, { note }) => {
    const name = await deleteChannel(channelId);
    if (!name) throw channelGone();
    note(`deleted channel #${channelId} "${name}" with its rules; its queued deliveries end as "channel deleted"`);
    revalidatePath(PAGE);
    return { deleted: true };
  },
});

export const setChannelEnabledAction = defineAction({
  name: "notifications.channel_enable",
  role: "admin",
  schema: channelEnabledSchema,
  handler: async ({ channelId, enabled }, { note }) => {
    const name = await setChannelEnabled(channelId, enabled);
    if (!name) throw channelGone();
    note(`channel "${name}" ${enabled ? "on" : "off"}`);
    revalidatePath(PAGE);
    return { enabled };
  },
});

export const sendTestNotificationAction = defineAction({
  name: "notifications.test",
  role: "admin",
  schema: channelIdSchema,
  handler: async ({ channelId }, { user, note }) => {
    const ch = await requireChannel(channelId);
    if (!ch.enabled) throw new OpError("disabled", `"${ch.name}" is turned off: turn it on first.`);
    const deliveryId = await sendTestNotification(channelId, user.email);
    note(`test to "${ch.name}" queued as delivery #${deliveryId}`);
    revalidatePath(PAGE);
    return { deliveryId };
  },
});

export const addRuleAction = defineAction({
  name: "notifications.rule_add",
  role: "admin",
  schema: ruleSchema,
  audit: { app: (i) => i.app },
  handler: async ({ channelId, app, kind }, { note }) => {
    const appId = app ? ((await getAppBySlug(app))?.id ?? null) : null;
    if (app && appId === null) throw new OpError("not_found", `There is no app "${app}".`);
    const ch = await requireChannel(channelId);
    const added = await addRule({ channelId, appId, kind });
    note(`${kind} of ${app ?? "every app"} → "${ch.name}"${added ? "" : " (existed already)"}`);
    revalidatePath(PAGE);
    return { added };
  },
});

export const deleteRuleAction = defineAction({
  name: "notifications.rule_delete",
  role: "admin",
  schema: ruleIdSchema,
  handler: async ({ ruleId }, { note }) => {
    const deleted = await deleteRule(ruleId);
    note(deleted ? `rule #${ruleId} deleted` : `rule #${ruleId} was already gone`);
    revalidatePath(PAGE);
    return { deleted };
  },
});
