// npm run lifeboat -- tokens <list|add|revoke> [flags]
// API tokens from a shell on the Lifeboat host. A token is printed once at creation; only its hash is kept.
import os from "node:os";
import { parseArgs } from "node:util";
import { createApiToken } from "@/lib/auth/tokens";
import { listApiTokens, revokeApiToken } from "@/lib/db/queries/api-tokens";
import { recordAudit } from "@/lib/db/queries/audit";
import { getUserByEmail } from "@/lib/db/queries/users";
import { formatDateTime } from "@/lib/format";
import { OpError } from "@/lib/ops/errors";
import { createTokenSchema, emailSchema, tokenIdSchema } from "@/lib/validation/users";

export const TOKENS_USAGE = `usage: npm run lifeboat -- tokens <command>
  tokens list
  tokens add --email E --name N [--role viewer|operator|admin] [--days 1-365]   (role defaults to the user's; days to 90)
  tokens revoke --id N`;

const actor = () => `cli:${os.userInfo().username}`;

function usage(message: string): never {
  throw new OpError("usage", `${message}\n${TOKENS_USAGE}`);
}

function flags(args: string[], options: Record<string, { type: "string" }>) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
}

const commands: Record<string, (args: string[]) => Promise<number>> = {
  async list(args) {
    flags(args, {});
    const now = new Date();
    for (const t of await listApiTokens()) {
      const state = t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt <= now ? "expired" : "active";
      console.log(
        [`#${t.id}`, t.name.padEnd(24), t.ownerEmail.padEnd(28), (t.role ?? `as owner`).padEnd(9), state.padEnd(8), `expires ${t.expiresAt ? formatDateTime(t.expiresAt) : "never"}`, `last used ${t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "never"}`].join("  "),
      );
    }
    return 0;
  },

  async add(args) {
    const v = flags(args, { email: { type: "string" }, name: { type: "string" }, role: { type: "string" }, days: { type: "string" } });
    const email = emailSchema.safeParse(v.email);
    if (!email.success) usage("--email is required and must be an email address.");
    const user = await getUserByEmail(email.data);
    if (!user) throw new OpError("not_found", `No user ${email.data}. Create one first: npm run lifeboat -- users add --email ${email.data} --role operator`);
    if (user.disabled) throw new OpError("disabled", `${email.data} is disabled; a token for it would be refused.`);
    const input = createTokenSchema.safeParse({ name: v.name, role: v.role ?? user.role, days: v.days ?? "90" });
    if (!input.success) usage(input.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("; "));
    const { name, role, days } = input.data;
    const rank = { viewer: 0, operator: 1, admin: 2 } as const;
    if (rank[role] > rank[user.role]) usage(`--role ${role} is above ${email.data}'s role (${user.role}).`);
    const { id, token } = await createApiToken(user.id, name, { role, expiresInDays: days });
    await recordAudit({ actor: actor(), action: "tokens.create", params: { email: email.data, name, role, days }, result: "ok", message: `token #${id}` });
    console.log(`API token #${id} "${name}" for ${email.data} (role ${role}, expires in ${days} days). Shown once, store it now:\n${token}`);
    return 0;
  },

  async revoke(args) {
    const v = flags(args, { id: { type: "string" } });
    const parsed = tokenIdSchema.safeParse({ tokenId: v.id });
    if (!parsed.success || !/^\d+$/.test(v.id ?? "")) usage("--id is required: the token's number from `tokens list`.");
    const revoked = await revokeApiToken(parsed.data.tokenId, null);
    await recordAudit({ actor: actor(), action: "tokens.revoke", params: { tokenId: parsed.data.tokenId }, result: "ok", message: revoked ? "revoked" : "already revoked" });
    console.log(revoked ? `Token #${parsed.data.tokenId} revoked: it is refused from its next request on.` : `Token #${parsed.data.tokenId} was already revoked.`);
    return 0;
  },
};

/** Runs `tokens <command> …`; returns the exit code (2 for usage errors). */
export async function run(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const cmd = name ? commands[name] : undefined;
  if (!cmd) {
    console.error(name ? `tokens: unknown command "${name}".\n${TOKENS_USAGE}` : TOKENS_USAGE);
    return 2;
  }
  try {
    return await cmd(rest);
  } catch (e) {
    if (e instanceof OpError) {
      console.error(`tokens ${name}: ${e.message}`);
      return e.code === "usage" ? 2 : 1;
    }
    throw e;
  }
}
