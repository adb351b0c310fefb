#!/usr/bin/env node
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli/cli.module';
import { loadConfigOrExit } from './config/config';
import { DomainException } from './common/domain.exception';

/** `fundguard` — the command line: db migrate, import, export, demo. */
async function main() {
  const config = loadConfigOrExit();
  await CommandFactory.run(CliModule.forRoot(config), {
    cliName: 'fundguard',
    logger: ['error', 'warn'],
    serviceErrorHandler: (err) => {
      if (err instanceof DomainException) {
        process.stderr.write(`error: ${err.message}\n${err.errors.map((e) => `  - ${e.path}: ${e.reason}\n`).join('')}`);
      } else {
        process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      }
      process.exitCode = 1;
    },
  });
  if (config.reportMaxRss) process.stderr.write(`max-rss-kb ${process.resourceUsage().maxRSS}\n`);
  // A failed start can leave sockets (Redis, PostgreSQL) open: the command is over, so leave.
  process.exit(process.exitCode ?? 0);
}

main().catch((err) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
