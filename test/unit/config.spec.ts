import { resolve } from 'node:path';
import { AppConfig, ConfigError, loadConfig, redisOptions } from '../../src/config/config';

/**
 * Configuration from the environment: defaults (embedded database, in-process jobs), every invalid
 * variable listed in one ConfigError, empty values treated as unset, Redis URL parsing.
 * loadConfig is always given an explicit environment, never process.env.
 */

const DEV_KEY = 'fundguard-development-key-not-for-production';
const KEY = 'a-production-pseudonym-key-of-32-chars';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const ALL_DEFAULTS: AppConfig = {
  env: 'development',
  http: { host: '127.0.0.1', port: 3000, publicUrl: undefined, uploadMaxBytes: 512 * 1024 * 1024 },
  database: { url: undefined, embedded: true, schema: 'public', poolSize: 1, migrateOnStart: true },
  dataDir: resolve('./data'),
  queue: { redisUrl: undefined, inProcess: true, prefix: 'fundguard', concurrency: 2, attempts: 5, backoffMs: 2000, lockMs: 30_000 },
  privacy: { pseudonymKey: DEV_KEY, usingDevelopmentKey: true },
  import: { defaultUtcOffset: '+08:00' },
  screening: { rulesDir: undefined, batchClaims: 20_000 },
  cases: { grouping: 'institution-period', appealDays: 15, reviewDays: 30, recoveryDays: 30, riskThreshold: 60 },
  credit: { policyFile: undefined },
  disclosure: { minCell: 5 },
  tips: { identityKey: Buffer.from('fundguard-dev-tip-key-not-secret'), usingDevelopmentKey: true, ratePerHour: 5, rewardPolicyFile: undefined },
  auth: { maxFailures: 5, lockoutMinutes: 15, loginRatePerMinute: 20, sessionTtlHours: 12, secureCookies: false },
  logLevel: 'log',
  reportMaxRss: false,
};

const TIP_KEY = Buffer.alloc(32, 9).toString('base64');

describe('disclosure and tips', () => {
  it('reads the suppression threshold and refuses 0', () => {
    expect(loadConfig({ DISCLOSURE_MIN_CELL: '10' }).disclosure.minCell).toBe(10);
    expect(problemsOf({ DISCLOSURE_MIN_CELL: '0' })).toEqual(['DISCLOSURE_MIN_CELL (= "0"): must be at least 1']);
  });

  it('takes a 32-byte base64 tip identity key, hides a wrong one, and requires one in production', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ TIP_IDENTITY_KEY: key }).tips).toMatchObject({ identityKey: Buffer.alloc(32, 7), usingDevelopmentKey: false });
    expect(problemsOf({ TIP_IDENTITY_KEY: Buffer.alloc(16).toString('base64') })).toEqual(['TIP_IDENTITY_KEY (value hidden): must be 32 bytes in base64 (e.g. openssl rand -base64 32)']);
    expect(problemsOf({ NODE_ENV: 'production', PSEUDONYM_KEY: 'x'.repeat(32) })).toEqual([
      "TIP_IDENTITY_KEY: is required in production (the key that encrypts tipsters' identities)",
    ]);
  });
});

describe('defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    expect(loadConfig({})).toEqual(ALL_DEFAULTS);
  });

  it('is embedded (PGlite) with one pooled connection and migrations on start when DATABASE_URL is unset', () => {
    expect(loadConfig({ DATABASE_POOL_SIZE: '50' }).database).toEqual({ url: undefined, embedded: true, schema: 'public', poolSize: 1, migrateOnStart: true });
  });

  it('uses the server and its pool size, without migrations on start by default, when DATABASE_URL is set', () => {
    const url = 'postgresql://fg:secret@db.internal:5432/fundguard';
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ url, embedded: false, schema: 'public', poolSize: 10, migrateOnStart: false });
    expect(loadConfig({ DATABASE_URL: 'postgres://db/fg', DATABASE_POOL_SIZE: '50' }).database.poolSize).toBe(50);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads DATABASE_MIGRATE_ON_START=%s as %s whatever the database', (raw, expected) => {
    expect(loadConfig({ DATABASE_MIGRATE_ON_START: raw }).database.migrateOnStart).toBe(expected);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/fg', DATABASE_MIGRATE_ON_START: raw }).database.migrateOnStart).toBe(expected);
  });

  it('runs jobs in-process when REDIS_URL is unset, through Redis when it is set', () => {
    expect(loadConfig({}).queue).toMatchObject({ redisUrl: undefined, inProcess: true });
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379' }).queue).toMatchObject({ redisUrl: 'redis://cache:6379', inProcess: false });
  });

  it('uses the development pseudonym key, saying so, unless PSEUDONYM_KEY is set', () => {
    expect(loadConfig({}).privacy).toEqual({ pseudonymKey: DEV_KEY, usingDevelopmentKey: true });
    expect(loadConfig({ PSEUDONYM_KEY: KEY }).privacy).toEqual({ pseudonymKey: KEY, usingDevelopmentKey: false });
  });

  it('reads explicit values', () => {
    const c = loadConfig({
      NODE_ENV: 'test',
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://fundguard.example.org',
      DATABASE_SCHEMA: 'fg_test',
      DATA_DIR: '/var/lib/fundguard',
      QUEUE_PREFIX: 'fg-1',
      WORKER_CONCURRENCY: '8',
      JOB_ATTEMPTS: '3',
      JOB_BACKOFF_MS: '0',
      JOB_LOCK_MS: '60000',
      DEFAULT_UTC_OFFSET: '-05:00',
      UPLOAD_MAX_MB: '2',
      RULES_DIR: '/etc/fundguard/rules',
      SCREENING_BATCH_CLAIMS: '5000',
      LOG_LEVEL: 'debug',
    });
    expect(c).toEqual({
      ...ALL_DEFAULTS,
      env: 'test',
      http: { host: '0.0.0.0', port: 8080, publicUrl: 'https://fundguard.example.org', uploadMaxBytes: 2 * 1024 * 1024 },
      database: { ...ALL_DEFAULTS.database, schema: 'fg_test' },
      dataDir: '/var/lib/fundguard',
      queue: { ...ALL_DEFAULTS.queue, prefix: 'fg-1', concurrency: 8, attempts: 3, backoffMs: 0, lockMs: 60_000 },
      import: { defaultUtcOffset: '-05:00' },
      screening: { rulesDir: '/etc/fundguard/rules', batchClaims: 5000 },
      // An https PUBLIC_URL makes the session cookie Secure unless SESSION_COOKIE_SECURE says otherwise.
      auth: { ...ALL_DEFAULTS.auth, secureCookies: true },
      logLevel: 'debug',
    });
  });

  it('resolves a relative DATA_DIR against the working directory', () => {
    expect(loadConfig({ DATA_DIR: 'var/fg' }).dataDir).toBe(resolve('var/fg'));
  });
});

describe('invalid configuration', () => {
  it('lists every invalid variable in one ConfigError, each with its name and value (hidden for URLs and keys)', () => {
    const problems = problemsOf({
      PORT: 'abc',
      DATABASE_URL: 'mysql://db/fg',
      DATABASE_POOL_SIZE: '0',
      DATABASE_MIGRATE_ON_START: 'maybe',
      REDIS_URL: 'http://cache',
      WORKER_CONCURRENCY: '1.5',
      PSEUDONYM_KEY: 'short',
      DEFAULT_UTC_OFFSET: '8',
      LOG_LEVEL: 'loud',
    });
    const expected = [
      'PORT (= "abc"): must be a number',
      'DATABASE_URL (value hidden): must be a postgres:// or postgresql:// URL',
      'DATABASE_POOL_SIZE (= "0"): must be at least 1',
      'DATABASE_MIGRATE_ON_START (= "maybe"): must be true or false',
      'REDIS_URL (value hidden): must be a redis:// or rediss:// URL',
      'WORKER_CONCURRENCY (= "1.5"): must be a whole number',
      'PSEUDONYM_KEY (value hidden): must be at least 16 characters',
      'DEFAULT_UTC_OFFSET (= "8"): must look like +08:00',
      'LOG_LEVEL (= "loud"): must be error, warn, log, debug or verbose',
    ];
    expect(problems).toHaveLength(expected.length);
    expect(problems).toEqual(expect.arrayContaining(expected));
  });

  it.each([
    ['NODE_ENV', 'staging', 'must be development, production or test'],
    ['PORT', '65536', 'must be at most 65535'],
    ['PORT', '-1', 'must be at least 0'],
    ['PORT', '80.5', 'must be a whole number'],
    ['DATABASE_SCHEMA', 'Bad-Schema', 'must be a lower-case SQL identifier'],
    ['DATABASE_POOL_SIZE', '201', 'must be at most 200'],
    ['QUEUE_PREFIX', 'fg:queue', 'may hold only letters, digits, _ and -'],
    ['JOB_LOCK_MS', '999', 'must be at least 1000'],
    ['UPLOAD_MAX_MB', '0', 'must be at least 1'],
    ['DEFAULT_UTC_OFFSET', '+0800', 'must look like +08:00'],
  ])('rejects %s=%s', (name, raw, reason) => {
    expect(problemsOf({ [name]: raw })).toEqual([`${name} (= ${JSON.stringify(raw)}): ${reason}`]);
  });

  it('never prints the value of a URL or key (it may hold a password)', () => {
    expect(problemsOf({ PUBLIC_URL: 'not a url' })).toEqual(['PUBLIC_URL (value hidden): must be a URL']);
    expect(problemsOf({ DATABASE_URL: 'mysql://user:s3cret@db/fg' }).join()).not.toContain('s3cret');
  });

  it('requires PSEUDONYM_KEY in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', TIP_IDENTITY_KEY: TIP_KEY })).toEqual(['PSEUDONYM_KEY: is required in production (the key of the patient-id pseudonymisation hash)']);
  });

  it('accepts production with a PSEUDONYM_KEY', () => {
    expect(loadConfig({ NODE_ENV: 'production', PSEUDONYM_KEY: KEY, TIP_IDENTITY_KEY: TIP_KEY }).privacy).toEqual({ pseudonymKey: KEY, usingDevelopmentKey: false });
  });

  it('treats an empty PSEUDONYM_KEY as unset in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', PSEUDONYM_KEY: '', TIP_IDENTITY_KEY: TIP_KEY })).toEqual([
      'PSEUDONYM_KEY: is required in production (the key of the patient-id pseudonymisation hash)',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', PSEUDONYM_KEY: '   ', TIP_IDENTITY_KEY: TIP_KEY })).toEqual([
      'PSEUDONYM_KEY: is required in production (the key of the patient-id pseudonymisation hash)',
    ]);
  });

  it('lists the missing production keys together with the other invalid variables', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT (= "abc"): must be a number',
        'LOG_LEVEL (= "loud"): must be error, warn, log, debug or verbose',
        'PSEUDONYM_KEY: is required in production (the key of the patient-id pseudonymisation hash)',
        "TIP_IDENTITY_KEY: is required in production (the key that encrypts tipsters' identities)",
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('is a ConfigError whose message lists every problem', () => {
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).name).toBe('ConfigError');
      expect((e as Error).message).toBe(
        'Invalid configuration:\n  - PORT (= "abc"): must be a number\n  - LOG_LEVEL (= "loud"): must be error, warn, log, debug or verbose',
      );
    }
  });
});

describe('empty strings are treated as unset', () => {
  const VARIABLES = [
    'NODE_ENV',
    'PORT',
    'HOST',
    'PUBLIC_URL',
    'DATABASE_URL',
    'DATABASE_SCHEMA',
    'DATABASE_POOL_SIZE',
    'DATABASE_MIGRATE_ON_START',
    'DATA_DIR',
    'REDIS_URL',
    'QUEUE_PREFIX',
    'WORKER_CONCURRENCY',
    'JOB_ATTEMPTS',
    'JOB_BACKOFF_MS',
    'JOB_LOCK_MS',
    'PSEUDONYM_KEY',
    'DEFAULT_UTC_OFFSET',
    'UPLOAD_MAX_MB',
    'LOG_LEVEL',
  ];

  it.each(VARIABLES)('%s= (empty) gives the same configuration as when it is unset', (name) => {
    const outcome = (env: NodeJS.ProcessEnv) => {
      try {
        return { config: loadConfig(env) };
      } catch (e) {
        return { problems: (e as ConfigError).problems };
      }
    };
    expect(outcome({ [name]: '' })).toEqual({ config: ALL_DEFAULTS });
  });

  it('keeps embedded mode and in-process jobs for DATABASE_URL= and REDIS_URL= (docker-compose style)', () => {
    const c = loadConfig({ DATABASE_URL: '', REDIS_URL: ' ', PUBLIC_URL: '', DATABASE_MIGRATE_ON_START: '' });
    expect([c.database.embedded, c.database.url, c.database.poolSize, c.queue.inProcess, c.queue.redisUrl, c.http.publicUrl]).toEqual([
      true,
      undefined,
      1,
      true,
      undefined,
      undefined,
    ]);
  });
});

describe('redisOptions', () => {
  it('parses user, password, host, port and database', () => {
    expect(redisOptions('redis://user:pass@host:6380/2')).toEqual({
      host: 'host',
      port: 6380,
      username: 'user',
      password: 'pass',
      db: 2,
      tls: undefined,
      maxRetriesPerRequest: null,
    });
  });

  it('defaults the port to 6379 and the database to 0, without credentials', () => {
    expect(redisOptions('redis://cache')).toEqual({
      host: 'cache',
      port: 6379,
      username: undefined,
      password: undefined,
      db: 0,
      tls: undefined,
      maxRetriesPerRequest: null,
    });
    expect(redisOptions('redis://cache/').db).toBe(0);
  });

  it('turns TLS on for rediss://', () => {
    expect(redisOptions('rediss://:s3cret@redis.example.org:6390/1')).toEqual({
      host: 'redis.example.org',
      port: 6390,
      username: undefined,
      password: 's3cret',
      db: 1,
      tls: {},
      maxRetriesPerRequest: null,
    });
  });

  it('decodes percent-encoded credentials', () => {
    const o = redisOptions('redis://fund%20guard:p%40ss%3Aword@host:6379/0');
    expect([o.username, o.password]).toEqual(['fund guard', 'p@ss:word']);
  });

  it('keeps maxRetriesPerRequest null (what BullMQ requires)', () => {
    expect(redisOptions('redis://h').maxRetriesPerRequest).toBeNull();
  });
});
