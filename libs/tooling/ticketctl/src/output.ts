/** Output helpers shared by the commands: aligned tables for people, JSON for scripts, one error type. */

/** A failure the CLI reports in one line, with its exit code (1: found a problem, 2: bad usage or input, 3: store unreachable). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 3 = 2,
  ) {
    super(message);
  }
}

export function printJson(value: unknown, out: NodeJS.WritableStream = process.stdout): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table (no box drawing: it pastes into issues and logs cleanly). */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n') + '\n';
}

/** A value for reading: pretty JSON when it parses as an object or array, else the raw string. */
export function readable(value: string): string {
  const t = value.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      // not JSON after all
    }
  }
  return value;
}

/** The value as JSON when it is JSON, else the string (so --json output nests records, not strings). */
export function jsonValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
