import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Rpc } from '@ticketcd/contracts';
import { Auth } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { Forwarder } from '../http/forwarder.js';
import { pageQuery, parseUsername } from '../http/params.js';
import { parseInput } from '../http/validation.js';
import { meReply } from './auth.dto.js';
import { AuthService } from './auth.service.js';

const BAD: [number, string] = [400, 'A parameter is malformed; `fields` says which.'];
const NO_USER: [number, string] = [404, 'No user with this name.'];

/** Another user's profile, purchases and favourites, for admins helping a buyer (the report's /profile?username=). */
@ApiTags('admin')
@Controller('api/admin/users/:username')
@Auth('admin')
export class UsersController {
  constructor(
    private readonly auth: AuthService,
    private readonly forward: Forwarder,
  ) {}

  @Get()
  @Documented({ summary: "A user's account (admin)", ok: { status: 200, schema: meReply }, errors: [BAD, NO_USER], forwards: false })
  profile(@Param('username') username: string) {
    return this.auth.profile(parseUsername(username));
  }

  @Get('purchases')
  @Documented({
    summary: "A user's purchases (admin), newest first",
    query: pageQuery,
    ok: { status: 200, schema: Rpc.orders.history.reply },
    errors: [BAD],
  })
  purchases(@Param('username') username: string, @Query() query: unknown) {
    return this.forward.call(Rpc.orders.history, { username: parseUsername(username), ...parseInput(pageQuery, query, 'query') });
  }

  @Get('favourites')
  @Documented({
    summary: "A user's favourite events (admin)",
    query: pageQuery,
    ok: { status: 200, schema: Rpc.catalog.listFavourites.reply },
    errors: [BAD],
  })
  favourites(@Param('username') username: string, @Query() query: unknown) {
    return this.forward.call(Rpc.catalog.listFavourites, { username: parseUsername(username), ...parseInput(pageQuery, query, 'query') });
  }
}
