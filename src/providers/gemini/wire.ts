/**
 * The Gemini API's JSON objects (https://ai.google.dev/api/generate-content), as far as the
 * gateway writes or reads them. Vertex AI's `publishers/google` models take and return the same
 * objects, so both adapters share these.
 *
 * The API reads proto3 JSON, which accepts camelCase and snake_case field names alike; requests use
 * camelCase except `inline_data`/`file_data` (and their `mime_type`, `file_uri`), spelled as in
 * Google's REST examples. Responses are always camelCase.
 */

export interface GeminiInlineData {
  mime_type: string;
  data: string;
}

export interface GeminiFileData {
  mime_type: string;
  file_uri: string;
}

export interface GeminiFunctionCall {
  name: string;
  args?: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  name: string;
  response: Record<string, unknown>;
}

/** One part of a turn: exactly one of the data fields is set. */
export interface GeminiPart {
  text?: string;
  /** The text is the model's reasoning, not its answer. */
  thought?: boolean;
  /** Opaque token a thinking model attaches to a part; must come back with it in later turns. */
  thoughtSignature?: string;
  inline_data?: GeminiInlineData;
  file_data?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: 'low' | 'high';
  includeThoughts?: boolean;
}

export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  candidateCount?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: GeminiThinkingConfig;
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parametersJsonSchema?: Record<string, unknown>;
}

export interface GeminiToolConfig {
  functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] };
}

/** The body of `models/{model}:generateContent` and `:streamGenerateContent`. */
export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  generationConfig?: GeminiGenerationConfig;
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[];
  toolConfig?: GeminiToolConfig;
  safetySettings?: unknown[];
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  index?: number;
}

/** A whole answer, and also each event of a streamed one. */
export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** Google's error envelope (https://cloud.google.com/apis/design/errors). */
export interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string };
}
