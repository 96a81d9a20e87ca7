import { Global, Module } from '@nestjs/common';
import { AccountsRepository } from './accounts.repository.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { UsersController } from './users.controller.js';

@Global()
@Module({ controllers: [AuthController, UsersController], providers: [AccountsRepository, AuthService], exports: [AuthService] })
export class AuthModule {}
