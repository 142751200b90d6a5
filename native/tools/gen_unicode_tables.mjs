#!/usr/bin/env node
// Generates native/unicode_tables.h: the character classes the BPE pre-tokenizer
// (native/pretokenize.h) needs, read from Node's own ICU through `\p{…}` regular expressions.
//
//   node native/tools/gen_unicode_tables.mjs           rewrites native/unicode_tables.h
//   node native/tools/gen_unicode_tables.mjs --check   exits 1 when the committed header is stale
//
// The class of a code point is a bit set (see kLetter… in the header):
//   Lu, Lt      letter | upper          Ll        letter | lower
//   Lm, Lo      letter | upper | lower  M (Mn Mc Me)  upper | lower (a mark is not a letter)
//   N (Nd Nl No)  number                White_Space  space
//   anything else 0
// "upper" is the pattern class [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and "lower" is
// [\p{Ll}\p{Lm}\p{Lo}\p{M}] of o200k_base's pat_str. "space" is the Unicode White_Space property,
// which is what `\s` means in tiktoken's regex engine (the Rust regex crate); JavaScript's own `\s`
// differs (it has U+FEFF and lacks U+0085), so it is not used here.
//
// Unicode version. tiktoken 1.0.22's regex engine implements Unicode 16.0. When Node's ICU is
// newer, the characters it added are left out (class 0, as the regex engine sees an unassigned
// code point) so that the pre-tokenizer splits text exactly as tiktoken does. For Unicode 17.0
// the list below holds every code point new in 17.0 whose class here is not 0; it was checked
// against tiktoken itself over every code point (test/native/tokenizer.test.ts re-checks it).
// For another ICU version the script stops and says so: add that version's additions first.
//
// The table is two-level: kStage1[cp >> kShift] picks a block of (1 << kShift) class bytes in
// kStage2; identical blocks are stored once. The shift is chosen to make the two arrays smallest.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HEADER_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'unicode_tables.h');

export const ENGINE_UNICODE = '16.0';

// Code points new in Unicode 17.0 with a letter, mark, number or space class.
const ADDED_AFTER_ENGINE = {
  '16.0': [],
  '17.0': [
    [0x088f, 0x088f], [0x0c5c, 0x0c5c], [0x0cdc, 0x0cdc], [0x1acf, 0x1add], [0x1ae0, 0x1aeb],
    [0xa7ce, 0xa7cf], [0xa7d2, 0xa7d2], [0xa7d4, 0xa7d4], [0xa7f1, 0xa7f1], [0x10940, 0x10959],
    [0x10ec5, 0x10ec7], [0x10efa, 0x10efb], [0x11b60, 0x11b67], [0x11db0, 0x11ddb],
    [0x11de0, 0x11de9], [0x16ea0, 0x16eb8], [0x16ebb, 0x16ed3], [0x16ff2, 0x16ff6],
    [0x187f8, 0x187ff], [0x18d09, 0x18d1e], [0x18d80, 0x18df2], [0x1e6c0, 0x1e6de],
    [0x1e6e0, 0x1e6f5], [0x1e6fe, 0x1e6ff], [0x2b73a, 0x2b73f], [0x2cea2, 0x2cead],
    [0x323b0, 0x33479],
  ],
};

export const CLASS_BITS = { letter: 1, upper: 2, lower: 4, number: 8, space: 16 };

const CLASS_OF_PROPERTY = [
  ['\\p{White_Space}', CLASS_BITS.space],
  ['\\p{Lu}', CLASS_BITS.letter | CLASS_BITS.upper],
  ['\\p{Lt}', CLASS_BITS.letter | CLASS_BITS.upper],
  ['\\p{Ll}', CLASS_BITS.letter | CLASS_BITS.lower],
  ['\\p{Lm}', CLASS_BITS.letter | CLASS_BITS.upper | CLASS_BITS.lower],
  ['\\p{Lo}', CLASS_BITS.letter | CLASS_BITS.upper | CLASS_BITS.lower],
  ['\\p{M}', CLASS_BITS.upper | CLASS_BITS.lower],
  ['\\p{N}', CLASS_BITS.number],
];

const MAX_CODE_POINT = 0x10ffff;

/** Class byte of every code point, as Node's ICU sees it minus the additions after ENGINE_UNICODE. */
export function classTable(unicodeVersion = process.versions.unicode) {
  const added = ADDED_AFTER_ENGINE[unicodeVersion];
  if (added === undefined) {
    throw new Error(
      `gen_unicode_tables: Node's ICU implements Unicode ${unicodeVersion}; this script knows the ` +
        `additions after ${ENGINE_UNICODE} only for ${Object.keys(ADDED_AFTER_ENGINE).join(', ')}`,
    );
  }
  const classes = new Uint8Array(MAX_CODE_POINT + 1);
  // One regex per property over a string of every scalar value is much faster than one test per
  // code point. Surrogates cannot be tested on their own and have class 0 (they never reach the
  // pre-tokenizer: UTF-8 cannot encode them).
  for (const [property, bits] of CLASS_OF_PROPERTY) {
    const re = new RegExp(`${property}+`, 'gu');
    for (let block = 0; block <= MAX_CODE_POINT; block += 0x10000) {
      const chars = [];
      for (let cp = block; cp < block + 0x10000; cp++) {
        chars.push(cp >= 0xd800 && cp <= 0xdfff ? ' ' : String.fromCodePoint(cp));
      }
      const text = chars.join('');
      // Map string offsets back to code points: the BMP is one unit each, the rest two.
      const unit = block === 0 ? 1 : 2;
      for (const match of text.matchAll(re)) {
        const first = block + match.index / unit;
        const count = match[0].length / unit;
        for (let cp = first; cp < first + count; cp++) {
          if (cp >= 0xd800 && cp <= 0xdfff) continue;
          if (classes[cp] !== 0) throw new Error(`gen_unicode_tables: U+${cp.toString(16)} has two classes`);
          classes[cp] = bits;
        }
      }
    }
  }
  for (const [first, last] of added) classes.fill(0, first, last + 1);
  return classes;
}

function twoLevel(classes, shift) {
  const size = 1 << shift;
  const blocks = new Map();
  const stage1 = [];
  const stage2 = [];
  for (let start = 0; start < classes.length; start += size) {
    const block = classes.subarray(start, start + size);
    const key = block.join(',');
    let index = blocks.get(key);
    if (index === undefined) {
      index = blocks.size;
      blocks.set(key, index);
      stage2.push(...block);
    }
    stage1.push(index);
  }
  const stage1Bytes = stage1.length * (blocks.size > 256 ? 2 : 1);
  return { shift, stage1, stage2, bytes: stage1Bytes + stage2.length };
}

function formatArray(values, perLine) {
  const lines = [];
  for (let i = 0; i < values.length; i += perLine) {
    lines.push(`    ${values.slice(i, i + perLine).join(', ')},`);
  }
  return lines.join('\n');
}

/** The text of native/unicode_tables.h for this Node's ICU. */
export function generateHeader(unicodeVersion = process.versions.unicode) {
  const classes = classTable(unicodeVersion);
  let best = null;
  for (let shift = 4; shift <= 10; shift++) {
    const candidate = twoLevel(classes, shift);
    if (best === null || candidate.bytes < best.bytes) best = candidate;
  }
  const blockCount = best.stage2.length >> best.shift;
  const stage1Type = blockCount > 256 ? 'uint16_t' : 'uint8_t';
  return `// Generated by native/tools/gen_unicode_tables.mjs from Node's ICU (Unicode ${unicodeVersion}),
// without the characters added after Unicode ${ENGINE_UNICODE}, the version of tiktoken's regex engine.
// Do not edit; run \`node native/tools/gen_unicode_tables.mjs\` instead.
// Two-level table: ${best.stage1.length} ${stage1Type} + ${best.stage2.length} uint8_t = ${best.bytes} bytes.
#pragma once

#include <cstdint>

namespace ailb::unicode {

// Bits of a code point's class. Lu Lt: letter|upper. Ll: letter|lower. Lm Lo: letter|upper|lower.
// M: upper|lower. N: number. White_Space: space. Everything else (and unassigned): 0.
constexpr uint8_t kLetter = ${CLASS_BITS.letter};
constexpr uint8_t kUpper = ${CLASS_BITS.upper};
constexpr uint8_t kLower = ${CLASS_BITS.lower};
constexpr uint8_t kNumber = ${CLASS_BITS.number};
constexpr uint8_t kSpace = ${CLASS_BITS.space};

constexpr unsigned kShift = ${best.shift};

inline constexpr ${stage1Type} kStage1[${best.stage1.length}] = {
${formatArray(best.stage1, 20)}
};

inline constexpr uint8_t kStage2[${best.stage2.length}] = {
${formatArray(best.stage2, 32)}
};

// Class bits of code point cp (cp <= 0x10FFFF).
inline uint8_t code_point_class(uint32_t cp) {
  return kStage2[(static_cast<uint32_t>(kStage1[cp >> kShift]) << kShift) | (cp & ((1u << kShift) - 1))];
}

}  // namespace ailb::unicode
`;
}

function main() {
  const text = generateHeader();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(HEADER_PATH, 'utf8');
    } catch {
      // a missing header is stale
    }
    if (current !== text) {
      process.stderr.write(`${HEADER_PATH} is stale: run node native/tools/gen_unicode_tables.mjs\n`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(HEADER_PATH, text);
  process.stdout.write(`wrote ${HEADER_PATH}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
