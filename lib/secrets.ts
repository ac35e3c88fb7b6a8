import crypto from "node:crypto";
import { requireEnv } from "@/lib/env";

// Stored database passwords are encrypted at rest with AES-256-GCM under LIFEBOAT_SECRET_KEY.
// Format: v1.<iv>.<tag>.<ciphertext>, each base64url. The key never leaves lib/env + this file.

function key(): Buffer {
  const raw = Buffer.from(requireEnv("LIFEBOAT_SECRET_KEY"), "base64");
  if (raw.length < 32) throw new Error("LIFEBOAT_SECRET_KEY must decode to at least 32 bytes (openssl rand -base64 32).");
  return raw.subarray(0, 32);
}

export function encryptSecret(plain: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key(), iv);
  const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ct].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function decryptSecret(stored: string): string {
  const [version, iv, tag, ct] = stored.split(".");
  if (version !== "v1" || !iv || !tag || ct === undefined) throw new Error("Unreadable stored secret.");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key(), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("A stored database password cannot be decrypted: LIFEBOAT_SECRET_KEY changed since it was saved. Re-enter the password on the app's settings.");
  }
}
