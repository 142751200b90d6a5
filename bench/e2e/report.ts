/**
 * From trials to the result: medians per contender, latency added over the direct baseline,
 * ratios to nginx, and the markdown table and JSON document that carry them.
 */
import { BUSY_THRESHOLD } from './machine.js';
import type { ContenderName } from './options.js';
import type { WrkResult } from './wrk.js';

export interface Trial {
  contender: ContenderName;
  round: number;
  /** Position in the run, from 1. */
  sequence: number;
  startMs: number | null;
  startNote: string | null;
  /** Share of each core used by other work just before the trial (null when unknown). */
  backgroundBusy: number[] | null;
  latency: WrkResult | null;
  throughput: WrkResult | null;
  /** The contender's own CPU time per request in each run, in microseconds (null when unknown). */
  cpuUsPerRequest: { latency: number | null; throughput: number | null };
  /** Anything that makes this trial unusable; empty when it is valid. */
  problems: string[];
}

export type RowStatus = 'ok' | 'invalid' | 'not installed' | 'skipped';

export interface Row {
  contender: ContenderName;
  label: string;
  version: string;
  status: RowStatus;
  /** Why the row is not ok, or remarks on an ok row. */
  notes: string[];
  trials: number;
  c1P50Ms: number | null;
  c1P99Ms: number | null;
  /** c=1 percentiles as timed, without wrk's coordinated-omission correction (see wrk.ts). */
  c1TimedP50Ms: number | null;
  c1TimedP99Ms: number | null;
  addedP50Ms: number | null;
  addedP99Ms: number | null;
  requestsPerS: number | null;
  xNginxThroughput: number | null;
  xNginxAddedP99: number | null;
}

export interface RowInput {
  contender: ContenderName;
  label: string;
  version: string;
  /** Set when the contender could not run at all. */
  missing: string | null;
  trials: Trial[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * A throughput within this fraction of the direct run means core 1 (load generator + upstream)
 * was the limit, so the contender may be faster than its figure.
 */
const CEILING_FRACTION = 0.9;

function timedMedians(values: ReadonlyArray<WrkResult['uncorrected']>): { c1TimedP50Ms: number | null; c1TimedP99Ms: number | null } {
  if (values.some((v) => v === null)) return { c1TimedP50Ms: null, c1TimedP99Ms: null };
  const known = values as ReadonlyArray<NonNullable<WrkResult['uncorrected']>>;
  return { c1TimedP50Ms: median(known.map((v) => v.p50Ms)), c1TimedP99Ms: median(known.map((v) => v.p99Ms)) };
}

export function summarise(inputs: readonly RowInput[]): Row[] {
  const rows: Row[] = inputs.map((input) => {
    const base: Row = {
      contender: input.contender,
      label: input.label,
      version: input.version,
      status: 'ok',
      notes: [],
      trials: input.trials.length,
      c1P50Ms: null,
      c1P99Ms: null,
      c1TimedP50Ms: null,
      c1TimedP99Ms: null,
      addedP50Ms: null,
      addedP99Ms: null,
      requestsPerS: null,
      xNginxThroughput: null,
      xNginxAddedP99: null,
    };
    if (input.missing !== null) return { ...base, status: 'not installed', notes: [input.missing] };
    if (input.trials.length === 0) return { ...base, status: 'skipped', notes: ['no trial ran'] };
    const problems = input.trials.flatMap((t) => t.problems.map((p) => `round ${t.round + 1}: ${p}`));
    if (problems.length > 0) return { ...base, status: 'invalid', notes: problems };
    const trials = input.trials as Array<Trial & { latency: WrkResult; throughput: WrkResult }>;
    return {
      ...base,
      c1P50Ms: median(trials.map((t) => t.latency.p50Ms)),
      c1P99Ms: median(trials.map((t) => t.latency.p99Ms)),
      requestsPerS: median(trials.map((t) => t.throughput.requestsPerS)),
      ...timedMedians(trials.map((t) => t.latency.uncorrected)),
    };
  });

  const direct = rows.find((r) => r.contender === 'direct' && r.status === 'ok');
  for (const row of rows) {
    if (row.status !== 'ok' || direct === undefined) continue;
    row.addedP50Ms = (row.c1P50Ms as number) - (direct.c1P50Ms as number);
    row.addedP99Ms = (row.c1P99Ms as number) - (direct.c1P99Ms as number);
    if (row !== direct && (row.requestsPerS as number) >= CEILING_FRACTION * (direct.requestsPerS as number)) {
      row.notes.push('throughput within 10% of direct: core 1 (wrk + upstream) may be the limit, not this contender');
    }
  }
  const nginx = rows.find((r) => r.contender === 'nginx' && r.status === 'ok');
  for (const row of rows) {
    if (row.status !== 'ok' || nginx === undefined || row.contender === 'direct') continue;
    row.xNginxThroughput = (row.requestsPerS as number) / (nginx.requestsPerS as number);
    const nginxAdded = nginx.addedP99Ms;
    if (row.addedP99Ms !== null && nginxAdded !== null && nginxAdded > 0) row.xNginxAddedP99 = row.addedP99Ms / nginxAdded;
  }
  return rows;
}

const ms = (value: number | null) => (value === null ? '—' : value.toFixed(3));
const signedMs = (value: number | null) => (value === null ? '—' : `${value >= 0 ? '+' : ''}${value.toFixed(3)}`);
const ratio = (value: number | null) => (value === null ? '—' : `${value.toFixed(2)}×`);
const rate = (value: number | null) => (value === null ? '—' : Math.round(value).toString());

export function markdownTable(rows: readonly Row[], connections: number): string {
  const header = [
    'contender',
    'c=1 p50 ms',
    'c=1 p99 ms',
    'added p50',
    'added p99',
    `c=${connections} req/s`,
    '× nginx throughput',
    '× nginx added p99',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`];
  for (const row of rows) {
    const name = row.contender === 'direct' ? row.label : `${row.label} (${row.version})`;
    if (row.status !== 'ok') {
      const word = row.status === 'invalid' ? '**INVALID**' : row.status;
      lines.push(`| ${name} | ${word} |${' |'.repeat(header.length - 2)}`);
      continue;
    }
    const isDirect = row.contender === 'direct';
    lines.push(
      `| ${[
        name,
        ms(row.c1P50Ms),
        ms(row.c1P99Ms),
        isDirect ? '(baseline)' : signedMs(row.addedP50Ms),
        isDirect ? '(baseline)' : signedMs(row.addedP99Ms),
        rate(row.requestsPerS),
        isDirect ? '—' : ratio(row.xNginxThroughput),
        isDirect ? '—' : ratio(row.xNginxAddedP99),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

/** One line per contender with its per-round figures and anything to know about it. */
export function markdownNotes(rows: readonly Row[], inputs: readonly RowInput[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    const input = inputs.find((i) => i.contender === row.contender);
    const parts: string[] = [];
    const measured = (input?.trials ?? []).filter((t) => t.latency !== null && t.throughput !== null);
    if (measured.length > 0) {
      const each = (pick: (t: Trial) => number, digits: number) => measured.map((t) => pick(t).toFixed(digits)).join(' / ');
      parts.push(
        `per round: p50 ${each((t) => t.latency!.p50Ms, 3)} ms, p99 ${each((t) => t.latency!.p99Ms, 3)} ms, ` +
          `${each((t) => t.throughput!.requestsPerS, 0)} req/s`,
      );
      const timed = measured.map((t) => t.latency!.uncorrected);
      if (timed.every((u) => u !== null)) {
        const each = (pick: (u: NonNullable<(typeof timed)[number]>) => number) => timed.map((u) => pick(u!).toFixed(3)).join(' / ');
        parts.push(`c=1 as timed (without wrk's correction): p50 ${each((u) => u.p50Ms)} ms, p99 ${each((u) => u.p99Ms)} ms`);
      }
      const cpu = measured.map((t) => t.cpuUsPerRequest.throughput).filter((v): v is number => v !== null);
      if (cpu.length === measured.length) parts.push(`CPU per request at c=N: ${cpu.map((v) => v.toFixed(0)).join(' / ')} µs`);
      const starts = measured.filter((t) => t.startMs !== null);
      if (starts.length > 0) parts.push(`up in ${starts.map((t) => t.startMs!.toFixed(0)).join(' / ')} ms`);
      const said = measured.find((t) => t.startNote !== null)?.startNote;
      if (said) parts.push(said);
      const busy = measured.filter((t) => t.backgroundBusy !== null && Math.max(...t.backgroundBusy) > BUSY_THRESHOLD);
      if (busy.length > 0) {
        const worst = Math.max(...busy.flatMap((t) => t.backgroundBusy as number[]));
        parts.push(`other work used up to ${(worst * 100).toFixed(0)}% of a core before ${busy.length} of ${measured.length} trial(s): noisy`);
      }
    }
    // The JSON keeps each problem whole; the table's notes keep its start on one line.
    parts.push(...row.notes.map((note) => oneLine(note)));
    if (parts.length > 0) lines.push(`- ${row.label}: ${parts.join('; ')}`);
  }
  return lines.join('\n');
}
