// `npm run lifeboat -- audit verify`: walks the audit log's hash chain. Exit 0 "N rows, chain intact",
// exit 1 with the first broken row. Prints the head hash: note it somewhere else (a ticket, a deploy log) and
// a later rewrite of the whole chain shows as a different head.
import { describeChain, verifyAuditChain } from "@/lib/db/queries/audit-chain";
import { parseCommand, UsageError, type CliCommand } from "./cli-common";

export const auditSpec = { usage: "audit verify", options: {}, positionals: ["subcommand"] } as const;

export function parseAuditArgs(args: string[]): { subcommand: "verify" } {
  const { positionals } = parseCommand(auditSpec, args);
  if (positionals[0] !== "verify") throw new UsageError(`unknown audit subcommand ${JSON.stringify(positionals[0])}`, `usage: npm run lifeboat -- ${auditSpec.usage}`);
  return { subcommand: "verify" };
}

export const auditCommand: CliCommand = async (args) => {
  parseAuditArgs(args);
  const report = await verifyAuditChain();
  if (report.ok) {
    console.log(describeChain(report));
    console.log(`head: row #${report.lastId} ${report.headHash}`);
    return 0;
  }
  console.error(`✖ audit log ${describeChain(report)}`);
  const intact = report.rows === 1 ? "1 row before it is intact" : `${report.rows} rows before it are intact`;
  if (report.brokenAt !== null) console.error(`  first broken row: #${report.brokenAt} (${intact})`);
  return 1;
};
