/**
 * Media in a canonical message (image_url, input_audio, file parts) as Gemini parts: a data URL
 * becomes `inline_data` (the bytes travel in the request), any other URL becomes `file_data` (the
 * model fetches it: Files API and gs:// URIs, and public https URLs on current models). The adapter
 * does no I/O, so it never downloads a URL itself.
 */
import { GatewayError } from '../../errors.js';
import type { GeminiPart } from './wire.js';

const DATA_URL = /^data:([^;,]+)?((?:;[^;,]*)*?);base64,(.*)$/s;

/** File extensions Gemini reads, by the MIME type it expects for them. */
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif',
  heic: 'image/heic', heif: 'image/heif', pdf: 'application/pdf', txt: 'text/plain',
  mp3: 'audio/mp3', wav: 'audio/wav', aac: 'audio/aac', ogg: 'audio/ogg', flac: 'audio/flac',
  mp4: 'video/mp4', mov: 'video/mov', webm: 'video/webm', mpeg: 'video/mpeg', mpg: 'video/mpeg',
};

/** A part for a URL from an image_url or file part; `fallbackMime` when the URL names no type. */
export function urlPart(url: string, fallbackMime: string, param: string): GeminiPart {
  if (url.startsWith('data:')) return { inline_data: dataUrlContents(url, param) };
  return { file_data: { mime_type: mimeFromUrl(url) ?? fallbackMime, file_uri: url } };
}

/** OpenAI's input_audio part (`{data, format}`, base64 without a data: prefix). */
export function audioPart(data: unknown, format: unknown, param: string): GeminiPart {
  if (typeof data !== 'string' || typeof format !== 'string') {
    throw new GatewayError('invalid_body', `${param} needs input_audio.data and input_audio.format as strings`, { param });
  }
  return { inline_data: { mime_type: `audio/${format}`, data } };
}

function dataUrlContents(url: string, param: string): { mime_type: string; data: string } {
  const match = DATA_URL.exec(url);
  if (match === null || match[1] === undefined) {
    throw new GatewayError('invalid_body', `${param} is a data URL that is not "data:<mime type>;base64,<data>"`, { param });
  }
  return { mime_type: match[1], data: match[3] };
}

/** The MIME type a URL's file extension names, or null (no extension, or one Gemini does not list). */
function mimeFromUrl(url: string): string | null {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    pathname = url;
  }
  const dot = pathname.lastIndexOf('.');
  if (dot < 0) return null;
  return MIME_BY_EXTENSION[pathname.slice(dot + 1).toLowerCase()] ?? null;
}
