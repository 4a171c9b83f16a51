// Client addresses. Attackers get addresses from the documentation ranges (TEST-NET-1/2/3),
// allocated without reuse across scenarios; generated background never uses those ranges, so a
// scenario's IPs are its own.
import type { Rng } from './prng.js';

const ATTACK_PREFIXES = ['203.0.113', '198.51.100', '192.0.2'] as const;

export class IpAllocator {
  private readonly free: string[];

  constructor(rng: Rng) {
    const all: string[] = [];
    for (const p of ATTACK_PREFIXES) for (let h = 2; h <= 254; h++) all.push(`${p}.${h}`);
    this.free = rng.shuffle(all);
  }

  /** One unused attacker address. */
  take(): string {
    const ip = this.free.pop();
    if (ip === undefined) throw new RangeError('attacker address pool exhausted');
    return ip;
  }

  takeN(n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.take());
    return out;
  }

  get remaining(): number {
    return this.free.length;
  }
}

export function isAttackerRange(ip: string): boolean {
  return ATTACK_PREFIXES.some((p) => ip.startsWith(`${p}.`));
}

// First octets of public unicast space that residential/mobile/cloud clients come from.
const PUBLIC_FIRST = [
  24, 31, 37, 46, 47, 62, 66, 67, 68, 71, 73, 76, 77, 81, 82, 84, 86, 88, 90, 91, 94, 95, 98, 99, 104, 108,
  109, 142, 151, 174, 176, 178, 185, 188, 212, 213, 217,
];

/** A plausible public client address (never in the attacker ranges). */
export function publicIp(rng: Rng): string {
  return `${rng.pick(PUBLIC_FIRST)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}
