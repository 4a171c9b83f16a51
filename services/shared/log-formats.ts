// The names of the log formats leakwatch reads, without the formats: what the CLI's options list
// and check before any parser is loaded. The collector's formats/registry.ts maps each id to its
// format (the compiler checks that both name the same formats).

/** Every format id, in registry order (help texts, and which format `auto` prefers on a tie). */
export const FORMAT_IDS = Object.freeze([
  'nginx',
  'apache',
  'json',
  'mysql-slow',
  'mysql-general',
  'mysql-audit',
  'mariadb-audit',
  'postgres',
  's3',
  'cloudtrail',
  'api-json',
] as const);

export type FormatId = (typeof FORMAT_IDS)[number];

export type FormatChoice = FormatId | 'auto';

export function isFormatChoice(s: string): s is FormatChoice {
  return s === 'auto' || (FORMAT_IDS as readonly string[]).includes(s);
}
