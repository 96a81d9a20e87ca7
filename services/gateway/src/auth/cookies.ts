import type { FastifyReply, FastifyRequest } from 'fastify';
import { headerOf } from '../http/request.js';

export const SESSION_COOKIE = 'ticketcd_session';

/** One cookie's value from the Cookie header (no cookie parser needed for one name). */
export function readCookie(req: Pick<FastifyRequest, 'headers'>, name: string): string | null {
  const header = headerOf(req.headers, 'cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** A Set-Cookie value as Express's `res.cookie` wrote it (the `cookie` package's attribute order). */
function sessionCookie(value: string, expires: Date, maxAgeS: number | undefined, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    ...(maxAgeS === undefined ? [] : [`Max-Age=${maxAgeS}`]),
    'Path=/',
    `Expires=${expires.toUTCString()}`,
    'HttpOnly',
    ...(secure ? ['Secure'] : []),
    'SameSite=Lax',
  ].join('; ');
}

/** HttpOnly, SameSite=Lax; Secure when asked to, or ("auto") when the request came over TLS. */
export function setSessionCookie(
  req: FastifyRequest,
  res: FastifyReply,
  token: string,
  maxAgeS: number,
  secure: 'auto' | 'true' | 'false',
) {
  const isSecure = secure === 'true' || (secure === 'auto' && req.protocol === 'https');
  res.header('Set-Cookie', sessionCookie(token, new Date(Date.now() + maxAgeS * 1000), Math.floor(maxAgeS), isSecure));
}

export function clearSessionCookie(res: FastifyReply) {
  res.header('Set-Cookie', sessionCookie('', new Date(1), undefined, false));
}
