/**
 * A live stream (Server-Sent Events) as a React hook that never gives up.
 *
 * The browser's EventSource reconnects by itself after a dropped connection (sending
 * Last-Event-ID, which /api/me/live uses to replay missed alerts). It stops for good when the
 * server answers an error status (503 while a dependency is down, 429): then we open a new one
 * after a growing pause. `status` says whether what the page shows is live or may be stale.
 */
import { useEffect, useRef, useState } from 'react';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface StreamHandlers {
  /** Named events: `event: snapshot` → handlers.snapshot(JSON data, id). */
  [event: string]: (data: unknown, lastEventId: string) => void;
}

export interface StreamOptions {
  enabled?: boolean;
  /** Called on every (re)open: re-read what a fresh connection does not replay. */
  onOpen?: (reopened: boolean) => void;
  /** Cap of the pause between attempts after the server refused the stream. */
  maxBackoffMs?: number;
}

export function useEventStream(url: string | null, handlers: StreamHandlers, opts: StreamOptions = {}): StreamStatus {
  // The status of the stream for this url (another url starts as 'connecting').
  const [state, setState] = useState<{ url: string | null; status: StreamStatus }>({ url, status: 'connecting' });
  // The latest handlers without reopening the stream on every render.
  const ref = useRef({ handlers, onOpen: opts.onOpen });
  useEffect(() => {
    ref.current = { handlers, onOpen: opts.onOpen };
  });
  const enabled = opts.enabled ?? true;
  const maxBackoff = opts.maxBackoffMs ?? 15_000;
  const events = Object.keys(handlers).sort().join(',');

  useEffect(() => {
    if (!url || !enabled) return;
    let es: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let opened = false;
    let closed = false;
    const setStatus = (status: StreamStatus) => setState({ url, status });

    const open = () => {
      es = new EventSource(url, { withCredentials: true });
      es.onopen = () => {
        attempt = 0;
        setStatus('live');
        ref.current.onOpen?.(opened);
        opened = true;
      };
      es.onerror = () => {
        if (closed) return;
        setStatus('reconnecting');
        if (es?.readyState === EventSource.CLOSED) {
          es.close();
          const delay = Math.min(maxBackoff, 1000 * 2 ** attempt++) * (0.75 + Math.random() / 2);
          timer = setTimeout(open, delay);
        }
      };
      for (const name of events.split(',').filter(Boolean)) {
        es.addEventListener(name, (ev) => {
          const msg = ev as MessageEvent<string>;
          let data: unknown = msg.data;
          try {
            data = JSON.parse(msg.data);
          } catch {
            // plain text data: pass it as it came
          }
          ref.current.handlers[name]?.(data, msg.lastEventId);
        });
      }
    };
    open();
    // A tab coming back from the background reconnects at once rather than after the backoff.
    const onVisible = () => {
      if (document.visibilityState === 'visible' && es?.readyState === EventSource.CLOSED) {
        clearTimeout(timer);
        attempt = 0;
        open();
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      closed = true;
      clearTimeout(timer);
      es?.close();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [url, enabled, events, maxBackoff]);

  return state.url === url ? state.status : 'connecting';
}
