import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'ticketcd_session';

/** One cookie's value from the Cookie header (no cookie-parser needed for one name). */
export function readCookie(req: Request, name: string): string | null {
  const header = req.header('cookie');
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

/** HttpOnly, SameSite=Lax; Secure when asked to, or ("auto") when the request came over TLS. */
export function setSessionCookie(req: Request, res: Response, token: string, maxAgeS: number, secure: 'auto' | 'true' | 'false') {
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure === 'true' || (secure === 'auto' && req.secure),
    path: '/',
    maxAge: maxAgeS * 1000,
  });
}

export function clearSessionCookie(res: Response) {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', path: '/' });
}
