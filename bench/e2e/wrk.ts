/**
 * The load generator: wrk with a generated Lua script that POSTs the chat body with a contender's
 * headers and, when the run is done, prints one machine-readable line with the exact counts and
 * latency percentiles (microseconds) instead of wrk's rounded text.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { runChild } from './children.js';

export interface WrkResult {
  requests: number;
  durationS: number;
  requestsPerS: number;
  /** Mean response size in bytes, headers included. */
  bytesPerResponse: number;
  p50Ms: number;
  p75Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /**
   * Percentiles of the responses as they were timed, without wrk's coordinated-omission
   * correction (which the fields above include); null when not asked for or not recoverable.
   */
  uncorrected: { p50Ms: number; p90Ms: number; p99Ms: number; p999Ms: number; meanMs: number } | null;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

const RESULT_MARK = 'BENCH_RESULT ';

export function findWrk(): string | null {
  const which = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found !== '' ? found : null;
}

export function wrkVersion(binary: string): string {
  // `wrk -v` prints "wrk 4.1.0 [epoll] Copyright ..." and exits non-zero.
  const result = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  const first = `${result.stdout}${result.stderr}`.split('\n')[0] ?? '';
  return first.replace(/\s*Copyright.*$/, '').trim();
}

/** A Lua long string; callers leave spaces around it inside brackets (`t[[[x]]]` is a call). */
function luaString(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

/**
 * Lua that undoes wrk's coordinated-omission correction. Before reporting, wrk adds to every
 * latency v above twice the mean interval e (= run time / (requests / connections)) synthetic
 * samples v-e, v-2e, … down to e: what a client sending at a fixed rate would have waited. At
 * c=1 a handful of long stalls thereby fill its p99. The correction only ever adds to a bin m > e
 * the raw counts of the bins m+e, m+2e, …, so walking the bins from the top down recovers the raw
 * counts exactly. The answer is used only if the recovered total equals the number of recorded
 * responses, so a wrk that corrects differently yields nothing rather than wrong figures.
 * Reading the histogram costs (distinct values × range); above a budget it is skipped.
 */
const RAW_LATENCY_LUA = `
local function raw_latency(summary, latency, connections)
  local per = math.floor(summary.requests / connections)
  if per == 0 then return nil end
  local e = math.floor(summary.duration / per)
  if e < 1 then return nil end
  local distinct = #latency
  if distinct == 0 or distinct * (latency.max - latency.min + 1) > 1.5e9 then return nil end
  local values, counts = {}, {}
  for i = 1, distinct do
    values[i], counts[i] = latency(i)
  end
  local above = {}
  local total, sum = 0, 0
  for i = distinct, 1, -1 do
    local v, c = values[i], counts[i]
    if v > e then
      local r = v % e
      local a = above[r] or 0
      c = c - a
      if c < 0 then return nil end
      above[r] = a + c
    end
    counts[i] = c
    total = total + c
    sum = sum + c * v
  end
  if total ~= summary.requests - summary.errors.timeout or total == 0 then return nil end
  local function percentile(p)
    local rank = math.floor(p / 100 * total + 1)
    local seen = 0
    for i = 1, distinct do
      seen = seen + counts[i]
      if seen >= rank then return values[i] end
    end
    return values[distinct]
  end
  return { p50 = percentile(50), p90 = percentile(90), p99 = percentile(99), p999 = percentile(99.9), mean = sum / total }
end
`;

export interface ScriptOptions {
  /** Connections of the run, when the script should also report raw (uncorrected) latency. */
  rawLatencyConnections: number | null;
}

/** Writes a wrk script that POSTs `body` with `headers` and reports through `done`. */
export function writeScript(file: string, body: string, headers: Record<string, string>, options: ScriptOptions): void {
  const headerLines = Object.entries(headers)
    .map(([name, value]) => `wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`)
    .join('\n');
  const raw =
    options.rawLatencyConnections === null
      ? 'local raw = nil'
      : `local raw = raw_latency(summary, latency, ${options.rawLatencyConnections})`;
  // %.1f everywhere: LuaJIT and Lua 5.3+ disagree on %d for non-integral numbers.
  const script = `wrk.method = "POST"
wrk.body = ${luaString(body)}
${headerLines}
${RAW_LATENCY_LUA}
done = function(summary, latency, requests)
  local e = summary.errors
  ${raw}
  local raw_json = "null"
  if raw ~= nil then
    raw_json = string.format('{"p50":%.1f,"p90":%.1f,"p99":%.1f,"p999":%.1f,"mean":%.3f}', raw.p50, raw.p90, raw.p99, raw.p999, raw.mean)
  end
  io.write(string.format(
    '${RESULT_MARK}{"requests":%.1f,"duration_us":%.1f,"bytes":%.1f,' ..
    '"connect":%.1f,"read":%.1f,"write":%.1f,"status":%.1f,"timeout":%.1f,' ..
    '"p50":%.1f,"p75":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f,"mean":%.3f,"raw":%s}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, raw_json))
end
`;
  writeFileSync(file, script);
}

interface RawResult {
  requests: number;
  duration_us: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  raw: { p50: number; p90: number; p99: number; p999: number; mean: number } | null;
}

/** Reads the script's result line out of wrk's output; throws when there is none. */
export function parseWrkOutput(output: string): WrkResult {
  const line = output.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (line === undefined) throw new Error(`wrk printed no result line:\n${output.trim().split('\n').slice(-15).join('\n')}`);
  const raw = JSON.parse(line.slice(RESULT_MARK.length)) as RawResult;
  const ms = (us: number) => us / 1000;
  const durationS = raw.duration_us / 1e6;
  return {
    requests: raw.requests,
    durationS,
    requestsPerS: durationS > 0 ? raw.requests / durationS : 0,
    bytesPerResponse: raw.requests > 0 ? raw.bytes / raw.requests : 0,
    p50Ms: ms(raw.p50),
    p75Ms: ms(raw.p75),
    p90Ms: ms(raw.p90),
    p99Ms: ms(raw.p99),
    maxMs: ms(raw.max),
    meanMs: ms(raw.mean),
    uncorrected:
      raw.raw === null
        ? null
        : { p50Ms: ms(raw.raw.p50), p90Ms: ms(raw.raw.p90), p99Ms: ms(raw.raw.p99), p999Ms: ms(raw.raw.p999), meanMs: ms(raw.raw.mean) },
    errors: { connect: raw.connect, read: raw.read, write: raw.write, status: raw.status, timeout: raw.timeout },
  };
}

/** Problems that make a run invalid: any error or non-2xx/3xx answer, or no request at all. */
export function wrkProblems(result: WrkResult): string[] {
  const problems: string[] = [];
  const { errors } = result;
  if (errors.status > 0) problems.push(`${errors.status} non-2xx/3xx responses`);
  const socket = errors.connect + errors.read + errors.write;
  if (socket > 0) problems.push(`${socket} socket errors (connect ${errors.connect}, read ${errors.read}, write ${errors.write})`);
  if (errors.timeout > 0) problems.push(`${errors.timeout} timeouts`);
  if (result.requests === 0) problems.push('no request completed');
  return problems;
}

export interface WrkRun {
  binary: string;
  url: string;
  script: string;
  connections: number;
  durationS: number;
  /** Seconds after which wrk counts a response as a timeout (and leaves it out of the latencies). */
  timeoutS: number;
  cpu: number | null;
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const args = ['-t1', `-c${run.connections}`, `-d${run.durationS}s`, `--timeout`, `${run.timeoutS}s`, '--latency', '-s', run.script, run.url];
  const limitS = run.durationS + run.timeoutS + 30;
  const result = await runChild('wrk', run.binary, args, { cpu: run.cpu, timeoutMs: limitS * 1000 });
  if (result.timedOut) throw new Error(`wrk did not finish within ${limitS} s`);
  return parseWrkOutput(result.output);
}
