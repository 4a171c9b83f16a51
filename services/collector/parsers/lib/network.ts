// Network addresses as the log formats see them.

const D0 = 0x30;
const D9 = 0x39;

/** Cheap shape check: IPv4 or IPv6 characters only, with a `.` or `:`. */
export function looksLikeIp(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let sep = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e || c === 0x3a) sep = true;
    else if (!((c >= D0 && c <= D9) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) return false;
  }
  return sep;
}
