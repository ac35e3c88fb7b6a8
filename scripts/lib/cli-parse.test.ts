// The CLI's argument parsing, pure (no database): issue 7 finding 9 and the hostile flags around it.
import { describe, expect, it } from "vitest";
import { parseAuditArgs } from "./cli-audit";
import { parseBackupArgs, parseBackupJobArgs, parseDeleteBackupArgs } from "./cli-backups";
import { UsageError } from "./cli-common";
import { parseRollbackArgs, type RollbackCommandName } from "./cli-rollback";

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error("expected a UsageError, got a parse");
}

// [command, args, what the message must name]
const REFUSED: [RollbackCommandName, string[], RegExp][] = [
  ["restore", ["shop", "--backup", "--yes"], /--backup needs a value/],
  ["restore", ["shop", "--backup", ""], /--backup needs a value/],
  ["restore", ["shop", "--backup", "", "--yes"], /--backup needs a value/],
  ["restore", ["shop", "--backup=", "--yes"], /--backup needs a value/],
  ["restore", ["shop", "--backup", "  ", "--yes"], /--backup needs a value/],
  ["restore", ["shop", "--backup"], /--backup needs a value/],
  ["restore", ["shop", "--yes"], /--backup is required/],
  ["restore", ["shop", "--backup", "abc", "--yes"], /--backup must be a positive whole number/],
  ["restore", ["shop", "--backup", "0"], /--backup must be a positive whole number/],
  ["restore", ["shop", "--backup=-1"], /--backup must be a positive whole number/],
  ["restore", ["shop", "--backup", "1e3"], /--backup must be a positive whole number/],
  ["restore", ["shop", "--backup", "0x10"], /--backup must be a positive whole number/],
  ["restore", ["shop", "--backup", "1.0"], /--backup must be a positive whole number/],
  ["restore", ["shop", "--backup", "99999999999999999999"], /--backup must be a positive whole number/],
  ["restore", ["shop", "--backup", "1", "--backup", "2", "--yes"], /--backup is given more than once/],
  ["restore", ["shop", "--backup", "1", "--yes=no"], /--yes takes no value/],
  ["restore", ["shop", "--backup", "1", "extra"], /unexpected argument "extra"/],
  ["restore", ["shop", "--backup", "1", "--", "--yes"], /unexpected argument "--yes"/],
  ["restore", ["--backup", "1"], /missing <app>/],
  ["restore", ["", "--backup", "1"], /<app>/],
  ["restore", ["Shop;rm", "--backup", "1"], /<app>/],
  ["restore", ["shop", "-b", "1"], /unknown flag -b/],
  ["undo", ["shop", "--job", ""], /--job needs a value/],
  ["undo", ["shop", "--job", "--yes"], /--job needs a value/],
  ["undo", ["shop", "--yes"], /--job is required/],
  ["rollback", ["shop", "--relase", "r1", "--yes"], /unknown flag --relase/],
  ["rollback", ["shop", "--release", "", "--yes"], /--release needs a value/],
  ["rollback", ["shop", "--release", "../etc", "--yes"], /--release/],
  ["rollback", ["shop", "--release", "current", "--yes"], /--release/],
  ["rollback", ["shop", "--backup", "3", "--yes"], /--backup needs --restore-db/],
  ["rollback", ["shop", "--restore-db=yes"], /--restore-db takes no value/],
  ["switch-release", ["shop", "--yes"], /--release is required/],
  ["switch-release", ["shop", "--release", "r1", "--force"], /unknown flag --force/],
  ["plan", ["shop", "--yes"], /unknown flag --yes/],
];

describe("rollback-family commands", () => {
  it.each(REFUSED)("%s %j is a usage error naming the problem", (cmd, args, message) => {
    const e = usageError(() => parseRollbackArgs(cmd, args));
    expect(e.message).toMatch(message);
    expect(e.usage).toMatch(new RegExp(`^usage: npm run lifeboat -- ${cmd} <app>`));
  });

  it("parses well-formed command lines, and --yes only when given", () => {
    expect(parseRollbackArgs("restore", ["shop", "--backup", "12", "--yes"])).toEqual({ kind: "restore", app: "shop", yes: true, planOnly: false, backupId: 12 });
    expect(parseRollbackArgs("restore", ["shop", "--backup=12"])).toMatchObject({ backupId: 12, yes: false });
    expect(parseRollbackArgs("rollback", ["shop"])).toEqual({ kind: "rollback", app: "shop", yes: false, planOnly: false, targetRelease: undefined, restoreDatabase: false, backupId: undefined });
    expect(parseRollbackArgs("rollback", ["shop", "--release", "r1", "--restore-db", "--backup", "3"])).toMatchObject({ targetRelease: "r1", restoreDatabase: true, backupId: 3 });
    expect(parseRollbackArgs("plan", ["shop", "--restore-db"])).toMatchObject({ kind: "rollback", planOnly: true, restoreDatabase: true });
    expect(parseRollbackArgs("switch-release", ["shop", "--release", "r1"])).toMatchObject({ kind: "switch_release", release: "r1" });
    expect(parseRollbackArgs("undo", ["shop", "--job", "7", "--yes"])).toMatchObject({ kind: "undo", jobId: 7, yes: true });
  });
});

describe("backup commands", () => {
  it.each([
    [["shop", "--method"], /--method needs a value/],
    [["shop", "--method", "rsync"], /--method/],
    [["shop", "--name", ""], /--name needs a value/],
    [["shop", "--auto=1"], /--auto takes no value/],
    [["shop", "--for-release", "--auto"], /--for-release needs a value/],
    [["shop", "--endsessions"], /unknown flag --endsessions/],
    [["shop", "other"], /unexpected argument/],
  ] as [string[], RegExp][])("backup %j is refused", (args, message) => {
    expect(usageError(() => parseBackupArgs(args)).message).toMatch(message);
  });

  it("parses backup and delete-backup", () => {
    expect(parseBackupArgs(["shop", "--method", "clone", "--auto"])).toMatchObject({ app: "shop", method: "clone", automatic: true, endSessions: false });
    expect(parseDeleteBackupArgs(["shop", "--backup", "4"])).toEqual({ app: "shop", backupId: 4, endSessions: false, yes: false });
    expect(usageError(() => parseDeleteBackupArgs(["shop", "--backup", "", "--yes"])).message).toMatch(/--backup needs a value/);
    expect(usageError(() => parseDeleteBackupArgs(["shop", "--yes"])).message).toMatch(/--backup is required/);
  });

  it("drill takes an optional backup, verify and adopt a required one; none takes a flag without its value", () => {
    expect(parseBackupJobArgs("verify", ["shop", "--backup", "4", "--json"])).toEqual({ app: "shop", backupId: 4, json: true });
    expect(usageError(() => parseBackupJobArgs("verify", ["shop"])).message).toMatch(/--backup is required for verify/);
    expect(usageError(() => parseBackupJobArgs("verify", ["shop", "--backup"])).message).toMatch(/--backup needs a value/);
    expect(parseBackupJobArgs("drill", ["shop"])).toEqual({ app: "shop", backupId: undefined, json: false });
    expect(parseBackupJobArgs("drill", ["shop", "--backup", "7", "--json"])).toEqual({ app: "shop", backupId: 7, json: true });
    expect(usageError(() => parseBackupJobArgs("drill", ["shop", "--backup"])).message).toMatch(/--backup needs a value/);
    expect(usageError(() => parseBackupJobArgs("drill", ["shop", "--backup", "1x"])).message).toMatch(/--backup/);
    expect(usageError(() => parseBackupJobArgs("drill", ["../shop"])).message).toMatch(/<app>/);
    expect(parseBackupJobArgs("adopt", ["shop", "--backup", "3"])).toEqual({ app: "shop", backupId: 3, json: false });
    expect(usageError(() => parseBackupJobArgs("adopt", ["shop"])).message).toMatch(/--backup is required for adopt/);
    expect(usageError(() => parseBackupJobArgs("adopt", ["shop", "--backup", "3", "extra"])).message).toMatch(/extra|unexpected|argument/i);
  });
});

describe("audit", () => {
  it("knows verify and nothing else", () => {
    expect(parseAuditArgs(["verify"])).toEqual({ subcommand: "verify" });
    expect(usageError(() => parseAuditArgs([])).message).toMatch(/missing <subcommand>/);
    expect(usageError(() => parseAuditArgs(["verfy"])).message).toMatch(/unknown audit subcommand/);
    expect(usageError(() => parseAuditArgs(["verify", "--fix"])).message).toMatch(/unknown flag --fix/);
    expect(parseAuditArgs(["verify", "--expect", "AB".repeat(32)])).toEqual({ subcommand: "verify", expectHash: "ab".repeat(32) });
    expect(usageError(() => parseAuditArgs(["verify", "--expect", "abc"])).message).toMatch(/--expect must be a head hash/);
    expect(usageError(() => parseAuditArgs(["verify", "--expect"])).message).toMatch(/--expect needs a value/);
  });
});
