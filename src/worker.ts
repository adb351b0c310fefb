import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadConfigOrExit } from './config/config';
import { loggerLevels } from './http';

/** Queue workers only, so API and workers scale apart. Needs REDIS_URL. */
async function main() {
  const config = loadConfigOrExit();
  if (config.queue.inProcess) {
    console.error('REDIS_URL is not set: without Redis, jobs run inside the API process (src/main.ts) and a separate worker has nothing to do.');
    process.exit(78);
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, 'worker'), { logger: loggerLevels(config) });
  app.enableShutdownHooks();
  new Logger('Worker').log('worker started; stop with SIGTERM (running jobs are handed back to the queue)');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
