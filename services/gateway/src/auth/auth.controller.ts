import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Inject } from '@nestjs/common';
import { SERVICE_CONFIG } from '@ticketcd/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../gateway.config.js';
import { Auth, CurrentUser, RateLimit } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { parseInput } from '../http/validation.js';
import { loginBody, loginReply, meReply, registerBody } from './auth.dto.js';
import { AuthService, type Principal } from './auth.service.js';
import { clearSessionCookie, setSessionCookie } from './cookies.js';

const ME = { username: 'ana', name: 'Ana Lima', email: 'ana@example.com', role: 'user', createdAt: '2026-11-25T10:00:00.000Z' };

@ApiTags('accounts')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Post('register')
  @RateLimit('login')
  @Documented({
    summary: 'Create an account (role user)',
    body: { schema: registerBody, example: { username: 'ana', password: 'a long passphrase', name: 'Ana Lima', email: 'ana@example.com' } },
    ok: { status: 201, schema: meReply, example: ME },
    errors: [
      [400, 'A field is missing or malformed; `fields` says which.'],
      [409, 'The username is taken.'],
    ],
    forwards: false,
  })
  register(@Body() body: unknown) {
    return this.auth.register(parseInput(registerBody, body));
  }

  @Post('login')
  @RateLimit('login')
  @Documented({
    summary: 'Log in: sets the HttpOnly session cookie',
    body: { schema: loginBody, example: { username: 'ana', password: 'a long passphrase' } },
    ok: { status: 200, schema: loginReply, example: { user: ME, expiresAt: '2026-12-02T10:00:00.000Z' } },
    errors: [
      [400, 'Username or password missing.'],
      [401, 'Wrong username or password (the same answer for both).'],
    ],
    forwards: false,
  })
  async login(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply) {
    const { username, password } = parseInput(loginBody, body);
    const { token, me, expiresAt } = await this.auth.login(username, password);
    setSessionCookie(req, res, token, this.config.SESSION_TTL_S, this.config.COOKIE_SECURE);
    return { user: me, expiresAt };
  }

  @Post('logout')
  @Auth()
  @Documented({ summary: 'Log out: ends the session everywhere', ok: { status: 204, description: 'Logged out' }, forwards: false })
  async logout(@CurrentUser() principal: Principal, @Res({ passthrough: true }) res: FastifyReply) {
    await this.auth.logout(principal);
    clearSessionCookie(res);
  }

  @Get('me')
  @Auth()
  @Documented({ summary: 'The logged-in user', ok: { status: 200, schema: meReply, example: ME }, forwards: false })
  me(@CurrentUser() principal: Principal) {
    return this.auth.me(principal);
  }
}
