/* eslint-disable @typescript-eslint/no-explicit-any -- test responses are whatever JSON the API sent */
/** A small HTTP client for tests over the gateway's API: JSON in and out, one session cookie per client. */

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  cookie: string | null = null;

  /** `sessionCookie`: the gateway's session cookie name (its tests pass this.sessionCookie from its source). */
  constructor(
    readonly baseUrl: string,
    private readonly sessionCookie = 'ticketcd_session',
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] ??= 'application/json';
    if (this.cookie) headers.cookie = `${this.sessionCookie}=${this.cookie}`;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
      signal: AbortSignal.timeout(30_000),
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith(`${this.sessionCookie}=`));
    if (set) {
      const value = set.slice(this.sessionCookie.length + 1).split(';')[0]!;
      this.cookie = value === '' ? null : value;
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (HTML docs page): keep the text
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, { headers });
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { body, headers });
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, { body });
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, { body });
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Registers (if needed) and logs in; throws unless both worked. */
  async signIn(username: string, password = `${username}-password-long`): Promise<this> {
    const r = await this.post('/api/auth/register', { username, password, email: `${username}@example.com` });
    if (r.status !== 201 && r.status !== 409) throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    const l = await this.post('/api/auth/login', { username, password });
    if (l.status !== 200) throw new Error(`login ${username}: ${l.status} ${JSON.stringify(l.body)}`);
    return this;
  }
}
