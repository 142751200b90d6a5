// The native addon's TypeScript face: one wrapper module per native component, re-exported here.
// src/native/binding.ts is the only module that loads the binary.

export { nativeVersion } from './binding.js';
export { JsonKind, RequestScan, ScanError, ScanField } from './scan.js';
export { StreamUsageScanner, type StreamFormat, type StreamScannerOptions, type StreamStats, type StreamUsage } from './sse.js';
export { CounterError, CounterKind, CounterStatus, CounterStore, counterStatusMessage, MAX_IDS_PER_RESERVATION, Refusal, SNAPSHOT_STRIDE, SnapshotColumn, UNLIMITED, type CounterInfo, type CounterSpec, type CounterStoreOptions } from './counters.js';
export { closeTokenizerPool, countChatTokens, countChatTokensAsync, countTokens, countTokensAsync, ENCODINGS, encodeTokens, encodingForModel, INLINE_TOKENIZE_LIMIT, loadEncoding, type EncodingName, type ModelEncoding } from './tokenizer.js';
