/** NATS header names the platform sets on every hop. */
export const HEADERS = {
  traceId: 'Ticketcd-Trace-Id',
  /** Request-reply: ms the caller will wait for the answer (relative, so clock skew does not matter). */
  budgetMs: 'Ticketcd-Budget-Ms',
  source: 'Ticketcd-Source',
  /** A partition probe's answer: ms the answering instance has listened on that partition's subject. */
  listeningMs: 'Ticketcd-Listening-Ms',
  parkedError: 'Ticketcd-Parked-Error',
  parkedStream: 'Ticketcd-Parked-Stream',
  parkedSeq: 'Ticketcd-Parked-Seq',
  parkedSubject: 'Ticketcd-Parked-Subject',
  parkedDeliveries: 'Ticketcd-Parked-Deliveries',
  /** Failed attempts counted against the message (transient failures never count). */
  parkedAttempts: 'Ticketcd-Parked-Attempts',
  /** permanent | unknown (see messaging's failures.ts). */
  parkedFailure: 'Ticketcd-Parked-Failure',
  /** On a message replayed from PARKED: the PARKED sequence it came from. */
  replayOf: 'Ticketcd-Replay-Of',
} as const;
