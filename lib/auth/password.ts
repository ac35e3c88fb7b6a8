import crypto from "node:crypto";
import bcrypt from "bcryptjs";
import { env } from "@/lib/env";

/** bcrypt's cost: 12 unless LIFEBOAT_BCRYPT_COST says otherwise (tests use 4); never below 10 in production. */
function cost(): number {
  const e = env();
  return e.NODE_ENV === "production" ? Math.max(10, e.LIFEBOAT_BCRYPT_COST) : e.LIFEBOAT_BCRYPT_COST;
}
export const PASSWORD_MIN_LENGTH = 12;
// bcrypt reads only the first 72 bytes: a longer password would silently match its own prefix.
export const PASSWORD_MAX_BYTES = 72;

/** null when acceptable, else what is wrong, written for the person choosing it. */
export function checkPasswordPolicy(password: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (Buffer.byteLength(password, "utf8") > PASSWORD_MAX_BYTES) return `must be at most ${PASSWORD_MAX_BYTES} bytes`;
  if (/^(.)\1*$/u.test(password)) return "must not be one character repeated";
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, cost());
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash).catch(() => false);
}

/** 24 URL-safe characters (144 bits), for `user:add` when no password is given. */
export function generatePassword(): string {
  return crypto.randomBytes(18).toString("base64url");
}

let dummyHash: Promise<string> | undefined;
/**
 * A hash to compare against when the email is unknown, so that a wrong email takes as long as a wrong
 * password and response times do not reveal which accounts exist.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= bcrypt.hash(crypto.randomBytes(16).toString("hex"), cost());
  return dummyHash;
}
