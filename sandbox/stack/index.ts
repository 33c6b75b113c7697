// The process launchers the tests, the demo and the benchmarks share.
export { getFreePort } from './free-port';
export { startRedis, RedisNotInstalledError, type RedisProcess, type StartRedisOptions } from './redis';
export {
  startAzurite,
  azuriteConnectionString,
  AZURITE_ACCOUNT_NAME,
  AZURITE_ACCOUNT_KEY,
  type AzuriteProcess,
  type StartAzuriteOptions,
} from './azurite';
export { trackChild, stopOnSignals, runningChildCount } from './processes';
export { StartupTimeoutError } from './wait-for-port';
export { startRedisCluster, type RedisClusterProcess, type StartRedisClusterOptions } from './redis-cluster';
