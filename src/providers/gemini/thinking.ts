/**
 * OpenAI's `reasoning_effort` as Gemini's thinkingConfig, with LiteLLM's mapping so a deployment
 * behaves as it did behind LiteLLM:
 * - Gemini 3 and later take a level: minimal/low → low, medium/high → high; none/disable → low
 *   with the thoughts hidden (these models cannot stop thinking);
 * - earlier models take a token budget: minimal → the model's smallest (2.5 Flash 1, 2.5 Flash-Lite
 *   512, 2.5 Pro and others 128), low 1024, medium 2048, high 4096; none/disable → 0 (off).
 * Thoughts are asked for (includeThoughts) whenever thinking is on, so they come back as
 * reasoning_content.
 */
import { GatewayError } from '../../errors.js';
import type { GeminiThinkingConfig } from './wire.js';

const BUDGETS: Readonly<Record<string, number>> = { low: 1024, medium: 2048, high: 4096 };
const LEVELS: Readonly<Record<string, 'low' | 'high'>> = { minimal: 'low', low: 'low', medium: 'high', high: 'high' };
const OFF = new Set(['none', 'disable']);

export function thinkingConfig(effort: string, model: string): GeminiThinkingConfig {
  if (!OFF.has(effort) && LEVELS[effort] === undefined) {
    throw new GatewayError('invalid_body', `reasoning_effort '${effort}' is not one of minimal, low, medium, high, none, disable`, { param: 'reasoning_effort' });
  }
  if (takesThinkingLevel(model)) {
    return OFF.has(effort) ? { thinkingLevel: 'low', includeThoughts: false } : { thinkingLevel: LEVELS[effort], includeThoughts: true };
  }
  if (OFF.has(effort)) return { thinkingBudget: 0, includeThoughts: false };
  return { thinkingBudget: effort === 'minimal' ? minimalBudget(model) : BUDGETS[effort], includeThoughts: true };
}

/** Gemini 3 and later (`gemini-3-pro-preview`, `gemini-3.1-flash`…) take thinkingLevel. */
function takesThinkingLevel(model: string): boolean {
  const match = /gemini-(\d+)/.exec(model.toLowerCase());
  return match !== null && Number(match[1]) >= 3;
}

function minimalBudget(model: string): number {
  const name = model.toLowerCase();
  if (name.includes('gemini-2.5-flash-lite')) return 512;
  if (name.includes('gemini-2.5-flash')) return 1;
  return 128;
}
