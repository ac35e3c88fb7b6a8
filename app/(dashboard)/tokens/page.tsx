import type { Metadata } from "next";
import { CreateTokenForm } from "@/components/tokens/create-token-form";
import { RevokeTokenButton } from "@/components/tokens/revoke-token-button";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { hasRole, isRole, ROLES, roleLabels } from "@/lib/auth/roles";
import { requireUser } from "@/lib/auth/session";
import { listApiTokens, type ApiTokenView } from "@/lib/db/queries/api-tokens";
import { formatAge, formatDateTime } from "@/lib/format";
import { TOKEN_DAY_CHOICES } from "@/lib/validation/users";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "API tokens" };

function status(t: ApiTokenView, now: Date) {
  if (t.revokedAt) return <Badge tone="neutral">Revoked {formatAge(t.revokedAt, now)} ago</Badge>;
  if (t.expiresAt && new Date(t.expiresAt) <= now) return <Badge tone="red">Expired</Badge>;
  if (!t.expiresAt) return <Badge tone="yellow" title="Made before tokens expired; revoke it and make a new one">Never expires</Badge>;
  return <Badge tone="green">Active</Badge>;
}

export default async function TokensPage() {
  const me = await requireUser("admin");
  const tokens = await listApiTokens();
  const now = new Date();
  const roles = ROLES.filter((r) => hasRole(me.role, r));

  return (
    <div className="space-y-5">
      <PageHeader
        title="API tokens"
        description="For pipelines and scripts: Authorization: Bearer <token>. A token acts with its own role, never above its owner's current role."
      />
      <Card title="Create a token" description="It belongs to you; its role can be at most yours.">
        <CreateTokenForm roles={roles} dayChoices={TOKEN_DAY_CHOICES} />
      </Card>
      {tokens.length === 0 ? (
        <EmptyState title="No API tokens yet" description="Create one above, or from a shell: npm run lifeboat -- tokens add." />
      ) : (
        <Table label="API tokens">
          <THead>
            <tr>
              <Th>Name</Th>
              <Th>Owner</Th>
              <Th>Role</Th>
              <Th>Status</Th>
              <Th>Expires</Th>
              <Th>Last used</Th>
              <Th align="right">Actions</Th>
            </tr>
          </THead>
          <TBody>
            {tokens.map((t) => {
              const role = isRole(t.role) ? roleLabels[t.role] : `as owner (${isRole(t.ownerRole) ? roleLabels[t.ownerRole] : "?"})`;
              const live = !t.revokedAt && !(t.expiresAt && new Date(t.expiresAt) <= now);
              return (
                <Tr key={t.id} data-testid={`token-${t.name}`}>
                  <Td className="min-w-36 font-medium break-words">{t.name}</Td>
                  <Td muted className="min-w-48 break-words">
                    {t.ownerEmail}
                  </Td>
                  <Td nowrap>{role}</Td>
                  <Td>{status(t, now)}</Td>
                  <Td muted nowrap>
                    {t.expiresAt ? formatDateTime(t.expiresAt).slice(0, 10) : "never"}
                  </Td>
                  <Td muted nowrap title={formatDateTime(t.lastUsedAt)}>
                    {t.lastUsedAt ? `${formatAge(t.lastUsedAt, now)} ago` : "never"}
                  </Td>
                  <Td align="right">{live && <RevokeTokenButton tokenId={t.id} name={t.name} />}</Td>
                </Tr>
              );
            })}
          </TBody>
        </Table>
      )}
    </div>
  );
}
