// The BullMQ queues the bot uses, one per kind of work. Names are bare: every Queue and Worker is
// built with BullMQ's own `prefix` option set to config.redis.queuePrefix, so two bots (or a test
// and the demo) can share one Redis without seeing each other's jobs.
export const QUEUE_NAMES = {
  deploy: 'deploy',
  run: 'run',
  watch: 'watch',
  ops: 'ops',
  notify: 'notify',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];
