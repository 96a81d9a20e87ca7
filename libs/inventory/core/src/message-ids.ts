/**
 * JetStream message ids of inventory's events. The stream drops a message whose id it saw in its
 * duplicate window, so an id must name exactly one fact: a re-relay of the same fact repeats it,
 * two different facts never share it.
 */

/** One sale: an order id is only unique within its event (`sale:<eventId>:<orderId>`). */
export const soldMessageId = (eventId: string, orderId: string): string => `sold:${eventId}:${orderId}`;

/** One ticket type's level after the commit at `revision`. */
export const stockMessageId = (eventId: string, ticketType: string, revision: number): string =>
  `stock:${eventId}:${ticketType}:${revision}`;
