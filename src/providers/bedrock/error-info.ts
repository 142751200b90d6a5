/**
 * A Bedrock runtime error answer read for the client's envelope and the router.
 *
 * Bedrock answers errors with `{"message": "…"}` and names the exception in the
 * `x-amzn-errortype` header, which is not passed here; so the type comes from the body's
 * `__type` when there is one, else from the status, by the exceptions Bedrock documents
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors).
 * 429 also stands for ModelNotReadyException; 403 for UnrecognizedClient and InvalidSignature.
 */
import type { UpstreamErrorInfo } from '../types.js';

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

export function bedrockErrorInfo(status: number, body: Buffer): UpstreamErrorInfo {
  let message = '';
  let type = '';
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown; Message?: unknown; __type?: unknown };
    const found = parsed.message ?? parsed.Message;
    if (typeof found === 'string') message = found;
    if (typeof parsed.__type === 'string') type = exceptionName(parsed.__type);
  } catch {
    message = body.toString('utf8', 0, Math.min(body.length, 512)).trim();
  }
  if (type === '') type = TYPE_BY_STATUS[status] ?? '';
  if (message === '') message = `Bedrock answered with status ${status}`;
  return { message, type, code: '', param: null };
}

/** `com.amazon.coral.service#ThrottlingException:http://…` → `ThrottlingException`. */
function exceptionName(raw: string): string {
  const afterNamespace = raw.slice(raw.lastIndexOf('#') + 1);
  const colon = afterNamespace.indexOf(':');
  return colon >= 0 ? afterNamespace.slice(0, colon) : afterNamespace;
}
