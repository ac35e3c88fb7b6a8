import { Badge, type BadgeTone } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import type { DeliveryView } from "@/lib/db/queries/notifications";
import { formatDateTime } from "@/lib/format";
import { kindLabel } from "@/lib/notify/message";

const TONES: Record<DeliveryView["status"], BadgeTone> = { pending: "neutral", retrying: "yellow", delivered: "green", failed: "red" };
const WORDS: Record<DeliveryView["status"], string> = { pending: "Queued", retrying: "Retrying", delivered: "Delivered", failed: "Failed" };

export function DeliveryStatus({ status, at, error }: { status: DeliveryView["status"]; at: Date | string | null; error?: string | null }) {
  return (
    <span className="inline-flex flex-col gap-0.5">
      <Badge tone={TONES[status]} title={error ?? undefined}>
        {WORDS[status]}
      </Badge>
      {at && <span className="text-xs text-slate-500">{formatDateTime(at)}</span>}
    </span>
  );
}

export function DeliveryLog({ rows }: { rows: DeliveryView[] }) {
  if (rows.length === 0) return <EmptyState title="Nothing sent yet" description="Send a test from a channel above." />;
  return (
    <Table label="Delivery log">
      <THead>
        <tr>
          <Th>When</Th>
          <Th>Channel</Th>
          <Th>Event</Th>
          <Th>Status</Th>
          <Th>Attempts</Th>
          <Th>Last answer</Th>
        </tr>
      </THead>
      <TBody>
        {rows.map((d) => (
          <Tr key={d.id} data-testid={`delivery-${d.id}`}>
            <Td muted nowrap>
              {formatDateTime(d.createdAt)}
            </Td>
            <Td className="break-words">{d.channelName ?? <span className="text-slate-500 italic">deleted channel</span>}</Td>
            <Td className="max-w-80 min-w-48">
              <span className="font-medium">{kindLabel(d.kind)}</span>
              <span className="block text-xs break-words text-slate-600">{d.summary}</span>
            </Td>
            <Td>
              <Badge tone={TONES[d.status]}>{WORDS[d.status]}</Badge>
              {d.status === "delivered" && d.deliveredAt && <span className="block text-xs text-slate-500">{formatDateTime(d.deliveredAt)}</span>}
              {d.status === "retrying" && d.nextRetryAt && <span className="block text-xs text-slate-500">next try after {formatDateTime(d.nextRetryAt)}</span>}
            </Td>
            <Td nowrap>{d.attempts}</Td>
            <Td muted className="max-w-72 min-w-32 text-xs break-words">
              {[d.lastStatusCode, d.lastError].filter((x) => x !== null && x !== undefined).join(" · ") || "—"}
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
