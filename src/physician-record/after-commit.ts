import { Logger } from '@nestjs/common';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

type Task = () => Promise<void>;

const pending = new WeakMap<QueryRunner, Task[]>();
const installed = new WeakSet<DataSource>();
const logger = new Logger('AfterCommit');

/**
 * Work that must follow a transaction's commit, never precede it: queueing a job that reads what
 * the transaction wrote (a worker could otherwise pick it up first and find nothing). Tasks of a
 * rolled-back transaction are dropped. A task that fails is logged; the commit already happened.
 */
const subscriber: EntitySubscriberInterface = {
  async afterTransactionCommit(event: TransactionCommitEvent) {
    const qr = event.queryRunner;
    // Releasing a savepoint also "commits": wait for the outermost transaction.
    if (qr.isTransactionActive) return;
    const tasks = pending.get(qr);
    if (!tasks) return;
    pending.delete(qr);
    for (const task of tasks) {
      try {
        await task();
      } catch (err) {
        logger.error(`a task after commit failed: ${(err as Error).message}`);
      }
    }
  },
  afterTransactionRollback(event: TransactionRollbackEvent) {
    if (!event.queryRunner.isTransactionActive) pending.delete(event.queryRunner);
  },
};

/** Registers the commit hook on a data source (once). */
export function installAfterCommit(ds: DataSource): void {
  if (installed.has(ds)) return;
  installed.add(ds);
  ds.subscribers.push(subscriber);
}

/** Runs `task` after the transaction of `m` commits (at once when `m` is in no transaction). */
export async function afterCommit(m: EntityManager, task: Task): Promise<void> {
  const qr = m.queryRunner;
  if (!qr?.isTransactionActive) {
    await task();
    return;
  }
  if (!installed.has(m.dataSource)) throw new Error('installAfterCommit() was not called for this data source');
  const tasks = pending.get(qr);
  if (tasks) tasks.push(task);
  else pending.set(qr, [task]);
}
