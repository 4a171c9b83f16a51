// Bearer tokens with roles (viewer < responder < admin). Tokens come from config (API_TOKENS);
// the audit trail names a token by a short hash, never the token itself.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiForbidden, ApiUnauthorized } from '#shared/errors.js';

export type Role = 'viewer' | 'responder' | 'admin';
const RANK: Record<Role, number> = { viewer: 1, responder: 2, admin: 3 };

export interface Principal {
  tokenId: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

export function createAuthenticator(tokens: readonly { token: string; role: Role }[], openAccess: boolean) {
  const known = tokens.map((t) => ({
    digest: createHash('sha256').update(t.token).digest(),
    role: t.role,
    id: tokenId(t.token),
  }));
  return function authenticate(req: FastifyRequest): Principal {
    const header = req.headers.authorization;
    if (!header) {
      if (openAccess) return { tokenId: 'open-access', role: 'viewer' };
      throw ApiUnauthorized();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw ApiUnauthorized();
    const digest = createHash('sha256').update(m[1]!).digest();
    const hit = known.find((k) => timingSafeEqual(k.digest, digest));
    if (!hit) throw ApiUnauthorized();
    return { tokenId: hit.id, role: hit.role };
  };
}

/** preHandler factory: `{ preHandler: requireRole('responder') }` */
export function requireRole(role: Role, authenticate: (req: FastifyRequest) => Principal) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    const p = authenticate(req);
    if (RANK[p.role] < RANK[role])
      throw ApiForbidden(p.role, `${req.method} ${req.routeOptions.url ?? req.url}`);
    req.principal = p;
  };
}
