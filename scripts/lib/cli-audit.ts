// `npm run lifeboat -- audit verify [--expect HASH]`: walks the audit log's hash chain. Exit 0 "N rows, chain
// intact", exit 1 with the first broken row. Prints the head hash: note it somewhere else (a ticket, a deploy
// log); `--expect` that hash later and a rewrite of the whole chain (by a superuser) shows.
import { describeChain, verifyAuditChain } from "@/lib/db/queries/audit-chain";
import { parseCommand, UsageError, type CliCommand } from "./cli-common";

export const auditSpec = { usage: "audit verify [--expect HEAD_HASH]", options: { expect: { type: "string" } }, positionals: ["subcommand"] } as const;

export function parseAuditArgs(args: string[]): { subcommand: "verify"; expectHash?: string } {
  const usage = `usage: npm run lifeboat -- ${auditSpec.usage}`;
  const { values, positionals } = parseCommand(auditSpec, args);
  if (positionals[0] !== "verify") throw new UsageError(`unknown audit subcommand ${JSON.stringify(positionals[0])}`, usage);
  const expectHash = values.expect?.trim().toLowerCase();
  if (expectHash !== undefined && !/^[0-9a-f]{64}$/.test(expectHash)) throw new UsageError("--expect must be a head hash as printed by audit verify (64 hex digits)", usage);
  return { subcommand: "verify", expectHash };
}

export const auditCommand: CliCommand = async (args) => {
  const { expectHash } = parseAuditArgs(args);
  const report = await verifyAuditChain(2000, { expectHash });
  if (report.ok) {
    console.log(describeChain(report));
    if (report.notedAt) console.log(`the noted hash is row #${report.notedAt}: the log up to it is the one you noted`);
    console.log(`head: row #${report.lastId} ${report.headHash}`);
    return 0;
  }
  console.error(`✖ audit log ${describeChain(report)}`);
  const intact = report.rows === 1 ? "1 row before it is intact" : `${report.rows} rows before it are intact`;
  if (report.brokenAt !== null) console.error(`  first broken row: #${report.brokenAt} (${intact})`);
  return 1;
};
