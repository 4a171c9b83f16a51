// Newline-delimited JSON read line by line, every error naming the line (the simulation's labels
// file, `leakwatch scan` output).

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Each non-blank line of `text` as an object, with where it stands (`<what> line N`) for the
 * caller's own errors; `invalid(message)` is thrown for a line that is not JSON or not an object.
 */
export function* ndjsonObjects(
  text: string,
  what: string,
  invalid: (message: string) => Error,
): Generator<[o: Record<string, unknown>, where: string]> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    const where = `${what} line ${i + 1}`;
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch {
      throw invalid(`${where}: not JSON`);
    }
    if (!isObject(o)) throw invalid(`${where}: not a JSON object`);
    yield [o, where];
  }
}
