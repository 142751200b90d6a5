/**
 * Budget periods: the budget_duration forms, exact-length windows for s/m/h, calendar windows for
 * d/w/mo in UTC and in zones with DST (both changes, clocks that skip or repeat midnight), month
 * ends and leap years, and windows missed while nothing ran.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { currentWindow, nextReset, parseBudgetDuration, previousReset } from '../../src/spend/budget-window.js';

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

/** The window as ISO strings, for readable failures. */
function win(now: string, resetAt: string, duration: string, zone = 'UTC'): [string, string] {
  const w = currentWindow(at(now), at(resetAt), duration, zone);
  return [w.start.toISOString(), w.end.toISOString()];
}

function next(after: string, duration: string, zone = 'UTC'): string {
  return nextReset(at(after), duration, zone).toISOString();
}

describe('parseBudgetDuration', () => {
  test('reads every LiteLLM form into its schedule', () => {
    assert.deepEqual(parseBudgetDuration('30s'), { text: '30s', kind: 'fixed', ms: 30_000 });
    assert.deepEqual(parseBudgetDuration('5m'), { text: '5m', kind: 'fixed', ms: 300_000 });
    assert.deepEqual(parseBudgetDuration('2h'), { text: '2h', kind: 'fixed', ms: 2 * HOUR });
    assert.deepEqual(parseBudgetDuration('24h'), { text: '24h', kind: 'fixed', ms: 24 * HOUR });
    assert.deepEqual(parseBudgetDuration('1d'), { text: '1d', kind: 'days', days: 1 });
    assert.deepEqual(parseBudgetDuration('10d'), { text: '10d', kind: 'days', days: 10 });
    assert.deepEqual(parseBudgetDuration('7d'), { text: '7d', kind: 'weekly' });
    assert.deepEqual(parseBudgetDuration('1w'), { text: '1w', kind: 'weekly' });
    assert.deepEqual(parseBudgetDuration('2w'), { text: '2w', kind: 'days', days: 14 });
    assert.deepEqual(parseBudgetDuration('30d'), { text: '30d', kind: 'months', months: 1 });
    assert.deepEqual(parseBudgetDuration('1mo'), { text: '1mo', kind: 'months', months: 1 });
    assert.deepEqual(parseBudgetDuration('3mo'), { text: '3mo', kind: 'months', months: 3 });
    assert.equal(parseBudgetDuration(' 1 d ').kind, 'days', 'spaces are allowed, as in duration');
  });

  test('a bad value is invalid_body naming budget_duration and the value', () => {
    for (const bad of ['30 days', '1month', '1W', '', 'd', '-1d', '1.5h', 'monthly']) {
      assert.throws(() => parseBudgetDuration(bad), (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.code, 'invalid_body');
        assert.equal(error.param, 'budget_duration');
        assert.ok(error.message.includes(`"budget_duration"`) && error.message.includes(`"${bad}"`), error.message);
        return true;
      });
    }
  });

  test('zero and more than 100 years are refused', () => {
    assert.throws(() => parseBudgetDuration('0d'), /"budget_duration" must be longer than zero; got "0d"/);
    assert.throws(() => parseBudgetDuration('0s'), /longer than zero/);
    assert.throws(() => parseBudgetDuration('36526d'), /at most 100 years; got "36526d"/);
    assert.throws(() => parseBudgetDuration('1201mo'), /at most 100 years/);
    assert.equal(parseBudgetDuration('1200mo').kind, 'months');
    assert.equal(parseBudgetDuration('36525d').kind, 'days');
  });

  test('an unknown time zone is a RangeError', () => {
    assert.throws(() => nextReset(at('2024-01-01T00:00:00Z'), '1d', 'Mars/Olympus_Mons'), RangeError);
  });
});

describe('seconds, minutes and hours: exact lengths from the last reset', () => {
  test('the first reset is the duration after the start, not aligned to the clock', () => {
    assert.equal(next('2024-05-15T10:17:23.456Z', '30s'), '2024-05-15T10:17:53.456Z');
    assert.equal(next('2024-05-15T10:17:23Z', '5m'), '2024-05-15T10:22:23.000Z');
    assert.equal(next('2024-05-15T10:17:23Z', '2h'), '2024-05-15T12:17:23.000Z');
  });

  test('windows follow each other from the stored reset', () => {
    const reset = '2024-05-15T10:30:30.000Z';
    assert.deepEqual(win('2024-05-15T10:30:10Z', reset, '30s'), ['2024-05-15T10:30:00.000Z', reset]);
    assert.deepEqual(win('2024-05-15T10:30:29.999Z', reset, '30s'), ['2024-05-15T10:30:00.000Z', reset]);
    assert.deepEqual(win(reset, reset, '30s'), [reset, '2024-05-15T10:31:00.000Z'], 'now == reset: the budget has reset');
    assert.deepEqual(win('2024-05-15T11:00:00Z', '2024-05-15T10:35:00Z', '5m'), ['2024-05-15T11:00:00.000Z', '2024-05-15T11:05:00.000Z']);
  });

  test('missed windows are skipped without drift', () => {
    // 95 s past a 30 s reset: three windows missed, the fourth holds now.
    assert.deepEqual(win('2024-05-15T10:32:05Z', '2024-05-15T10:30:30Z', '30s'), ['2024-05-15T10:32:00.000Z', '2024-05-15T10:32:30.000Z']);
    assert.deepEqual(win('2024-01-01T05:30:00Z', '2024-01-01T00:00:00Z', '1h'), ['2024-01-01T05:00:00.000Z', '2024-01-01T06:00:00.000Z']);
    // A year of 7 h windows later, still on the original schedule.
    const [start, end] = win('2025-01-01T00:00:00Z', '2024-01-01T03:00:00Z', '7h');
    assert.equal((Date.parse(start) - Date.parse('2024-01-01T03:00:00Z')) % (7 * HOUR), 0);
    assert.equal(Date.parse(end) - Date.parse(start), 7 * HOUR);
    assert.ok(Date.parse(start) <= Date.parse('2025-01-01T00:00:00Z') && Date.parse('2025-01-01T00:00:00Z') < Date.parse(end));
  });

  test('hours are real hours across a DST change, whatever the zone', () => {
    // 01:30 EST + 2 h is 04:30 EDT on the night the clocks go forward.
    assert.equal(next('2024-03-10T06:30:00Z', '2h', 'America/New_York'), '2024-03-10T08:30:00.000Z');
    // 24h is not 1d: from midnight before the change, 24 h later is 01:00 EDT; 1d is midnight.
    assert.equal(next('2024-03-10T05:00:00Z', '24h', 'America/New_York'), '2024-03-11T05:00:00.000Z');
    assert.equal(next('2024-03-10T05:00:00Z', '1d', 'America/New_York'), '2024-03-11T04:00:00.000Z');
  });
});

describe('days, weeks and months in UTC', () => {
  // LiteLLM's own examples (get_next_standardized_reset_time) from 2023-05-15 10:30 UTC, a Monday.
  const base = '2023-05-15T10:30:00Z';

  test('1d resets at the next midnight', () => {
    assert.equal(next(base, '1d'), '2023-05-16T00:00:00.000Z');
    assert.equal(next('2023-05-15T00:00:00Z', '1d'), '2023-05-16T00:00:00.000Z', 'from midnight itself: the next one');
    assert.equal(next('2023-05-15T23:59:59.999Z', '1d'), '2023-05-16T00:00:00.000Z');
  });

  test('7d and 1w reset on Monday at midnight', () => {
    assert.equal(next(base, '7d'), '2023-05-22T00:00:00.000Z', 'on a Monday: the next Monday');
    assert.equal(next('2023-05-21T23:59:59Z', '7d'), '2023-05-22T00:00:00.000Z', 'Sunday night');
    assert.equal(next('2023-05-17T08:00:00Z', '1w'), '2023-05-22T00:00:00.000Z', 'Wednesday');
  });

  test('30d and 1mo reset on the 1st of the next month; Nmo N months on', () => {
    assert.equal(next(base, '30d'), '2023-06-01T00:00:00.000Z');
    assert.equal(next(base, '1mo'), '2023-06-01T00:00:00.000Z');
    assert.equal(next('2023-12-15T12:00:00Z', '1mo'), '2024-01-01T00:00:00.000Z', 'December rolls into January');
    assert.equal(next(base, '3mo'), '2023-08-01T00:00:00.000Z');
    assert.equal(next('2023-11-01T00:00:00Z', '3mo'), '2024-02-01T00:00:00.000Z');
  });

  test('other day counts reset N days after the start day, at midnight', () => {
    assert.equal(next(base, '10d'), '2023-05-25T00:00:00.000Z');
    assert.equal(next(base, '2w'), '2023-05-29T00:00:00.000Z');
  });

  test('month ends: Jan 31 → Feb 1 → Mar 1, and February has 29 days in a leap year', () => {
    assert.equal(next('2024-01-31T15:00:00Z', '1mo'), '2024-02-01T00:00:00.000Z');
    assert.equal(next('2024-02-01T00:00:00Z', '1mo'), '2024-03-01T00:00:00.000Z');
    assert.deepEqual(win('2024-02-29T23:59:59Z', '2024-03-01T00:00:00Z', '1mo'), ['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
    assert.deepEqual(win('2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z', '1mo'), ['2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z']);
    assert.equal(previousReset(at('2024-03-01T00:00:00Z'), '1mo').toISOString(), '2024-02-01T00:00:00.000Z');
  });

  test('leap years: Feb 28 + 1d and + 2d', () => {
    assert.equal(next('2024-02-28T08:00:00Z', '1d'), '2024-02-29T00:00:00.000Z');
    assert.equal(next('2023-02-28T08:00:00Z', '1d'), '2023-03-01T00:00:00.000Z');
    assert.equal(next('2024-02-28T08:00:00Z', '2d'), '2024-03-01T00:00:00.000Z');
    assert.equal(next('2023-02-28T08:00:00Z', '2d'), '2023-03-02T00:00:00.000Z');
    assert.equal(next('2100-02-28T08:00:00Z', '1d'), '2100-03-01T00:00:00.000Z', '2100 is not a leap year');
  });

  test('missed windows are skipped on the original schedule', () => {
    assert.deepEqual(win('2024-01-10T15:00:00Z', '2024-01-02T00:00:00Z', '1d'), ['2024-01-10T00:00:00.000Z', '2024-01-11T00:00:00.000Z']);
    // 10d from Jan 1: Jan 11, 21, 31, Feb 10, 20.
    assert.deepEqual(win('2024-02-15T12:00:00Z', '2024-01-11T00:00:00Z', '10d'), ['2024-02-10T00:00:00.000Z', '2024-02-20T00:00:00.000Z']);
    // 2024-01-01 is a Monday.
    assert.deepEqual(win('2024-02-15T12:00:00Z', '2024-01-08T00:00:00Z', '7d'), ['2024-02-12T00:00:00.000Z', '2024-02-19T00:00:00.000Z']);
    assert.deepEqual(win('2024-07-15T00:00:00Z', '2024-02-01T00:00:00Z', '1mo'), ['2024-07-01T00:00:00.000Z', '2024-08-01T00:00:00.000Z']);
    // 3mo from Jan 1: Apr 1, Jul 1, Oct 1.
    assert.deepEqual(win('2024-08-05T00:00:00Z', '2024-04-01T00:00:00Z', '3mo'), ['2024-07-01T00:00:00.000Z', '2024-10-01T00:00:00.000Z']);
    assert.deepEqual(win('2031-06-15T00:00:00Z', '2024-04-01T00:00:00Z', '3mo'), ['2031-04-01T00:00:00.000Z', '2031-07-01T00:00:00.000Z']);
  });

  test('a reset instant off the schedule (created_at + duration) joins the schedule at the next reset', () => {
    const legacy = '2024-01-17T14:37:00Z';
    assert.deepEqual(win('2024-01-10T00:00:00Z', legacy, '30d'), ['2024-01-01T00:00:00.000Z', '2024-01-17T14:37:00.000Z']);
    assert.deepEqual(win('2024-01-18T00:00:00Z', legacy, '30d'), ['2024-01-17T14:37:00.000Z', '2024-02-01T00:00:00.000Z']);
    assert.deepEqual(win('2024-03-05T00:00:00Z', legacy, '30d'), ['2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z']);
    assert.deepEqual(win('2024-01-18T00:00:00Z', legacy, '1d'), ['2024-01-18T00:00:00.000Z', '2024-01-19T00:00:00.000Z']);
  });
});

describe('America/New_York (DST starts 2024-03-10, ends 2024-11-03)', () => {
  const ny = 'America/New_York';

  test('resets at local midnight, which depends on the zone', () => {
    assert.equal(next('2024-03-11T03:00:00Z', '1d', ny), '2024-03-11T04:00:00.000Z', '23:00 EDT on the 10th');
    assert.equal(next('2024-03-11T03:00:00Z', '1d'), '2024-03-12T00:00:00.000Z', 'the same instant in UTC is the 11th');
  });

  test('the day the clocks go forward lasts 23 hours', () => {
    const [start, end] = win('2024-03-10T12:00:00Z', '2024-03-10T05:00:00Z', '1d', ny);
    assert.deepEqual([start, end], ['2024-03-10T05:00:00.000Z', '2024-03-11T04:00:00.000Z']);
    assert.equal(Date.parse(end) - Date.parse(start), 23 * HOUR);
  });

  test('the day the clocks go back lasts 25 hours, and both 01:30s are in it', () => {
    const expected = ['2024-11-03T04:00:00.000Z', '2024-11-04T05:00:00.000Z'];
    assert.deepEqual(win('2024-11-03T05:30:00Z', '2024-11-03T04:00:00Z', '1d', ny), expected, '01:30 EDT');
    assert.deepEqual(win('2024-11-03T06:30:00Z', '2024-11-03T04:00:00Z', '1d', ny), expected, '01:30 EST');
    assert.equal(Date.parse(expected[1]) - Date.parse(expected[0]), 25 * HOUR);
  });

  test('weekly: Monday midnight on either side of the change', () => {
    assert.equal(next('2024-03-06T17:00:00Z', '7d', ny), '2024-03-11T04:00:00.000Z');
    assert.equal(previousReset(at('2024-03-11T04:00:00Z'), '7d', ny).toISOString(), '2024-03-04T05:00:00.000Z');
    assert.equal(next('2024-11-01T17:00:00Z', '1w', ny), '2024-11-04T05:00:00.000Z');
  });

  test('monthly: the 1st at local midnight, EST or EDT', () => {
    assert.deepEqual(win('2024-03-15T12:00:00Z', '2024-04-01T04:00:00Z', '1mo', ny), ['2024-03-01T05:00:00.000Z', '2024-04-01T04:00:00.000Z']);
    assert.deepEqual(win('2024-11-15T12:00:00Z', '2024-11-01T04:00:00Z', '30d', ny), ['2024-11-01T04:00:00.000Z', '2024-12-01T05:00:00.000Z']);
  });

  test('missed days across the change stay on local midnight', () => {
    assert.deepEqual(win('2024-03-20T12:00:00Z', '2024-03-02T05:00:00Z', '1d', ny), ['2024-03-20T04:00:00.000Z', '2024-03-21T04:00:00.000Z']);
    assert.deepEqual(win('2024-11-20T12:00:00Z', '2024-10-02T04:00:00Z', '2d', ny), ['2024-11-19T05:00:00.000Z', '2024-11-21T05:00:00.000Z']);
  });
});

describe('Europe/Berlin (DST starts 2024-03-31, ends 2024-10-27)', () => {
  const berlin = 'Europe/Berlin';

  test('the day the clocks go forward lasts 23 hours, the day they go back 25', () => {
    assert.deepEqual(win('2024-03-31T12:00:00Z', '2024-03-30T23:00:00Z', '1d', berlin), ['2024-03-30T23:00:00.000Z', '2024-03-31T22:00:00.000Z']);
    assert.deepEqual(win('2024-10-27T12:00:00Z', '2024-10-26T22:00:00Z', '1d', berlin), ['2024-10-26T22:00:00.000Z', '2024-10-27T23:00:00.000Z']);
  });

  test('monthly: 1 March (CET) after a leap February, 1 April (CEST)', () => {
    assert.equal(next('2024-03-15T12:00:00Z', '1mo', berlin), '2024-03-31T22:00:00.000Z');
    assert.equal(previousReset(at('2024-03-31T22:00:00Z'), '1mo', berlin).toISOString(), '2024-02-29T23:00:00.000Z');
    // 23:30 UTC on Feb 29 is already March 1 in Berlin.
    assert.equal(next('2024-02-29T23:30:00Z', '1mo', berlin), '2024-03-31T22:00:00.000Z');
    assert.equal(next('2024-02-29T23:30:00Z', '1mo'), '2024-03-01T00:00:00.000Z');
  });

  test('weekly across the autumn change', () => {
    assert.equal(next('2024-10-23T10:00:00Z', '7d', berlin), '2024-10-27T23:00:00.000Z');
    assert.equal(previousReset(at('2024-10-27T23:00:00Z'), '7d', berlin).toISOString(), '2024-10-20T22:00:00.000Z');
  });

  test('a year of missed months lands on the right 1st', () => {
    assert.deepEqual(win('2025-07-15T00:00:00Z', '2024-01-31T23:00:00Z', '1mo', berlin), ['2025-06-30T22:00:00.000Z', '2025-07-31T22:00:00.000Z']);
  });

  test('a changed timezone: the schedule moves to the new zone at the next reset', () => {
    // Stored under UTC (midnight UTC = 01:00 in Berlin); read with Berlin it continues on Berlin midnights.
    assert.deepEqual(win('2024-03-05T12:00:00Z', '2024-03-02T00:00:00Z', '1d', berlin), ['2024-03-04T23:00:00.000Z', '2024-03-05T23:00:00.000Z']);
  });
});

describe('zones whose clocks skip or repeat midnight', () => {
  test('skipped midnight (São Paulo, 2018-11-04 00:00 → 01:00): the day starts at 01:00', () => {
    assert.equal(next('2018-11-03T12:00:00Z', '1d', 'America/Sao_Paulo'), '2018-11-04T03:00:00.000Z');
    assert.equal(next('2018-11-04T03:00:00Z', '1d', 'America/Sao_Paulo'), '2018-11-05T02:00:00.000Z');
  });

  test('repeated midnight (Havana, 2024-11-03 01:00 → 00:00): the first one', () => {
    assert.equal(next('2024-11-02T12:00:00Z', '1d', 'America/Havana'), '2024-11-03T04:00:00.000Z');
    assert.equal(next('2024-11-03T04:30:00Z', '1d', 'America/Havana'), '2024-11-04T05:00:00.000Z');
  });

  test('a skipped day (Apia went from 29 to 31 December 2011)', () => {
    const reset = next('2011-12-29T12:00:00Z', '1d', 'Pacific/Apia');
    assert.equal(reset, '2011-12-30T10:00:00.000Z', 'the first instant after the 29th, already the 31st');
    assert.equal(next(reset, '1d', 'Pacific/Apia'), '2011-12-31T10:00:00.000Z');
  });
});

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date of `t` in `zone` ("2024-03-10"), read with a formatter of the test's own. */
function localDate(t: number, zone: string): string {
  let format = dateFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(zone, format);
  }
  return format.format(t);
}

describe('properties over whole years', () => {
  const cases: Array<[string, string]> = [
    ['America/New_York', '2024'], ['Europe/Berlin', '2024'], ['America/Sao_Paulo', '2018'],
    ['America/Havana', '2024'], ['America/Santiago', '2024'], ['Australia/Lord_Howe', '2024'],
    ['Asia/Kolkata', '2024'], ['Pacific/Apia', '2011'], ['Pacific/Chatham', '2024'],
  ];

  for (const [zone, year] of cases) {
    test(`${zone} ${year}: 1d resets at the first instant of the next local date; windows tile`, () => {
      const from = Date.parse(`${year}-01-01T00:00:00Z`);
      for (let t = from; t < from + 366 * 24 * HOUR; t += 5 * HOUR + 17 * 60_000) {
        const reset = nextReset(new Date(t), '1d', zone).getTime();
        assert.ok(reset > t);
        assert.ok(localDate(reset, zone) > localDate(t, zone), `${new Date(t).toISOString()} → ${new Date(reset).toISOString()}`);
        assert.equal(localDate(reset - 1, zone), localDate(t, zone), `${new Date(t).toISOString()}: no local date is skipped before the reset`);
        assert.equal(previousReset(new Date(reset), '1d', zone).getTime() <= t, true);
      }
    });

    test(`${zone} ${year}: currentWindow holds now, and its ends are resets on one schedule`, () => {
      const first = nextReset(new Date(`${year}-01-01T00:00:00Z`), '1mo', zone);
      for (const duration of ['1d', '7d', '3d', '1mo', '2mo']) {
        const firstReset = nextReset(first, duration, zone);
        for (let t = first.getTime(); t < first.getTime() + 330 * 24 * HOUR; t += 31 * HOUR + 7 * 60_000) {
          const w = currentWindow(new Date(t), firstReset, duration, zone);
          assert.ok(w.start.getTime() <= t && t < w.end.getTime(), `${duration} at ${new Date(t).toISOString()}`);
          if (t >= firstReset.getTime()) {
            assert.equal(nextReset(w.start, duration, zone).getTime(), w.end.getTime(), `${duration}: end follows start`);
            assert.equal(previousReset(w.end, duration, zone).getTime(), w.start.getTime(), `${duration}: start precedes end`);
          }
        }
      }
    });
  }
});
