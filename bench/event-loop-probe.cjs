// Preloaded into a benchmarked process (NODE_OPTIONS=--require …) so it can be measured from outside
// without a line of benchmark code in the product: every 250 ms it appends one JSON line to
// BENCH_EVENT_LOOP_FILE with the event loop's delay over that window (p50/p99/max, ms) and the time the
// garbage collector paused it (ms, count). A stall shared by many requests shows up here.
'use strict';
const { monitorEventLoopDelay, PerformanceObserver } = require('node:perf_hooks');
const { appendFileSync } = require('node:fs');

const file = process.env.BENCH_EVENT_LOOP_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let gcMs = 0;
  let gcCount = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      gcCount += 1;
    }
  }).observe({ entryTypes: ['gc'] });
  const timer = setInterval(() => {
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    const line = { at: Date.now(), p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), gcMs: Math.round(gcMs * 100) / 100, gcCount };
    histogram.reset();
    gcMs = 0;
    gcCount = 0;
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // The benchmark went away; nothing to report to.
    }
  }, 250);
  timer.unref();
}

// BENCH_CPU_PROFILE_FILE: a V8 CPU profile of the whole process, written when it exits (node refuses
// --cpu-prof in NODE_OPTIONS, so the probe starts the profiler through the inspector instead).
const profileFile = process.env.BENCH_CPU_PROFILE_FILE;
if (profileFile) {
  const { Session } = require('node:inspector');
  const { writeFileSync } = require('node:fs');
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // An in-process session answers synchronously, so the profile can be written from the exit handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(profileFile, JSON.stringify(result.profile));
    });
  });
}
