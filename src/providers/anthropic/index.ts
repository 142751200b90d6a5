/** The anthropic adapter (not written yet: null keeps the provider on the pending list). */
import type { ProviderAdapter } from '../types.js';

export const adapter: ProviderAdapter | null = null;
