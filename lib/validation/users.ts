import { z } from "zod";
import { rowIdSchema } from "./ids";
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from "@/lib/auth/password";
import { ROLES } from "@/lib/auth/roles";
import { MAX_TOKEN_DAYS } from "@/lib/auth/tokens";

// Users and API tokens: shared by the dashboard's actions and the CLI (scripts/lib/cli-users.ts, cli-tokens.ts).

import { emailSchema } from "./email";

export { emailSchema };
export const roleSchema = z.enum(ROLES, { message: `one of ${ROLES.join(", ")}` });
const id = rowIdSchema("a user id");
const bool = z.preprocess((v) => (v === "true" || v === "on" ? true : v === "false" || v === "off" ? false : v), z.boolean());

export const addUserSchema = z.object({
  email: emailSchema,
  name: z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.string().trim().max(100).optional()),
  role: roleSchema,
});
export const userIdSchema = z.object({ userId: id });
export const setRoleSchema = z.object({ userId: id, role: roleSchema });
export const setDisabledSchema = z.object({ userId: id, disabled: bool });

const newPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((p) => Buffer.byteLength(p, "utf8") <= PASSWORD_MAX_BYTES, `at most ${PASSWORD_MAX_BYTES} bytes`);
// Field names contain "password" so the audit log redacts them (lib/actions/params.ts).
export const changePasswordSchema = z
  .object({ currentPassword: z.string().min(1, "enter your current password").max(1000), newPassword, confirmPassword: z.string() })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "does not match the new password" });

export const TOKEN_DAY_CHOICES = [7, 30, 90, 365] as const;
export const createTokenSchema = z.object({
  name: z.string().trim().min(1, "name what the token is for").max(100, "at most 100 characters").regex(/^[^\u0000-\u001f\u007f]*$/, "no control characters"),
  role: roleSchema,
  days: z.coerce.number({ message: "days until it expires" }).int().min(1, "at least 1 day").max(MAX_TOKEN_DAYS, `at most ${MAX_TOKEN_DAYS} days`),
});
export const tokenIdSchema = z.object({ tokenId: rowIdSchema("a token id") });
