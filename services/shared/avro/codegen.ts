// What fast-reader.ts and fast-writer.ts share: compiling one JS function per Avro record, array
// or map type (as avsc does), over named helpers and the values the generated source refers to.

import type { Type } from 'avsc';

/** The avsc Type properties the compilers read. */
export interface Shape {
  readonly typeName: string;
  readonly name?: string;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: Type }>;
  readonly types?: readonly Type[];
  readonly symbols?: readonly string[];
  readonly itemsType?: Type;
  readonly valuesType?: Type;
  readonly recordConstructor?: new (...values: unknown[]) => unknown;
}

/** A type the compiler does not cover: the whole schema is left to avsc. */
export class Unsupported extends Error {}

/** Generated source's free names: the helpers given, then each value ref() adds. */
export class CodeCompiler {
  readonly names: string[];
  readonly values: unknown[];
  private readonly inProgress = new Set<Type>();

  constructor(helpers: Readonly<Record<string, unknown>>) {
    this.names = Object.keys(helpers);
    this.values = Object.values(helpers);
  }

  /** A name the generated source can use for `value`. */
  ref(value: unknown): string {
    const name = `r${this.values.length}`;
    this.names.push(name);
    this.values.push(value);
    return name;
  }

  /**
   * `function <signature> { <build()> }` for `type`, closed over the names. A type met again while
   * its own body is built is recursive: Unsupported.
   */
  protected compile<F>(type: Type, signature: string, build: () => string): F {
    if (this.inProgress.has(type)) throw new Unsupported('recursive type');
    this.inProgress.add(type);
    try {
      const body = build();
      return new Function(...this.names, `return function ${signature} {\n${body}};`)(...this.values) as F;
    } finally {
      this.inProgress.delete(type);
    }
  }
}

/** compile()'s result, or null when the type uses anything not covered. */
export function compiledOrNull<F>(compile: () => F): F | null {
  try {
    return compile();
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}
