/**
 * The in-process timing loop every micro-benchmark uses (each trial itself runs in a fresh
 * process): warm up while doubling the iterations until one round lasts `roundMs`, then time
 * `rounds` rounds and return the median rate.
 */
export interface MeasureOptions {
  readonly rounds: number;
  readonly roundMs: number;
  readonly warmupMs: number;
}

/**
 * Median of `unitsPerRun × iterations / seconds` over the timed rounds: operations per second
 * with the default of 1 unit, bytes per second when `unitsPerRun` is the bytes one run handles.
 * `run` returns a number that is summed, so the engine cannot drop the work as unused.
 */
export function medianRate(run: () => number, options: MeasureOptions, unitsPerRun = 1): number {
  let sink = 0;
  let iterations = 1;
  const warmupEnd = performance.now() + options.warmupMs;
  while (performance.now() < warmupEnd) {
    const t0 = performance.now();
    for (let k = 0; k < iterations; k++) sink += run();
    if (performance.now() - t0 < options.roundMs) iterations *= 2;
  }
  const rates: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < iterations; k++) sink += run();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push((unitsPerRun * iterations) / seconds);
  }
  if (sink === -1) console.log('');
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}
