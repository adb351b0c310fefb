import { resolve } from 'node:path';
import { z } from 'zod';
import { RISK_LEVEL_FLOOR } from '../scoring/risk-levels';

/** Raised at boot when the environment does not describe a valid configuration; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEV_PSEUDONYM_KEY = 'fundguard-development-key-not-for-production';
/** 32 bytes, base64: the development key of tipsters' identities (refused in production). */
const DEV_TIP_IDENTITY_KEY = Buffer.from('fundguard-dev-tip-key-not-secret').toString('base64');

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }).default('development'),
    PORT: int(0, 65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    PUBLIC_URL: z.preprocess(emptyToUndefined, z.url({ message: 'must be a URL' }).optional()),
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' })
        .optional(),
    ),
    DATABASE_SCHEMA: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lower-case SQL identifier' })
        .default('public'),
    ),
    DATABASE_POOL_SIZE: int(1, 200).default(10),
    DATABASE_MIGRATE_ON_START: z.preprocess(emptyToUndefined, bool.optional()),
    DATA_DIR: z.string().default('./data'),
    REDIS_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
        .optional(),
    ),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'may hold only letters, digits, _ and -' })
      .default('fundguard'),
    WORKER_CONCURRENCY: int(1, 64).default(2),
    JOB_ATTEMPTS: int(1, 100).default(5),
    JOB_BACKOFF_MS: int(0, 3_600_000).default(2000),
    JOB_LOCK_MS: int(1000, 3_600_000).default(30_000),
    PSEUDONYM_KEY: z.preprocess(
      emptyToUndefined,
      z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
    ),
    DEFAULT_UTC_OFFSET: z
      .string()
      .regex(/^[+-]\d{2}:\d{2}$/, { message: 'must look like +08:00' })
      .default('+08:00'),
    UPLOAD_MAX_MB: int(1, 10_240).default(512),
    RULES_DIR: z.preprocess(emptyToUndefined, z.string().optional()),
    SCREENING_BATCH_CLAIMS: int(100, 1_000_000).default(20_000),
    REPORT_MAX_RSS: z.preprocess(emptyToUndefined, bool.optional()),
    CASE_GROUPING: z.enum(['institution-period', 'claim'], { message: 'must be institution-period or claim' }).default('institution-period'),
    CASE_APPEAL_DAYS: int(1, 365).default(15),
    CASE_REVIEW_DAYS: int(1, 365).default(30),
    CASE_RECOVERY_DAYS: int(1, 365).default(30),
    CASE_RISK_THRESHOLD: z.coerce.number({ message: 'must be a number' }).min(0, { message: 'must be at least 0' }).max(100, { message: 'must be at most 100' }).default(RISK_LEVEL_FLOOR.high),
    CREDIT_POLICY_FILE: z.preprocess(emptyToUndefined, z.string().optional()),
    LOGIN_MAX_FAILURES: int(1, 100).default(5),
    LOGIN_LOCKOUT_MINUTES: int(1, 10_080).default(15),
    LOGIN_RATE_PER_MINUTE: int(1, 100_000).default(20),
    SESSION_TTL_HOURS: int(1, 720).default(12),
    SESSION_COOKIE_SECURE: z.preprocess(emptyToUndefined, bool.optional()),
    DISCLOSURE_MIN_CELL: int(1, 1000).default(5),
    TIP_IDENTITY_KEY: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, { message: 'must be 32 bytes in base64 (e.g. openssl rand -base64 32)' })
        .optional(),
    ),
    TIP_RATE_PER_HOUR: int(1, 100_000).default(5),
    TIP_REWARD_POLICY_FILE: z.preprocess(emptyToUndefined, z.string().optional()),
    LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose'], { message: 'must be error, warn, log, debug or verbose' }).default('log'),
  });

/** The one typed configuration object; built once at boot from the environment. */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  http: { host: string; port: number; publicUrl?: string; uploadMaxBytes: number };
  database: {
    /** Unset: embedded PostgreSQL (PGlite) under dataDir. */
    url?: string;
    embedded: boolean;
    schema: string;
    poolSize: number;
    migrateOnStart: boolean;
  };
  dataDir: string;
  queue: {
    /** Unset: jobs run in-process through the same handlers. */
    redisUrl?: string;
    inProcess: boolean;
    prefix: string;
    concurrency: number;
    attempts: number;
    backoffMs: number;
    lockMs: number;
  };
  privacy: { pseudonymKey: string; usingDevelopmentKey: boolean };
  import: { defaultUtcOffset: string };
  screening: {
    /** The rule library folder (holding screening/*.yaml and the schema); unset: the shipped rules/. */
    rulesDir?: string;
    /** Claims per screening batch job. */
    batchClaims: number;
  };
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** Print the process's peak memory when a CLI command ends (the benchmark reads it). */
  reportMaxRss: boolean;
  cases: {
    /** How findings are grouped into cases: one per institution and settlement month, or one per claim (claim-level findings). */
    grouping: 'institution-period' | 'claim';
    /** Days after a decision within which the institution may appeal (申诉). */
    appealDays: number;
    /** Days after opening by which a case should be reviewed (shown as its review due date). */
    reviewDays: number;
    /** Days after a decision by which recoveries (refund, fine) are due. */
    recoveryDays: number;
    /** Institution risk score (0–100) at or above which a risk case is opened for the period (default 60: the console's "high" band, weighted mean positive robust z ≥ 1.5). */
    riskThreshold: number;
  };
  credit: {
    /** The credit policy file (checked against rules/credit-policy.schema.json at start); unset: the shipped rules/credit-policy.yaml. */
    policyFile?: string;
  };
  disclosure: {
    /** Public cells describing fewer patients than this are suppressed (shown as "<k"). */
    minCell: number;
  };
  tips: {
    /** AES-256-GCM key (32 bytes) that encrypts tipsters' identities at rest. */
    identityKey: Buffer;
    usingDevelopmentKey: boolean;
    /** Tips one client address may submit per hour (per process). */
    ratePerHour: number;
    /** The reward policy file (checked against its schema at start); unset: the shipped rules/tip-rewards.yaml. */
    rewardPolicyFile?: string;
  };
  auth: {
    /** Consecutive wrong passwords that lock an account. */
    maxFailures: number;
    lockoutMinutes: number;
    /** Login attempts one client address may make per minute (per process). */
    loginRatePerMinute: number;
    /** Idle time after which a session ends (sliding). */
    sessionTtlHours: number;
    /** Session cookie only over HTTPS; default: on when PUBLIC_URL is https. */
    secureCookies: boolean;
  };
}

/** Validates the environment; throws ConfigError naming every invalid variable. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable is an unset one (docker-compose and systemd files often leave them blank).
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(rawEnv).map(([k, v]) => [k, v?.trim() === '' ? undefined : v]));
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const name = i.path.join('.') || '(environment)';
      const value = env[name];
      const shown = value === undefined ? '' : /URL|KEY|PASSWORD|SECRET/.test(name) ? ' (value hidden)' : ` (= ${JSON.stringify(value)})`;
      problems.push(`${name}${shown}: ${i.message}`);
    }
  }
  // Checked here, not in the schema: zod skips object-level checks once a field has failed.
  if (env.NODE_ENV === 'production' && !env.PSEUDONYM_KEY) {
    problems.push('PSEUDONYM_KEY: is required in production (the key of the patient-id pseudonymisation hash)');
  }
  if (env.NODE_ENV === 'production' && !env.TIP_IDENTITY_KEY) {
    problems.push("TIP_IDENTITY_KEY: is required in production (the key that encrypts tipsters' identities)");
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  const embedded = !e.DATABASE_URL;
  return {
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT, publicUrl: e.PUBLIC_URL, uploadMaxBytes: e.UPLOAD_MAX_MB * 1024 * 1024 },
    database: {
      url: e.DATABASE_URL,
      embedded,
      schema: e.DATABASE_SCHEMA,
      // PGlite runs one query at a time whatever the pool: give TypeORM one connection.
      poolSize: embedded ? 1 : e.DATABASE_POOL_SIZE,
      migrateOnStart: e.DATABASE_MIGRATE_ON_START ?? embedded,
    },
    dataDir: resolve(e.DATA_DIR),
    queue: {
      redisUrl: e.REDIS_URL,
      inProcess: !e.REDIS_URL,
      prefix: e.QUEUE_PREFIX,
      concurrency: e.WORKER_CONCURRENCY,
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      lockMs: e.JOB_LOCK_MS,
    },
    privacy: { pseudonymKey: e.PSEUDONYM_KEY ?? DEV_PSEUDONYM_KEY, usingDevelopmentKey: !e.PSEUDONYM_KEY },
    import: { defaultUtcOffset: e.DEFAULT_UTC_OFFSET },
    screening: { rulesDir: e.RULES_DIR ? resolve(e.RULES_DIR) : undefined, batchClaims: e.SCREENING_BATCH_CLAIMS },
    logLevel: e.LOG_LEVEL,
    reportMaxRss: e.REPORT_MAX_RSS ?? false,
    cases: {
      grouping: e.CASE_GROUPING,
      appealDays: e.CASE_APPEAL_DAYS,
      reviewDays: e.CASE_REVIEW_DAYS,
      recoveryDays: e.CASE_RECOVERY_DAYS,
      riskThreshold: e.CASE_RISK_THRESHOLD,
    },
    credit: { policyFile: e.CREDIT_POLICY_FILE ? resolve(e.CREDIT_POLICY_FILE) : undefined },
    disclosure: { minCell: e.DISCLOSURE_MIN_CELL },
    tips: {
      identityKey: Buffer.from(e.TIP_IDENTITY_KEY ?? DEV_TIP_IDENTITY_KEY, 'base64'),
      usingDevelopmentKey: !e.TIP_IDENTITY_KEY,
      ratePerHour: e.TIP_RATE_PER_HOUR,
      rewardPolicyFile: e.TIP_REWARD_POLICY_FILE ? resolve(e.TIP_REWARD_POLICY_FILE) : undefined,
    },
    auth: {
      maxFailures: e.LOGIN_MAX_FAILURES,
      lockoutMinutes: e.LOGIN_LOCKOUT_MINUTES,
      loginRatePerMinute: e.LOGIN_RATE_PER_MINUTE,
      sessionTtlHours: e.SESSION_TTL_HOURS,
      secureCookies: e.SESSION_COOKIE_SECURE ?? (e.PUBLIC_URL?.startsWith('https:') ?? false),
    },
  };
}

/** Entry points call this: on invalid configuration it prints every problem and exits. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** ioredis options from a redis:// or rediss:// URL (BullMQ takes options, not a URL). */
export function redisOptions(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}
