// CSV for the audit export, per OWASP's CSV-injection guidance: the log holds text typed by anyone (sign-in
// emails, app names of refused calls), and a spreadsheet runs a cell that starts like a formula.

/**
 * A cell a spreadsheet could treat as a formula: it starts with = + - @ (or their fullwidth forms, which
 * some spreadsheets fold to ASCII), a tab, CR or LF — also after leading whitespace, which spreadsheets trim.
 */
const FORMULA_START = /^[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20\t\r\n]/;

export function isFormulaLike(value: string): boolean {
  return FORMULA_START.test(value);
}

/** One cell: a formula-like value gets a leading apostrophe; every cell is quoted and quotes are doubled. */
export function csvCell(value: string): string {
  const guarded = isFormulaLike(value) ? `'${value}` : value;
  return `"${guarded.replace(/"/g, '""')}"`;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}
