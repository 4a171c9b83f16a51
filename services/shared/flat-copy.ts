// Strings that hold no memory of the line they were cut from (collector memos, scan's string table).

/**
 * A flat copy of s: a sequential string that shares no memory with the string it was cut from.
 * V8 keeps substrings of 13+ characters as views of their parent, so a memoised key cut from a
 * 60 KB line would keep the line. And flat, because V8 compares a view (or a concatenation) in a
 * call into the runtime: `===` against one costs ~40-50 ns, ~10 between two flat strings, and Map
 * lookups end in such a compare. What the memos return is compared and looked up again downstream
 * (scan's string table, the engine's maps). join() builds its result anew from the two parts
 * (~120 ns for a 120-character user agent; `' ' + s` sliced again is a view of the concatenation,
 * JSON's round trip ~4x slower). Shorter strings are copies already.
 */
export function flatCopy(s: string): string {
  return s.length > 12 ? [s.slice(0, 1), s.slice(1)].join('') : s;
}
