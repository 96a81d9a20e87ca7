/** The gateway tests' client: @ticketcd/testing's, with the session cookie named by the gateway's source. */
import { ApiClient as BaseApiClient } from '@ticketcd/testing';
import { SESSION_COOKIE } from '../src/auth/cookies.js';

export type { ApiResponse } from '@ticketcd/testing';

export class ApiClient extends BaseApiClient {
  constructor(baseUrl: string) {
    super(baseUrl, SESSION_COOKIE);
  }
}

/** Env every gateway test stack uses: a known first admin and limits a test will not trip by accident. */
export const GATEWAY_TEST_ENV = {
  ADMIN_USERNAME: 'admin',
  ADMIN_PASSWORD: 'admin-test-password',
  RPC_TIMEOUT_MS: '3000',
};
