"use server";

import { revalidatePath } from "next/cache";
import { defineAction } from "@/lib/actions/wrapper";
import { hasRole } from "@/lib/auth/roles";
import { createApiToken } from "@/lib/auth/tokens";
import { revokeApiToken } from "@/lib/db/queries/api-tokens";
import { OpError } from "@/lib/ops/errors";
import { createTokenSchema, tokenIdSchema } from "@/lib/validation/users";

// Admin only. A token belongs to the admin who makes it and acts with the role chosen here (never above
// the creator's: checked here and in the insert). The plaintext is returned once; only its hash is kept.

export const createTokenAction = defineAction({
  name: "tokens.create",
  role: "admin",
  schema: createTokenSchema,
  handler: async ({ name, role, days }, { user, note }) => {
    if (!hasRole(user.role, role)) throw new OpError("forbidden", "A token's role cannot be higher than your own.");
    const { id, token } = await createApiToken(user.id, name, { role, expiresInDays: days, by: user });
    note(`token #${id} "${name}" (${role}, ${days} days)`);
    revalidatePath("/tokens");
    return { id, name, token };
  },
});

export const revokeTokenAction = defineAction({
  name: "tokens.revoke",
  role: "admin",
  schema: tokenIdSchema,
  handler: async ({ tokenId }, { user, note }) => {
    const revoked = await revokeApiToken(tokenId, user);
    note(revoked ? `revoked token #${tokenId}` : `token #${tokenId} was already revoked`);
    revalidatePath("/tokens");
    return { revoked };
  },
});
