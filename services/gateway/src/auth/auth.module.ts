import { Global, Module } from '@nestjs/common';
import { AccountsRepository } from './accounts.repository.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';

@Global()
@Module({ controllers: [AuthController], providers: [AccountsRepository, AuthService], exports: [AuthService] })
export class AuthModule {}
