/**
 * The one way the UI talks to the gateway: openapi-fetch typed by the generated schema
 * (schema.gen.ts, from docs/openapi.json by `npm run api-types -w services/web`).
 * Every non-2xx answer becomes an ApiError carrying the API's own message, code, request id,
 * the dependency that is down (503) and the wait (429 Retry-After), so pages can show them.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.gen';

export type ApiErrorBody = components['schemas']['Error']['error'];
export type ApiErrorCode = ApiErrorBody['code'] | 'NETWORK';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly requestId?: string;
  readonly fields?: { path: string; message: string }[];
  readonly dependency?: string;
  readonly details?: Record<string, unknown>;
  /** Seconds to wait before retrying (429 Retry-After). */
  readonly retryAfter?: number;

  constructor(body: Omit<Partial<ApiErrorBody>, 'code'> & { status: number; code: ApiErrorCode; message: string }, retryAfter?: number) {
    super(body.message);
    this.name = 'ApiError';
    this.status = body.status;
    this.code = body.code;
    this.requestId = body.requestId;
    this.fields = body.fields;
    this.dependency = body.dependency;
    this.details = body.details;
    this.retryAfter = retryAfter;
  }

  /** The message the API gave for one input field, if any (inline errors under that field). */
  fieldMessage(field: string): string | undefined {
    return this.fields?.find((f) => f.path === field || f.path.endsWith(`.${field}`))?.message;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

const throwOnError: Middleware = {
  async onResponse({ response }) {
    if (response.ok) return undefined;
    let body: Partial<ApiErrorBody> | undefined;
    const requestId = response.headers.get('x-request-id') ?? undefined;
    try {
      body = ((await response.clone().json()) as { error?: ApiErrorBody }).error;
    } catch {
      // not our JSON (a proxy's page): keep the status
    }
    const retry = Number(response.headers.get('retry-after'));
    throw new ApiError(
      {
        status: response.status,
        code: body?.code ?? (response.status === 503 ? 'UNAVAILABLE' : 'INTERNAL'),
        message: body?.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
        requestId: body?.requestId ?? requestId,
        fields: body?.fields,
        dependency: body?.dependency,
        details: body?.details,
      },
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(throwOnError);

/** Unwraps an openapi-fetch result; network failures become ApiError NETWORK (status 0). */
export async function call<T>(p: Promise<{ data?: T; error?: unknown }>): Promise<T> {
  let r: { data?: T; error?: unknown };
  try {
    r = await p;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError({
      status: 0,
      code: 'NETWORK',
      message: 'The server could not be reached. Check your connection; we retry by ourselves.',
    });
  }
  return r.data as T;
}

export type Schemas = components['schemas'];
/** The JSON body of a path's successful GET. */
export type GetResult<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer R } } } };
}
  ? R
  : never;
