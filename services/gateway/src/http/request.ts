/** Small readers of a Fastify request, in the terms the gateway used on Express. */

/** The path of a request target, without the query (Express's `req.path`). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** One request header as a string (a repeated one joined, as Node does for most). */
export function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
