/** Queue names and the typed payload of every job name (Immich's JobOf pattern). */
export enum QueueName {
  Import = 'import',
}

export interface JobPayloads {
  /** Import claims.csv + claim_items.csv of an import run. */
  'import.claims': { importId: string };
  /** Import the reference files of an import run. */
  'import.reference': { importId: string };
}

export type JobName = keyof JobPayloads;

export const JOB_NAMES: JobName[] = ['import.claims', 'import.reference'];

/** The queue each job runs on: one processor per queue. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  'import.claims': QueueName.Import,
  'import.reference': QueueName.Import,
};

export interface JobOf<N extends JobName> {
  id: string;
  name: N;
  data: JobPayloads[N];
  attempt: number;
}

export interface JobContext {
  /** Reports progress (0–100 or a structured object) to whoever watches the job. */
  progress(value: number | object): Promise<void> | void;
}

/** A handler throws on failure so the job is retried with backoff; it must be idempotent. */
export type JobHandler<N extends JobName> = (job: JobOf<N>, ctx: JobContext) => Promise<unknown>;
