import 'reflect-metadata';
import { loadConfigOrExit } from './config/config';
import { startHttp } from './http';

/** HTTP API and pages. With REDIS_URL set it only enqueues; run src/worker.ts for the workers. */
async function main() {
  const config = loadConfigOrExit();
  await startHttp(config, 'api');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
