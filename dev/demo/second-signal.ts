// A second Ctrl-C while the demo or the console is still stopping its stack means "now": exit at once.
// process.exit() still runs the 'exit' hook of sandbox/stack/processes.ts, which sends SIGTERM to every
// child still running (redis-server, Azurite), so even an impatient user leaves nothing behind. Without
// this, the second signal would get Node's default handling and kill the process without that hook.
export function exitOnSecondSignal(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): void {
  let seen = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    seen += 1;
    if (seen < 2) return;
    process.stderr.write(`${signal} again: exiting now\n`);
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  for (const signal of signals) process.on(signal, onSignal);
}
