import type { Metadata } from "next";
import { ChangePasswordForm } from "@/components/account/change-password-form";
import { SignOutEverywhereButton } from "@/components/account/sign-out-everywhere-button";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { currentSessionId } from "@/lib/auth";
import { roleDescriptions, roleLabels } from "@/lib/auth/roles";
import { requireUser } from "@/lib/auth/session";
import { listActiveSessions } from "@/lib/db/queries/sessions";
import { env } from "@/lib/env";
import { formatAge, formatDateTime } from "@/lib/format";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  const me = await requireUser("viewer");
  const e = env();
  const [sessions, current] = await Promise.all([listActiveSessions(me.id, e.LIFEBOAT_SESSION_IDLE_MINUTES), currentSessionId()]);
  const now = new Date();

  return (
    <div className="space-y-5">
      <PageHeader
        title="Your account"
        description={
          <>
            {me.email} · {roleLabels[me.role]}: {roleDescriptions[me.role]}
          </>
        }
      />
      <div className="grid gap-5 lg:grid-cols-2">
        <Card title="Change your password" description="Your other sessions end; this one stays signed in." className="min-w-0">
          <ChangePasswordForm />
        </Card>
        <Card
          title="Where you are signed in"
          description={`A session ends ${e.LIFEBOAT_SESSION_HOURS} h after signing in, or after ${e.LIFEBOAT_SESSION_IDLE_MINUTES} min without use.`}
          padded={false}
          className="min-w-0"
        >
          <Table label="Your sessions" className="rounded-none border-0 shadow-none">
            <THead>
              <tr>
                <Th>Browser</Th>
                <Th>Address</Th>
                <Th>Signed in</Th>
                <Th>Ends</Th>
              </tr>
            </THead>
            <TBody>
              {/* Keys by position: a session id never goes to the browser. */}
              {sessions.map((s, i) => (
                <Tr key={i}>
                  <Td className="max-w-64 min-w-40 text-xs break-words">
                    {s.id === current && (
                      <Badge tone="blue" className="mb-1">
                        This browser
                      </Badge>
                    )}
                    <div>{s.userAgent ?? "unknown"}</div>
                  </Td>
                  <Td mono muted>
                    {s.ip ?? "—"}
                  </Td>
                  <Td muted nowrap title={formatDateTime(s.createdAt)}>
                    {formatAge(s.createdAt, now)} ago
                  </Td>
                  <Td muted nowrap>
                    {formatDateTime(s.expiresAt).slice(11, 16)} UTC
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
          <div className="border-t border-slate-200 p-4">
            <SignOutEverywhereButton />
          </div>
        </Card>
      </div>
    </div>
  );
}
