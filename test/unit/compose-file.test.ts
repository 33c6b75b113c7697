// docker-compose.yml as the README describes it: Redis as BullMQ needs it (noeviction, append-only, data on
// a volume, a health check), the bot and two workers from this repository's image, every service restarted
// by Docker, the bot checked on /healthz by the image's HEALTHCHECK and started only once Redis is healthy.
// No Docker daemon runs in CI, so this reads the file; production-install.test.ts performs the image itself.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  restart?: string;
  env_file?: string;
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  ports?: string[];
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const { redis, bot, worker } = compose.services;

describe('docker-compose.yml', () => {
  it('runs Redis with noeviction and the append-only file, its data on a named volume, with a health check', () => {
    const args = (redis?.command ?? []).join(' ');
    expect(args).toMatch(/--maxmemory-policy noeviction\b/);
    expect(args).toMatch(/--appendonly yes\b/);
    const volume = (redis?.volumes ?? []).find((v) => v.endsWith(':/data'))?.split(':')[0];
    expect(volume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    expect(redis?.healthcheck?.test?.join(' ')).toContain('redis-cli ping');
  });

  it('runs the bot and two workers from the image, each with its role as the command and the .env file', () => {
    for (const service of [bot, worker]) {
      expect(service?.build).toBeDefined();
      expect(service?.env_file).toBe('.env');
      expect(service?.depends_on?.redis?.condition).toBe('service_healthy');
    }
    expect(bot?.command).toEqual(['bot']);
    expect(worker?.command).toEqual(['worker']);
    expect(worker?.deploy?.replicas).toBe(2);
    // The bot keeps the image's HEALTHCHECK (/healthz on PORT); workers serve no HTTP and switch it off.
    expect(bot?.healthcheck).toBeUndefined();
    expect(worker?.healthcheck?.disable).toBe(true);
    expect(bot?.ports?.[0]).toMatch(/PORT/);
  });

  it('restarts every service that stops', () => {
    for (const [name, service] of Object.entries(compose.services)) expect([name, service.restart]).toEqual([name, 'unless-stopped']);
  });
});
