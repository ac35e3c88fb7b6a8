import crypto from "node:crypto";
import { insertApiToken } from "@/lib/db/queries/api-tokens";
import type { Actor } from "@/lib/db/queries/users";
import type { Role } from "./roles";

// API tokens: `lb_` + 32 random bytes. Only the sha256 (hex) is stored; the plaintext is shown once.
// Free of Next and React so the CLI (npm run token:add) can use it.

export const hashApiToken = (token: string) => crypto.createHash("sha256").update(token).digest("hex");
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 365;

/**
 * Makes a token for a user and returns the plaintext: shown once, only its hash is kept. `role` null acts
 * with the owner's role; `expiresInDays` null never expires (the CLI's --no-expiry, for old pipelines).
 */
export async function createApiToken(
  userId: number,
  name: string,
  opts: { role?: Role | null; expiresInDays?: number | null; by?: Actor } = {},
): Promise<{ id: number; token: string }> {
  const token = `lb_${crypto.randomBytes(32).toString("base64url")}`;
  const { id } = await insertApiToken({
    userId,
    name,
    tokenHash: hashApiToken(token),
    role: opts.role ?? null,
    expiresInDays: opts.expiresInDays === undefined ? DEFAULT_TOKEN_DAYS : opts.expiresInDays,
    by: opts.by ?? null,
  });
  return { id, token };
}
