import type { Metadata } from "next";
import { AddUserForm } from "@/components/users/add-user-form";
import { UserRowActions } from "@/components/users/user-row-actions";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { isRole, roleLabels, type Role } from "@/lib/auth/roles";
import { requireUser } from "@/lib/auth/session";
import { listThrottledEmails } from "@/lib/db/queries/sign-in-throttle";
import { listUsersWithSessions } from "@/lib/db/queries/users";
import { env } from "@/lib/env";
import { formatAge, formatDateTime } from "@/lib/format";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Users" };

const roleTone: Record<Role, BadgeTone> = { viewer: "neutral", operator: "blue", admin: "yellow" };

export default async function UsersPage() {
  const me = await requireUser("admin");
  const [users, waiting] = await Promise.all([listUsersWithSessions(env().LIFEBOAT_SESSION_IDLE_MINUTES), listThrottledEmails()]);
  const now = new Date();

  return (
    <div className="space-y-5">
      <PageHeader
        title="Users"
        description="Who can sign in, with which role. Changing a role, disabling or resetting a password ends that user's sessions at once."
      />
      <Card title="Add a user" description="A password is generated and shown to you once.">
        <AddUserForm />
      </Card>
      <Table label="Users">
        <THead>
          <tr>
            <Th>User</Th>
            <Th>Role</Th>
            <Th>Status</Th>
            <Th>Last sign-in</Th>
            <Th align="right">Sessions</Th>
            <Th align="right">Actions</Th>
          </tr>
        </THead>
        <TBody>
          {users.map((u) => {
            const role = isRole(u.role) ? u.role : "viewer";
            const until = waiting.get(u.email);
            return (
              <Tr key={u.id} data-testid={`user-${u.email}`}>
                <Td className="min-w-52">
                  <div className="font-medium break-words">{u.email}</div>
                  {u.name && <div className="text-xs text-slate-500">{u.name}</div>}
                  {u.id === me.id && <div className="text-xs text-slate-500">you</div>}
                </Td>
                <Td>
                  <Badge tone={roleTone[role]}>{roleLabels[role]}</Badge>
                </Td>
                <Td>
                  <div className="flex flex-wrap gap-1">
                    {u.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Enabled</Badge>}
                    {until && (
                      <Badge tone="yellow" title={`Sign-in attempts wait until ${formatDateTime(until)}`}>
                        Sign-in waiting
                      </Badge>
                    )}
                  </div>
                </Td>
                <Td muted nowrap title={formatDateTime(u.lastSignInAt)}>
                  {u.lastSignInAt ? `${formatAge(u.lastSignInAt, now)} ago` : "never"}
                </Td>
                <Td align="right">{u.activeSessions}</Td>
                <Td align="right" className="min-w-72">
                  <UserRowActions
                    userId={u.id}
                    email={u.email}
                    role={role}
                    disabled={u.disabled}
                    waiting={!!until}
                    self={u.id === me.id}
                    activeSessions={u.activeSessions}
                  />
                </Td>
              </Tr>
            );
          })}
        </TBody>
      </Table>
      <p className="text-sm text-slate-600">
        From a shell on the server: <code className="font-mono">npm run lifeboat -- users list|add|set-role|disable|enable|reset-password|unlock</code>.
      </p>
    </div>
  );
}
