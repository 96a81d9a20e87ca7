/* eslint-disable @typescript-eslint/no-explicit-any -- a test helper: event data is whatever JSON the test expects */
/**
 * A small Server-Sent Events reader over fetch for e2e tests: parses `event:`, `id:`, `data:`,
 * `retry:` and comment lines as a browser's EventSource does, and keeps everything received so
 * a test can `waitFor` what it expects. A non-200 answer is read as JSON (the API error shape).
 *
 *   const sse = await SseClient.open(`${url}/api/me/live`, { client: alice, lastEventId });
 *   const alert = await sse.next((e) => e.event === 'alert');
 *   sse.close();
 */
import { waitFor } from '@ticketcd/testing';
import { SESSION_COOKIE } from '../src/auth/cookies.js';
import type { ApiClient } from './api-client.js';

export interface SseEvent<T = any> {
  /** `message` when the frame named none, as in EventSource. */
  event: string;
  /** The frame's own `id:` (undefined if it had none). */
  id: string | undefined;
  /** `data:` lines joined by newlines, parsed as JSON when they are JSON. */
  data: T;
  rawData: string;
}

export interface SseOpenOptions {
  /** Sends this client's session cookie. */
  client?: ApiClient;
  lastEventId?: string;
  headers?: Record<string, string>;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  retry: number | undefined;
  /** The last id seen, as EventSource keeps it for Last-Event-ID. */
  lastEventId: string | undefined;
  /** The server ended the stream (or it broke). */
  ended = false;
  /** The JSON body of a non-200 answer. */
  body: any;
  private cursor = 0;

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly abort: AbortController,
  ) {}

  static async open(url: string, opts: SseOpenOptions = {}): Promise<SseClient> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
    if (opts.client?.cookie) headers.cookie = `${SESSION_COOKIE}=${opts.client.cookie}`;
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 30_000);
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: abort.signal });
    } finally {
      clearTimeout(timer);
    }
    const sse = new SseClient(res.status, res.headers, abort);
    if (res.status !== 200 || !res.body) {
      const text = await res.text();
      try {
        sse.body = text ? JSON.parse(text) : undefined;
      } catch {
        sse.body = text;
      }
      sse.ended = true;
      return sse;
    }
    void sse.read(res.body);
    return sse;
  }

  /** Waits for an event matching `pred` received after the previous `next` call's match. */
  async next<T = any>(pred: (e: SseEvent) => boolean = () => true, opts: { timeoutMs?: number; what?: string } = {}): Promise<SseEvent<T>> {
    return waitFor(
      () => {
        for (let i = this.cursor; i < this.events.length; i++) {
          if (pred(this.events[i]!)) {
            this.cursor = i + 1;
            return this.events[i]!;
          }
        }
        return null;
      },
      { timeoutMs: opts.timeoutMs ?? 15_000, what: opts.what ?? 'an SSE event' },
    );
  }

  /** All events of one type received so far. */
  of<T = any>(event: string): SseEvent<T>[] {
    return this.events.filter((e) => e.event === event);
  }

  close() {
    this.abort.abort();
  }

  private async read(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    let buffer = '';
    let frame: { event?: string; id?: string; data: string[] } = { data: [] };
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop()!; // an incomplete last line waits for more
        for (const line of lines) {
          if (line === '') {
            if (frame.data.length > 0) this.dispatch(frame);
            frame = { data: [] };
          } else if (line.startsWith(':')) {
            this.comments++;
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let value = colon < 0 ? '' : line.slice(colon + 1);
            if (value.startsWith(' ')) value = value.slice(1);
            if (field === 'event') frame.event = value;
            else if (field === 'data') frame.data.push(value);
            else if (field === 'id' && !value.includes('\0')) {
              frame.id = value;
              this.lastEventId = value;
            } else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
          }
        }
      }
    } catch {
      // aborted by close(), or the connection broke
    } finally {
      this.ended = true;
    }
  }

  private dispatch(frame: { event?: string; id?: string; data: string[] }) {
    const rawData = frame.data.join('\n');
    let data: unknown = rawData;
    try {
      data = JSON.parse(rawData);
    } catch {
      // not JSON: keep the text
    }
    this.events.push({ event: frame.event || 'message', id: frame.id, data, rawData });
  }
}
