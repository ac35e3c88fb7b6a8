import type { Metadata } from "next";
import Link from "next/link";
import { ChannelActions } from "@/components/notifications/channel-actions";
import { ChannelForm } from "@/components/notifications/channel-form";
import { DeleteRuleButton } from "@/components/notifications/delete-rule-button";
import { RuleForm } from "@/components/notifications/rule-form";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { requireUser } from "@/lib/auth/session";
import { listAppSlugs, listChannels, listDeliveries, listRules } from "@/lib/db/queries/notifications";
import { APP_EVENT_KINDS } from "@/lib/events/kinds";
import { kindLabel } from "@/lib/notify/message";
import { channelTarget } from "@/lib/notify/channels";
import { DeliveryLog, DeliveryStatus } from "./parts";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Notifications" };

const KIND_LABELS = { webhook: "Webhook", slack: "Slack-compatible", email: "Email" } as const;

export default async function NotificationsPage({ searchParams }: { searchParams: Promise<{ channel?: string }> }) {
  await requireUser("admin");
  const sp = await searchParams;
  const only = /^\d{1,9}$/.test(sp.channel ?? "") ? Number(sp.channel) : undefined;
  const [channels, rules, apps, deliveries] = await Promise.all([listChannels(), listRules(), listAppSlugs(), listDeliveries({ channelIds: only ? [only] : undefined, limit: 50 })]);
  const filtered = only ? channels.find((c) => c.id === only) : undefined;

  return (
    <div className="space-y-5">
      <PageHeader
        title="Notifications"
        description="Where Lifeboat tells you that a backup failed or is overdue, a rollback ran, or an app went down. A worker delivers each message through the queue, retrying with backoff."
      />
      <Card title="Channels">
        {channels.length === 0 ? (
          <EmptyState title="No channels yet" description="Add a webhook, a Slack-compatible incoming webhook or an SMTP mailbox below." />
        ) : (
          <Table label="Channels">
            <THead>
              <tr>
                <Th>Name</Th>
                <Th>Kind</Th>
                <Th>Sends to</Th>
                <Th>Last delivery</Th>
                <Th align="right">Actions</Th>
              </tr>
            </THead>
            <TBody>
              {channels.map((c) => (
                <Tr key={c.id} data-testid={`channel-${c.name}`}>
                  <Td className="min-w-32 font-medium break-words">
                    <Link href={`/notifications?channel=${c.id}`} className="hover:underline">
                      {c.name}
                    </Link>
                    {!c.enabled && <span className="ml-1 text-xs text-slate-500">(off)</span>}
                  </Td>
                  <Td nowrap>{KIND_LABELS[c.kind]}</Td>
                  <Td muted className="max-w-72 min-w-40 break-all">
                    {channelTarget(c.kind, c.config)}
                  </Td>
                  <Td>{c.lastStatus ? <DeliveryStatus status={c.lastStatus} at={c.lastAt} error={c.lastError} /> : <span className="text-xs text-slate-500">none yet</span>}</Td>
                  <Td align="right">
                    <ChannelActions channel={{ id: c.id, name: c.name, kind: c.kind, enabled: c.enabled, config: c.config }} />
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
      </Card>
      <Card title="Add a channel" description="Secrets (URLs, the signing secret, the SMTP password) are stored encrypted and never shown again.">
        <ChannelForm />
      </Card>
      <Card title="Rules" description="A channel hears only the events its rules name, for one app or for every app.">
        <div className="space-y-4">
          {channels.length > 0 && <RuleForm channels={channels.map((c) => ({ id: c.id, name: c.name }))} apps={apps} kinds={Object.entries(APP_EVENT_KINDS)} />}
          {rules.length === 0 ? (
            <p className="text-sm text-slate-600">No rules: nothing is sent.</p>
          ) : (
            <ul className="divide-y divide-slate-200 text-sm" aria-label="Rules">
              {rules.map((r) => {
                const label = `${kindLabel(r.kind)} of ${r.appSlug ?? "every app"} → ${r.channelName}`;
                return (
                  <li key={r.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                    <span className="min-w-0 break-words">{label}</span>
                    <DeleteRuleButton ruleId={r.id} label={label} />
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      </Card>
      <Card title={filtered ? `Delivery log: ${filtered.name}` : "Delivery log"} description={filtered ? undefined : "The latest 50 deliveries of every channel; a channel's name shows only its own."}>
        {filtered && (
          <Link href="/notifications" className="mb-2 inline-block text-sm text-sky-700 hover:underline">
            Show every channel
          </Link>
        )}
        <DeliveryLog rows={deliveries} />
      </Card>
    </div>
  );
}
