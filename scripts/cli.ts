// The Lifeboat CLI: the same jobs as the dashboard, for a shell on the server and for deploy scripts.
// It runs against DATABASE_URL with the same lib/ layer, under the same per-app lock, and is audited as
// "cli:<os user>". Having a shell on the Lifeboat host is the authorisation.
//
//   npm run lifeboat -- apps
//   npm run lifeboat -- backups <app>
//   npm run lifeboat -- backup <app> [--method dump|clone] [--name LABEL] [--auto] [--for-release R] [--end-sessions]
//   npm run lifeboat -- delete-backup <app> --backup ID [--end-sessions] [--yes]
//   npm run lifeboat -- verify <app> --backup ID [--json]                         (read a backup back; a missing dump put back becomes ok)
//   npm run lifeboat -- drill <app> [--backup ID] [--json]                        (restore drill into a scratch database)
//   npm run lifeboat -- adopt <app> --backup ID [--json]                          (verify and adopt a dump found on disk)
//   npm run lifeboat -- recover
//   npm run lifeboat -- plan <app> [--release R] [--restore-db [--backup ID]]      (shows the steps, changes nothing)
//   npm run lifeboat -- rollback <app> [--release R] [--restore-db [--backup ID]] [--yes]
//   npm run lifeboat -- restore <app> --backup ID [--yes]
//   npm run lifeboat -- switch-release <app> --release R [--yes]
//   npm run lifeboat -- undo <app> --job ID [--yes]
//   npm run lifeboat -- release <app> --release R [--wait] [--json]           (guarded release: backup, switch, health)
//   npm run lifeboat -- audit verify [--expect HEAD_HASH]
//   npm run lifeboat -- users list|add|set-role|disable|enable|reset-password|unlock …   (scripts/lib/cli-users.ts)
//   npm run lifeboat -- tokens list|add|revoke …                                         (scripts/lib/cli-tokens.ts)
//   npm run lifeboat -- schedules list|add|pause|resume|rm <app> …                       (scripts/lib/cli-schedules.ts)
//
// Every command parses its whole command line strictly (util.parseArgs) before it reads or changes anything:
// an unknown flag, a flag without a value, an empty or non-numeric id, an extra argument → the error and the
// command's usage, exit 2. Destructive commands print their plan and refuse without --yes when there is no terminal.
import { closeDb } from "@/lib/db/client";
import { OpError } from "@/lib/ops/errors";
import { auditCommand } from "./lib/cli-audit";
import { backupCommands } from "./lib/cli-backups";
import { UsageError, type CliCommand } from "./lib/cli-common";
import { releaseCommand } from "./lib/cli-release";
import { rollbackCommands } from "./lib/cli-rollback";

/** Each command: `run(args)` with the arguments after its name, resolving with the exit code. */
const commands: Record<string, CliCommand> = {
  ...backupCommands,
  ...rollbackCommands,
  release: releaseCommand,
  audit: auditCommand,
  users: (args) => import("./lib/cli-users").then((m) => m.run(args)),
  tokens: (args) => import("./lib/cli-tokens").then((m) => m.run(args)),
  schedules: (args) => import("./lib/cli-schedules").then((m) => m.schedulesCommand(args)),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(`usage: npm run lifeboat -- <command> [arguments]\ncommands: ${Object.keys(commands).join(", ")}`);
    return name === undefined ? 2 : 0;
  }
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    console.error(`✖ unknown command ${JSON.stringify(name)}\ncommands: ${Object.keys(commands).join(", ")}`);
    return 2;
  }
  try {
    return await cmd(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`✖ ${name}: ${e.message}${e.usage ? `\n${e.usage}` : ""}`);
      return 2;
    }
    throw e;
  }
}

// `npm run lifeboat -- backups shop | head -2`: the reader has gone; what is left to print is dropped, and the
// command ends as it would have (its exit code still says how its work went).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
}

main(process.argv.slice(2))
  .then(async (code) => {
    await closeDb();
    process.exit(code);
  })
  .catch(async (e) => {
    console.error(`✖ ${e instanceof OpError ? e.message : e instanceof Error ? e.message : String(e)}`);
    await closeDb().catch(() => {});
    process.exit(1);
  });
