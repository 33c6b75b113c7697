// A child process's memory as Linux reports it (/proc/<pid>/status): VmRSS sampled on an interval, and
// VmHWM, the kernel's own high-water mark of the resident set, which catches peaks between samples.
import { readFile } from 'node:fs/promises';

export interface RssSampler {
  /** The latest sample, in MB (0 before the first). */
  currentMb(): number;
  /** Stops sampling; returns the peak resident set in MB (the larger of the samples and VmHWM). */
  stop(): Promise<{ peakMb: number; samples: number; lastMb: number }>;
}

async function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function sampleRss(pid: number, intervalMs = 500): RssSampler {
  let peakKb = 0;
  let lastKb = 0;
  let samples = 0;
  const timer = setInterval(() => {
    void statusKb(pid, 'VmRSS').then((kb) => {
      if (kb === undefined) return;
      samples += 1;
      lastKb = kb;
      peakKb = Math.max(peakKb, kb);
    });
  }, intervalMs);
  return {
    currentMb: () => lastKb / 1024,
    async stop() {
      clearInterval(timer);
      const hwm = (await statusKb(pid, 'VmHWM')) ?? 0;
      return { peakMb: Math.max(peakKb, hwm) / 1024, samples, lastMb: lastKb / 1024 };
    },
  };
}
