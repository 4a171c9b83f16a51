// `leakwatch token create --name N --role R`: a new API token (32 random bytes), printed once,
// and the API_TOKENS entry that holds only its SHA-256 (the token is never stored).
import { createHash, randomBytes } from 'node:crypto';

export const ROLES = ['viewer', 'responder', 'admin'] as const;

export interface NewToken {
  token: string;
  entry: string;
}

export function createToken(name: string, role: string): NewToken {
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name))
    throw new Error(`--name must be 1-64 letters, digits or _.@- (got ${JSON.stringify(name)})`);
  if (!(ROLES as readonly string[]).includes(role))
    throw new Error(`--role must be one of ${ROLES.join(', ')} (got ${JSON.stringify(role)})`);
  const token = `lw_${randomBytes(32).toString('base64url')}`;
  return { token, entry: `${name}:${role}:${tokenSha256(token)}` };
}

export function tokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
