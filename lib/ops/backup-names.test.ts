import { describe, expect, it } from "vitest";
import {
  cloneDbName,
  dumpFileName,
  isBackupOf,
  isDumpFileName,
  isStagingOf,
  preRollbackDbName,
  stagingDbName,
  timestampedDbName,
  validateLabel,
} from "./backup-names";
import { OpError } from "./errors";
import { isValidDbName } from "./identifiers";

const now = new Date("2026-01-10T10:30:45.678Z");
const unix = Math.floor(now.getTime() / 1000);
const never = async () => false;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof OpError ? e.code : `not an OpError: ${String(e)}`;
  }
  return undefined;
}

describe("dumpFileName", () => {
  it("follows the seed's naming", () => {
    expect(dumpFileName("automatic", "custom", { now })).toBe(`db_backup_${unix}.dump`);
    expect(dumpFileName("manual", "custom", { now })).toBe(`db_backup_manual_${unix}.dump`);
    expect(dumpFileName("named", "custom", { now, label: "v2.0.0" })).toBe("db_backup_v2.0.0.dump");
    expect(dumpFileName("automatic", "plain", { now })).toBe(`db_backup_${unix}.sql`);
    expect(dumpFileName("named", "plain", { now, label: "pre-v3.0" })).toBe("db_backup_pre-v3.0.sql");
  });
  it("refuses a named backup without a valid label", () => {
    expect(codeOf(() => dumpFileName("named", "custom", { now }))).toBe("invalid_label");
    expect(codeOf(() => dumpFileName("named", "custom", { now, label: "../etc" }))).toBe("invalid_label");
  });
  it("makes names isDumpFileName accepts", () => {
    for (const kind of ["automatic", "manual"] as const) expect(isDumpFileName(dumpFileName(kind, "custom", { now }))).toBe(true);
    expect(isDumpFileName(dumpFileName("named", "plain", { now, label: "A".repeat(63) }))).toBe(true);
    for (const bad of ["db_backup_1.dump.partial", "../db_backup_1.dump", "db_backup_..dump", "x.dump", "db_backup_/etc.sql", "db_backup_1.tar"]) {
      expect(isDumpFileName(bad), bad).toBe(false);
    }
  });
});

describe("validateLabel", () => {
  it.each(["v2.0.0", "pre-v3.0", "release_2026.01", "a", "A".repeat(63), "1.0", "v1"])("accepts %j", (label) => {
    expect(validateLabel(label)).toBe(label);
  });
  it.each([
    "",
    "../x",
    "..",
    "a..b",
    "a/b",
    "a\\b",
    "/etc/passwd",
    "x;rm -rf /",
    "$(id)",
    "`id`",
    "a b",
    "%2e%2e",
    "%2e%2e%2fetc",
    "a\u0000b",
    "v1\n",
    ".hidden",
    "-rf",
    "_x",
    "v\u04301", // Cyrillic a
    "ｖ1", // full-width v
    "v1\u200b", // zero-width space
    "A".repeat(64),
    "A".repeat(200),
    "12345",
    "1748602032",
    "manual_1748602032",
    "Manual_1",
    "a'b",
    'a"b',
    "a*",
    "x|y",
  ])("rejects %j", (label) => {
    expect(codeOf(() => validateLabel(label))).toBe("invalid_label");
  });
  it("never echoes control characters back", () => {
    let message = "";
    try {
      validateLabel("a\u0000b\nc");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("Invalid backup label");
    expect(message).not.toMatch(/[\u0000\n]/);
    expect(message).toContain("\\u0000");
  });
});

describe("clone names", () => {
  it("is <db>_backup_YYYYMMDD_HHMMSS in UTC", async () => {
    expect(await cloneDbName("motionexport", now, never)).toBe("motionexport_backup_20260110_103045");
    expect(await preRollbackDbName("shop", now, never)).toBe("shop_pre_rollback_20260110_103045");
    expect(await stagingDbName("shop", now, never)).toBe("shop_staging_20260110_103045");
  });

  it("adds _2, _3… for names taken in the same second", async () => {
    const taken = new Set(["shop_backup_20260110_103045", "shop_backup_20260110_103045_2"]);
    expect(await cloneDbName("shop", now, async (n) => taken.has(n))).toBe("shop_backup_20260110_103045_3");
  });

  it("gives up clearly when every sequence number is taken", async () => {
    await expect(cloneDbName("shop", now, async () => true)).rejects.toMatchObject({ code: "name_exhausted" });
  });

  it("shortens long names with a hash instead of letting PostgreSQL truncate them", async () => {
    const long = "a".repeat(50) + "_orders";
    const other = "a".repeat(50) + "_ledger";
    const a = await cloneDbName(long, now, never);
    const b = await cloneDbName(other, now, never);
    for (const n of [a, b]) {
      expect(Buffer.byteLength(n)).toBeLessThanOrEqual(63);
      expect(isValidDbName(n)).toBe(true);
      expect(n.endsWith("_backup_20260110_103045")).toBe(true);
    }
    expect(a).not.toBe(b);
    expect(await cloneDbName(long, now, never)).toBe(a); // deterministic
    expect(isBackupOf(long, a)).toBe(true);
    expect(isBackupOf(other, a)).toBe(false);
    expect(isBackupOf(long, b)).toBe(false);
  });

  it("stays valid at the longest database name, for every tag and sequence number", () => {
    const db = "z".repeat(63);
    for (const tag of ["backup", "pre_rollback", "staging"] as const) {
      for (const seq of [1, 2, 10, 99]) {
        const n = timestampedDbName(db, tag, now, seq);
        expect(isValidDbName(n), n).toBe(true);
        if (tag !== "staging") expect(isBackupOf(db, n), n).toBe(true);
      }
    }
    expect(timestampedDbName(db, "backup", now, 2)).toMatch(/_backup_20260110_103045_2$/);
  });

  it("rejects an invalid database name", async () => {
    await expect(cloneDbName("Shop;drop", now, never)).rejects.toMatchObject({ code: "invalid_identifier" });
  });
});

describe("isBackupOf", () => {
  it.each([
    ["shop", "shop_backup_20260110_103045", true],
    ["shop", "shop_backup_20260110_103045_2", true],
    ["shop", "shop_pre_rollback_20260110_103045", true],
    ["motionexport", "motionexport_backup_20260110_103045", true],
    ["shop", "shop", false],
    ["shop", "shop_staging_20260110_103045", false],
    ["shop", "shop_old", false],
    ["shop", "shopx_backup_20260110_103045", false],
    ["shop", "shop_backup_2026", false],
    ["shop", "shop_backup_20260110_103045x", false],
    ["shop", "other_backup_20260110_103045", false],
    ["shop_a", "shop_b_backup_20260110_103045", false],
    ["shop", "Shop_backup_20260110_103045", false],
    ["shop", "shop_backup_20260110_103045; drop", false],
  ])("%s / %s → %s", (db, name, expected) => {
    expect(isBackupOf(db, name)).toBe(expected);
  });

  it("recognises a seed-made name that PostgreSQL truncated to 63 bytes", () => {
    const db = "m".repeat(45);
    const full = `${db}_backup_20260110_103045`; // 68 bytes: PostgreSQL kept the first 63
    expect(isBackupOf(db, full.slice(0, 63))).toBe(true);
    expect(isBackupOf(db, full.slice(0, 60))).toBe(false); // not 63 bytes: not a truncation
  });
});

describe("isStagingOf", () => {
  const now = new Date("2026-12-02T01:02:03Z");
  it("recognises the staging names this system makes, long ones included, and nothing else", () => {
    const long = "a".repeat(50);
    expect(isStagingOf("shop", timestampedDbName("shop", "staging", now))).toBe(true);
    expect(isStagingOf("shop", timestampedDbName("shop", "staging", now, 3))).toBe(true);
    expect(isStagingOf(long, timestampedDbName(long, "staging", now))).toBe(true);
    expect(isStagingOf("a".repeat(49) + "b", timestampedDbName(long, "staging", now))).toBe(false);
    expect(isStagingOf("shop", timestampedDbName("shop", "backup", now))).toBe(false);
    expect(isStagingOf("shop", "shop_staging_copy")).toBe(false);
    expect(isStagingOf("shop", "shop")).toBe(false);
    expect(isStagingOf("sho", timestampedDbName("shop", "staging", now))).toBe(false);
  });
});
