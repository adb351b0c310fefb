import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessGuard } from './access.guard';
import { AuthController, UsersController } from './accounts.controller';
import { AccountsService } from './accounts.service';

/**
 * Accounts, logins, sessions and tokens, and the global access guard (deny by default). Global, so
 * the console and the CLI reach AccountsService without importing this module.
 */
@Global()
@Module({
  providers: [AccountsService, { provide: APP_GUARD, useClass: AccessGuard }],
  controllers: [AuthController, UsersController],
  exports: [AccountsService],
})
export class AccountsModule {}
