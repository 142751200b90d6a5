/**
 * The end-to-end gateway benchmark: one zero-delay upstream, each contender started fresh on the
 * proxy core, measured by wrk at c=1 (latency) and c=N (throughput), rounds in alternating order.
 * Progress goes to stderr; the report (markdown) to stdout and, as JSON, to bench/out/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { groupCpuSeconds, hasTaskset, httpRequest, installCleanup, pinSelf } from './children.js';
import { CONTENDERS, type Contender, type Environment } from './contenders.js';
import { CHAT_PATH, looksLikeCompletion, REQUEST_BODY } from './fixtures.js';
import { describeMachine, waitForQuiet } from './machine.js';
import { findNginx, nginxVersion } from './nginx.js';
import { OptionsError, readOptions, type ContenderName, type E2eOptions } from './options.js';
import { markdownNotes, markdownTable, summarise, type RowInput, type Trial } from './report.js';
import { startUpstream, type Upstream } from './upstream.js';
import { findWrk, runWrk, wrkProblems, wrkVersion, writeScript, type WrkResult } from './wrk.js';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** Rounds alternate the order (A B C D, then D C B A, …) so drift over the run favours no one. */
export function trialOrder(contenders: readonly ContenderName[], rounds: number): Array<{ round: number; contender: ContenderName }> {
  const plan: Array<{ round: number; contender: ContenderName }> = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) plan.push({ round, contender });
  }
  return plan;
}

interface TrialSetup {
  options: E2eOptions;
  wrk: string;
  upstream: Upstream;
  tmp: string;
  pinned: boolean;
}

async function smokeCheck(port: number, headers: Record<string, string>): Promise<string | null> {
  try {
    const answer = await httpRequest(port, 'POST', CHAT_PATH, { ...headers, 'Content-Type': 'application/json' }, REQUEST_BODY);
    if (answer.status === 200 && looksLikeCompletion(answer.body)) return null;
    return `check request answered ${answer.status}: ${answer.body.slice(0, 300).replace(/\s+/g, ' ')}`;
  } catch (error) {
    return `check request failed: ${(error as Error).message}`;
  }
}

async function runTrial(setup: TrialSetup, contender: Contender, round: number, sequence: number, busy: number[] | null): Promise<Trial> {
  const { options } = setup;
  const trial: Trial = {
    contender: contender.name,
    round,
    sequence,
    startMs: null,
    startNote: null,
    backgroundBusy: busy,
    latency: null,
    throughput: null,
    cpuUsPerRequest: { latency: null, throughput: null },
    problems: [],
  };
  const workDir = path.join(setup.tmp, `${contender.name}-${round + 1}`);
  mkdirSync(workDir, { recursive: true });
  const env: Environment = { upstreamPort: setup.upstream.port, proxyCpu: setup.pinned ? options.proxyCpu : null, workDir };
  const headers = contender.headers(env);
  const requestHeaders = { ...headers, 'Content-Type': 'application/json' };
  const scripts = { single: path.join(workDir, 'post-c1.lua'), many: path.join(workDir, 'post.lua') };
  writeScript(scripts.single, REQUEST_BODY, requestHeaders, { rawLatencyConnections: 1 });
  writeScript(scripts.many, REQUEST_BODY, requestHeaders, { rawLatencyConnections: null });
  const loadCpu = setup.pinned ? options.loadCpu : null;

  let running;
  try {
    running = await contender.start(env);
  } catch (error) {
    trial.problems.push(`did not start: ${(error as Error).message}`);
    return trial;
  }
  trial.startMs = running.startMs;
  trial.startNote = running.startNote;
  try {
    const smoke = await smokeCheck(running.port, headers);
    if (smoke !== null) {
      trial.problems.push(smoke);
      return trial;
    }
    const url = `http://127.0.0.1:${running.port}${CHAT_PATH}`;
    const wrk = (connections: number, durationS: number) =>
      runWrk({
        binary: setup.wrk,
        url,
        script: connections === 1 ? scripts.single : scripts.many,
        connections,
        durationS,
        timeoutS: options.wrkTimeoutS,
        cpu: loadCpu,
      });
    const cpuNow = () => (running.pgid === null ? null : groupCpuSeconds(running.pgid));
    const measure = async (connections: number): Promise<[WrkResult, number | null]> => {
      const before = cpuNow();
      const result = await wrk(connections, options.durationS);
      const after = cpuNow();
      const perRequest = before === null || after === null || result.requests === 0 ? null : ((after - before) / result.requests) * 1e6;
      return [result, perRequest];
    };
    // Both load shapes the trial measures: a JIT-compiled contender (AILB, Portkey) that saw only
    // c=N optimises and deoptimises code on its first second of c=1 (compiles competing with the
    // one event-loop thread on its core), which was measured as c=1 tail, not steady state.
    if (options.warmupS > 0) {
      await wrk(options.connections, options.warmupS);
      await wrk(1, options.warmupS);
    }
    [trial.latency, trial.cpuUsPerRequest.latency] = await measure(1);
    [trial.throughput, trial.cpuUsPerRequest.throughput] = await measure(options.connections);
    for (const problem of wrkProblems(trial.latency)) trial.problems.push(`c=1: ${problem}`);
    for (const problem of wrkProblems(trial.throughput)) trial.problems.push(`c=${options.connections}: ${problem}`);
    // A contender that fell over mid-run may still have been fast for a while; that is no result.
    const after = await smokeCheck(running.port, headers);
    if (after !== null) trial.problems.push(`after the runs: ${after}`);
  } catch (error) {
    trial.problems.push((error as Error).message);
  } finally {
    await running.stop();
  }
  return trial;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Runs the whole end-to-end benchmark; resolves with the process exit code. */
export async function runE2e(): Promise<number> {
  let options: E2eOptions;
  try {
    options = readOptions();
  } catch (error) {
    if (error instanceof OptionsError) {
      log(error.message);
      return 2;
    }
    throw error;
  }
  installCleanup();
  const wrk = findWrk();
  if (wrk === null) {
    log('wrk is not installed: the end-to-end benchmark needs it (apt-get install wrk)');
    return 1;
  }
  // Not availableParallelism(): a run started under taskset would see only its own cores.
  const cores = os.cpus().length;
  const pinned = hasTaskset() && cores > Math.max(options.proxyCpu, options.loadCpu) && options.proxyCpu !== options.loadCpu;
  if (pinned) pinSelf(options.loadCpu);
  else log(`running unpinned (taskset ${hasTaskset() ? 'present' : 'missing'}, ${cores} core(s)): figures are not comparable with pinned runs`);

  const started = new Date();
  const machine = describeMachine(started);
  const nginx = findNginx();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ailb-bench-'));
  const keepTmp = process.env.BENCH_KEEP_TMP === '1';
  // Also on Ctrl-C: the signal handler exits through process.exit, which runs 'exit' listeners.
  const removeTmp = () => {
    if (!keepTmp) rmSync(tmp, { recursive: true, force: true });
  };
  process.once('exit', removeTmp);
  const inputs: RowInput[] = options.contenders.map((name) => {
    const contender = CONTENDERS[name];
    return { contender: name, label: contender.label, version: contender.version(), missing: contender.missing(), trials: [] };
  });

  let upstream: Upstream;
  try {
    upstream = await startUpstream(options.upstream, path.join(tmp, 'upstream'), pinned ? options.loadCpu : null);
  } catch (error) {
    log(`the upstream did not start: ${(error as Error).message}`);
    return 1;
  }
  log(`upstream: ${upstream.kind} on 127.0.0.1:${upstream.port}`);
  const setup: TrialSetup = { options, wrk, upstream, tmp, pinned };

  try {
    const plan = trialOrder(
      options.contenders.filter((name) => CONTENDERS[name].missing() === null),
      options.rounds,
    );
    const perTrialS = 2 * options.warmupS + 2 * options.durationS;
    log(`${plan.length} trials of ~${perTrialS} s each (warm-up ${options.warmupS} s at c=${options.connections} then ${options.warmupS} s at c=1, c=1 ${options.durationS} s, c=${options.connections} ${options.durationS} s)`);
    for (const [index, step] of plan.entries()) {
      const contender = CONTENDERS[step.contender];
      const busy = await waitForQuiet(options.quietWaitS);
      const shown = busy === null ? '' : ` (other work before it: ${busy.map((b) => `${(b * 100).toFixed(0)}%`).join(', ')} of each core)`;
      log(`[${index + 1}/${plan.length}] round ${step.round + 1}: ${contender.label}${shown}`);
      const trial = await runTrial(setup, contender, step.round, index + 1, busy);
      for (const problem of trial.problems) log(`  ${contender.name}: ${problem}`);
      if (trial.latency !== null && trial.throughput !== null) {
        log(`  p50 ${trial.latency.p50Ms.toFixed(3)} ms, p99 ${trial.latency.p99Ms.toFixed(3)} ms, ${trial.throughput.requestsPerS.toFixed(0)} req/s`);
      }
      inputs.find((i) => i.contender === step.contender)?.trials.push(trial);
    }
  } finally {
    await upstream.child.stop();
    removeTmp();
    if (keepTmp) log(`kept ${tmp}`);
  }

  const rows = summarise(inputs);
  const table = markdownTable(rows, options.connections);
  const notes = markdownNotes(rows, inputs);
  const tools = {
    nginx: nginx === null ? 'not installed' : nginxVersion(nginx),
    wrk: wrkVersion(wrk),
    upstream: upstream.kind,
  };
  const header = [
    `## End-to-end gateway benchmark, ${machine.date}`,
    '',
    `- machine: ${machine.arch}, ${machine.cpuModel}, ${machine.cores} cores, ${machine.kernel}`,
    `- node ${machine.node}; nginx ${tools.nginx}; ${tools.wrk}; upstream: ${tools.upstream}` + (machine.commit === null ? '' : `; commit ${machine.commit}`),
    `- pinning: ${pinned ? `proxy under test on core ${options.proxyCpu}; wrk, upstream and this script on core ${options.loadCpu}` : 'none'}`,
    `- each contender: fresh process, one worker; warm-up ${options.warmupS} s at c=${options.connections}, then ${options.warmupS} s at c=1; wrk -t1 -c1 -d${options.durationS}s (latency), ` +
      `wrk -t1 -c${options.connections} -d${options.durationS}s (throughput), --timeout ${options.wrkTimeoutS}s; ` +
      `${options.rounds} round(s) in alternating order, median reported`,
  ].join('\n');
  const markdown = `${header}\n\n${table}\n\n${notes}\n`;
  process.stdout.write(`\n${markdown}`);

  mkdirSync(options.outDir, { recursive: true });
  const outFile = path.join(options.outDir, `e2e-${timestamp(started)}.json`);
  const document = {
    benchmark: 'e2e',
    machine,
    tools,
    settings: { ...options, outDir: undefined, pinned },
    rows,
    trials: inputs.flatMap((i) => i.trials),
    markdown,
  };
  writeFileSync(outFile, JSON.stringify(document, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), outFile) || outFile}`);

  const bad = rows.filter((r) => r.status === 'invalid');
  if (bad.length > 0) log(`invalid: ${bad.map((r) => r.contender).join(', ')} (see notes); exit status 1`);
  return bad.length > 0 ? 1 : 0;
}
