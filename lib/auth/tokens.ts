import crypto from "node:crypto";
import { insertApiToken } from "@/lib/db/queries/users";

// API tokens: `lb_` + 32 random bytes. Only the sha256 (hex) is stored; the plaintext is shown once.
// Free of Next and React so the CLI (npm run token:add) can use it.

export const hashApiToken = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

/** Makes a token for a user and returns the plaintext: shown once, only its hash is kept. */
export async function createApiToken(userId: number, name: string): Promise<{ id: number; token: string }> {
  const token = `lb_${crypto.randomBytes(32).toString("base64url")}`;
  const { id } = await insertApiToken(userId, name, hashApiToken(token));
  return { id, token };
}
