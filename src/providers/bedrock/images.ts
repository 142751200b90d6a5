/**
 * OpenAI `image_url` parts as Converse image blocks: `{image: {format, source: {bytes}}}` with the
 * bytes base64-encoded (the JSON form of a blob). Converse takes no URLs, so an http(s) URL is
 * fetched here, as LiteLLM does: with a time limit and a size cap (Bedrock's own limit, 3.75 MB
 * per image), and any failure is the client's 400 `invalid_body` naming the part.
 */
import { GatewayError } from '../../errors.js';

export type ConverseImageBlock = {
  image: { format: ImageFormat; source: { bytes: string } };
};

type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/** https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ImageBlock.html */
export const MAX_IMAGE_BYTES = 3_932_160;
const FETCH_TIMEOUT_MS = 10_000;

const FORMAT_BY_MIME: Readonly<Record<string, ImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;

/** The image block for an image_url `url`; `where` names the part for error messages. */
export async function imageBlock(url: string, where: string): Promise<ConverseImageBlock> {
  if (url.startsWith('data:')) return fromDataUrl(url, where);
  if (/^https?:\/\//i.test(url)) return fromHttp(url, where);
  throw new GatewayError('invalid_body', `${where}: image_url must be a data URL or an http(s) URL.`, { param: where });
}

function fromDataUrl(url: string, where: string): ConverseImageBlock {
  const match = DATA_URL.exec(url);
  if (match === null || !match[2].split(';').includes('base64')) {
    throw new GatewayError('invalid_body', `${where}: a data URL image must be base64-encoded (data:image/png;base64,…).`, { param: where });
  }
  const format = FORMAT_BY_MIME[match[1].toLowerCase()];
  if (format === undefined) throw unsupportedFormat(where, match[1]);
  const bytes = match[3].replace(/\s+/g, '');
  if ((bytes.length * 3) / 4 > MAX_IMAGE_BYTES + 2) throw tooLarge(where);
  return { image: { format, source: { bytes } } };
}

async function fromHttp(url: string, where: string): Promise<ConverseImageBlock> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
  } catch (error) {
    throw new GatewayError('invalid_body', `${where}: fetching the image at ${url} failed: ${(error as Error).message}`, { param: where, cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new GatewayError('invalid_body', `${where}: fetching the image at ${url} answered with status ${response.status}.`, { param: where });
  }
  const bytes = await readCapped(response, where);
  const mime = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const format = FORMAT_BY_MIME[mime] ?? sniffFormat(bytes);
  if (format === undefined) throw unsupportedFormat(where, mime);
  return { image: { format, source: { bytes: bytes.toString('base64') } } };
}

/** The body, refused as soon as it passes the cap. */
async function readCapped(response: Response, where: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_IMAGE_BYTES) {
    await response.body?.cancel();
    throw tooLarge(where);
  }
  const parts: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response.body ?? []) {
      length += chunk.byteLength;
      if (length > MAX_IMAGE_BYTES) throw tooLarge(where);
      parts.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new GatewayError('invalid_body', `${where}: reading the image failed: ${(error as Error).message}`, { param: where, cause: error });
  }
  return Buffer.concat(parts, length);
}

/** The format from the file's signature, for servers that send no usable content-type. */
function sniffFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return 'gif';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return undefined;
}

function unsupportedFormat(where: string, mime: string): GatewayError {
  return new GatewayError('invalid_body', `${where}: Bedrock takes png, jpeg, gif and webp images, not '${mime}'.`, { param: where });
}

function tooLarge(where: string): GatewayError {
  return new GatewayError('invalid_body', `${where}: the image is larger than Bedrock's limit of 3.75 MB.`, { param: where });
}
