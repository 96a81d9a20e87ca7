/** Buyers for load runs (chaos, burst, failover): accounts registered and logged in over HTTP. */

const PASSWORD = 'load-run-password-1234';

/**
 * Registers and logs in `count` users, a few at a time (scrypt costs the gateway ~50 ms of CPU per
 * hash); their session cookies. With the default timeouts a loaded machine can time one out: the
 * setup retries (a 409 on register: it went through); the run itself does not.
 */
export async function signInUsers(base: string, run: string, count: number): Promise<{ username: string; cookie: string }[]> {
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const out: { username: string; cookie: string }[] = [];
  for (let i = 0; i < count; i += 4) {
    const part = await Promise.all(
      Array.from({ length: Math.min(4, count - i) }, async (_, j) => {
        const username = `buyer-${run}-${i + j}`;
        let last = '';
        for (let attempt = 0; attempt < 6; attempt++) {
          const reg = await post('/api/auth/register', { username, password: PASSWORD });
          await reg.arrayBuffer();
          if (reg.status !== 201 && reg.status !== 409) {
            last = `register ${reg.status}`;
            continue;
          }
          const res = await post('/api/auth/login', { username, password: PASSWORD });
          await res.arrayBuffer();
          const cookie = res.headers
            .getSetCookie()
            .map((c) => c.split(';')[0]!)
            .find((c) => c.startsWith('ticketcd_session='));
          if (res.status === 200 && cookie) return { username, cookie };
          last = `login ${res.status}`;
        }
        throw new Error(`${username}: ${last}`);
      }),
    );
    out.push(...part);
  }
  return out;
}
