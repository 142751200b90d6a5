// The native addon's TypeScript face: one wrapper module per native component, re-exported here.
// src/native/binding.ts is the only module that loads the binary.

export { nativeVersion } from './binding.js';
export { JsonKind, RequestScan, ScanError, ScanField } from './scan.js';
