/** Queue names and the typed payload of every job name (Immich's JobOf pattern). */
export enum QueueName {
  Import = 'import',
  Screening = 'screening',
}

export interface JobPayloads {
  /** Import claims.csv + claim_items.csv of an import run. */
  'import.claims': { importId: string };
  /** Import the reference files of an import run. */
  'import.reference': { importId: string };
  /** Split a screening run into batches of claims and enqueue them. */
  'screen.plan': { runId: string };
  /** Line and claim rules over one batch of claims (a range of claim version ids). */
  'screen.batch': { runId: string; fromPk: string; toPk: string };
  /** History and institution-period rules over the patients and months the run touched; closes the run. */
  'screen.finish': { runId: string };
  /** Risk scores of these periods (YYYY-MM), recomputed from the claims and findings. */
  'score.periods': { periods: string[] };
  /** Open cases from open findings not yet in a case and from high risk scores (idempotent; `after` says what triggered it). */
  'cases.open': { after: string };
  /** Deduct credit once for every recovery past its due date (daily; idempotent per recovery). */
  'credit.overdue-scan': { trigger?: string };
  /** Close a credit cycle (year) — or, without a year, every past cycle not closed yet (1 January; idempotent per year). */
  'credit.rollover': { year?: number };
}

export type JobName = keyof JobPayloads;

export const JOB_NAMES: JobName[] = ['import.claims', 'import.reference', 'screen.plan', 'screen.batch', 'screen.finish', 'score.periods', 'cases.open', 'credit.overdue-scan', 'credit.rollover'];

/** The queue each job runs on: one processor per queue. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  'import.claims': QueueName.Import,
  'import.reference': QueueName.Import,
  'screen.plan': QueueName.Screening,
  'screen.batch': QueueName.Screening,
  'screen.finish': QueueName.Screening,
  'score.periods': QueueName.Screening,
  'cases.open': QueueName.Screening,
  'credit.overdue-scan': QueueName.Screening,
  'credit.rollover': QueueName.Screening,
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
