/**
 * Reads request-reply messages for the services' NATS server (issue 18.3). Nest's own
 * deserializer throws on a body that is not JSON, and treats a JSON body without Nest's `id` as
 * an event: either way the request got no reply and its caller hung until its timeout. Here a
 * message that has a reply subject is always a request: a body that is not JSON becomes
 * `MalformedRpcData` (answered BAD_REQUEST by the RpcInterceptor), a bare JSON value becomes the
 * request's data.
 */
import type { Msg } from '@nats-io/nats-core';
import { IncomingRequestDeserializer, type IncomingRequest } from '@nestjs/microservices';

/** The data of a request whose body was not JSON. */
export class MalformedRpcData {
  constructor(readonly reason: string) {}
}

export class RpcRequestDeserializer extends IncomingRequestDeserializer {
  override deserialize(value: Msg, options?: Record<string, unknown>): IncomingRequest {
    const channel = options?.channel as string | undefined;
    let decoded: unknown;
    try {
      decoded = value.json();
    } catch (e) {
      decoded = { pattern: channel, data: new MalformedRpcData((e as Error).message) };
    }
    const message = super.deserialize(decoded, options) as IncomingRequest & { id?: string };
    // A message with a reply subject expects a reply, whatever its body says.
    if (value.reply && (typeof message.id !== 'string' || message.id === ''))
      return { ...message, id: message.id ? String(message.id) : 'none' };
    return message;
  }
}
