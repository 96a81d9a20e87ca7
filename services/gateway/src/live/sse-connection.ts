/**
 * One SSE response, written by hand on the Node response under the Fastify reply (taken over from
 * Fastify once open). Created when the request arrives
 * (so a client that drops while the stream is being prepared is noticed), opened once the first
 * messages are ready; messages arriving before that are buffered and handed to `onReady`.
 *
 * A client that reads too slowly (more than MAX_BUFFERED_BYTES waiting in the socket) is cut
 * off rather than letting the gateway's memory grow: it reconnects and resynchronises (a fresh
 * snapshot, or a replay from Last-Event-ID).
 */
import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { sseComment, sseFrame, sseRetry, type SseMessage } from './sse.js';

export const RETRY_MS = 2000;
const MAX_BUFFERED_BYTES = 1024 * 1024;

export class SseConnection<T> {
  /** The client went away or the stream was ended: nothing more is written. */
  closed = false;
  private opened = false;
  private readonly early: T[] = [];
  /** Handles one live message once the stream is open (set by the route). */
  deliver: (msg: T) => void = () => undefined;

  private readonly res: ServerResponse;

  constructor(
    private readonly reply: FastifyReply,
    private readonly onClose: () => void,
  ) {
    this.res = reply.raw;
    this.res.on('close', () => this.end());
  }

  get isOpen() {
    return this.opened && !this.closed;
  }

  /** A live message: written at once when open, kept for `open` while the stream is prepared. */
  push(msg: T) {
    if (this.closed) return;
    if (this.opened) this.deliver(msg);
    else if (this.early.length < 10_000) this.early.push(msg);
  }

  /** Sends the headers and the retry delay, then returns what arrived while preparing. */
  open(): T[] {
    const res = this.res;
    // Fastify neither sends nor ends this reply from now on: the stream is written here.
    this.reply.hijack();
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    this.opened = true;
    this.write(sseRetry(RETRY_MS));
    return this.early.splice(0);
  }

  send(msg: SseMessage) {
    this.write(sseFrame(msg));
  }

  comment(text: string) {
    this.write(sseComment(text));
  }

  private write(chunk: string) {
    if (this.closed || !this.opened) return;
    this.res.write(chunk);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.end();
  }

  /** Ends the stream (idempotent); the registry forgets it. */
  end() {
    if (this.closed) return;
    this.closed = true;
    this.early.length = 0;
    if (this.opened && !this.res.writableEnded) this.res.end();
    this.onClose();
  }
}
