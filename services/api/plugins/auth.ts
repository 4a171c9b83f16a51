// Bearer tokens with roles (viewer < responder < admin). Every route declares the role it needs in
// its route config (`config: { role: 'viewer' }`, or 'public' for ops routes); a route without one
// is refused when it is registered, so no route can be left open by omission. The role is also
// written into the route's OpenAPI operation (`x-leakwatch-role`, and the summary's tail).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiForbidden, ApiUnauthorized } from '#shared/errors.js';

export type Role = 'viewer' | 'responder' | 'admin';
export type RouteRole = Role | 'public';
const RANK: Record<Role, number> = { viewer: 1, responder: 2, admin: 3 };

export interface Principal {
  /** Short hash of the token: names the caller in logs and the audit trail, never the token. */
  tokenId: string;
  /** The token's name from API_TOKENS (the actor recorded on status changes). */
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The least role a caller needs; 'public' needs no token. */
    role?: RouteRole;
    /** Write an api_audit row for every call (reads of access history, incidents; every write). */
    audit?: boolean;
  }
}

export interface TokenEntry {
  name: string;
  role: Role;
  /** sha256 of the token, hex */
  sha256: string;
}

export function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export function createAuthenticator(tokens: readonly TokenEntry[], openAccess: boolean) {
  const known = tokens.map((t) => ({
    digest: Buffer.from(t.sha256, 'hex'),
    role: t.role,
    name: t.name,
    id: t.sha256.slice(0, 12),
  }));
  return function authenticate(req: FastifyRequest): Principal {
    const header = req.headers.authorization;
    if (!header) {
      if (openAccess) return { tokenId: 'open-access', name: 'open-access', role: 'viewer' };
      throw ApiUnauthorized();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw ApiUnauthorized();
    const digest = createHash('sha256').update(m[1]!).digest();
    // compare against every entry (no early exit), in constant time per entry
    let hit: (typeof known)[number] | undefined;
    for (const k of known)
      if (k.digest.length === digest.length && timingSafeEqual(k.digest, digest)) hit = k;
    if (!hit) throw ApiUnauthorized();
    return { tokenId: hit.id, name: hit.name, role: hit.role };
  };
}

export interface AuthOptions {
  tokens: readonly TokenEntry[];
  openAccess: boolean;
}

async function authPlugin(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  const authenticate = createAuthenticator(opts.tokens, opts.openAccess);
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD' || route.url.startsWith('/docs')) return; // swagger-ui's own routes
    const role = route.config?.role;
    if (role === undefined) throw new Error(`route ${String(route.method)} ${route.url} declares no role`);
    if (role !== 'public' && route.schema && !route.schema.hide) {
      const s = route.schema as Record<string, unknown>;
      s['x-leakwatch-role'] = role;
      s['security'] = [{ bearer: [] }];
      s['description'] =
        `${s['description'] ? `${s['description']}\n\n` : ''}Requires role **${role}** or above.`;
    }
  });
  app.addHook('onRequest', async (req) => {
    const need = req.routeOptions.config?.role;
    if (need === undefined || need === 'public') return;
    const p = authenticate(req);
    // set before the role check: a known token refused for its role is recorded in api_audit (a
    // viewer trying a write or the audit trail), an unknown one (401) is not
    req.principal = p;
    if (!roleAtLeast(p.role, need))
      throw ApiForbidden(p.role, `${req.method} ${req.routeOptions.url ?? req.url}`);
  });
}

export const auth = fp(authPlugin, { name: 'leakwatch-auth', fastify: '5.x' });
