/**
 * The official `openai` SDK as the client, `azure/` deployments behind the gateway, a mock Azure
 * OpenAI resource upstream: the client's bytes reach Azure untouched except for `model`, at the
 * deployment path with the api-version query (or the v1 API), with the `api-key` header or an
 * Entra ID bearer token (a static azure_ad_token, or one fetched with client credentials from a
 * mock authority, cached across calls). Chat plain and streamed (usage only when asked), a tool
 * round trip, vision, JSON mode, embeddings, and Azure's errors: the content filter refusal as a
 * 400, rate limits, unknown deployments, a refused token request.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import OpenAI from 'openai';
import { MockAzure, STATIC_AD_TOKEN } from '../support/mocks/azure.js';
import { deployment, gatewayConfig, NO_RETRIES, providerGateway, SentBodies } from '../support/provider-e2e.js';

const API_VERSION = '2024-10-21';

function config(apiBase: string, apiKey: string): string {
  const azure = (name: string, model: string, params: Record<string, string>) => deployment(name, { model: `azure/${model}`, api_base: apiBase, ...params });
  const keyed = { api_key: apiKey, api_version: API_VERSION };
  const entra = { tenant_id: 'tenant-1', client_id: 'client-id-1' };
  return gatewayConfig(
    [
      azure('azure-gpt', 'my-gpt4o-deployment', keyed),
      azure('azure-embed', 'my-embedding-deployment', keyed),
      azure('azure-v1', 'my-gpt4o-deployment', { api_key: apiKey, api_version: 'v1' }),
      azure('azure-entra', 'my-gpt4o-deployment', { ...entra, client_secret: 'client-secret-1' }),
      azure('azure-bad-secret', 'my-gpt4o-deployment', { ...entra, client_secret: 'wrong-secret' }),
      azure('azure-ad-token', 'my-gpt4o-deployment', { azure_ad_token: STATIC_AD_TOKEN }),
      azure('azure-missing', 'no-such-deployment', { api_key: apiKey }),
    ],
    NO_RETRIES,
  );
}

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
};

describe('openai SDK → gateway → azure', () => {
  const upstream = new MockAzure();
  const sent = new SentBodies();
  const savedAuthority = process.env.AZURE_AUTHORITY_HOST;
  const e2e = providerGateway(upstream, (apiBase) => config(apiBase, upstream.apiKey), {
    // The gateway's threads read the authority host from the environment they start with.
    beforeGateway: (apiBase) => {
      process.env.AZURE_AUTHORITY_HOST = apiBase;
    },
    client: { fetch: sent.fetch },
  });

  after(() => {
    if (savedAuthority === undefined) delete process.env.AZURE_AUTHORITY_HOST;
    else process.env.AZURE_AUTHORITY_HOST = savedAuthority;
  });

  /** What the upstream must have received: the client's last body with model set to the deployment name. */
  function expectedBody(publicName: string, deploymentName = 'my-gpt4o-deployment'): string {
    return sent.lastWithModel(publicName, deploymentName);
  }

  test('plain chat with a system prompt and stop sequences: deployment path, api-version, api-key, body untouched', async () => {
    const completion = await e2e.client.chat.completions.create({
      model: 'azure-gpt',
      messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hello' }],
      temperature: 0.2,
      stop: ['END'],
    });
    const seen = e2e.only();
    assert.equal(seen.path, `/openai/deployments/my-gpt4o-deployment/chat/completions?api-version=${API_VERSION}`);
    assert.equal(seen.headers['api-key'], upstream.apiKey);
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.body.toString('utf8'), expectedBody('azure-gpt'));
    assert.equal(completion.choices[0].message.content, 'Hello from Azure.');
    assert.equal(completion.usage?.total_tokens, 16);
  });

  test('streamed chat: Azure’s filter-results chunk and the text come through; usage only with include_usage', async () => {
    const collect = async (includeUsage: boolean) => {
      const stream = await e2e.client.chat.completions.create({
        model: 'azure-gpt',
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, usage };
    };
    const plain = await collect(false);
    assert.equal(plain.text, 'Hello from Azure.');
    assert.equal(plain.usage, null);
    const withUsage = await collect(true);
    assert.equal(withUsage.text, 'Hello from Azure.');
    assert.equal(withUsage.usage?.total_tokens, 16);
    assert.equal(upstream.requests.length, 2);
    assert.equal(upstream.requests[1].body.toString('utf8'), expectedBody('azure-gpt'));
  });

  test('a tool round trip: the call comes back, the result goes to Azure as written', async () => {
    upstream.enqueue({ kind: 'tool-call' });
    const first = await e2e.client.chat.completions.create({ model: 'azure-gpt', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool] });
    const call = first.choices[0].message.tool_calls?.[0];
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.ok(call !== undefined && call.type === 'function');
    assert.deepEqual(call.function, { name: 'get_weather', arguments: '{"location":"Paris"}' });
    upstream.requests.length = 0;
    const second = await e2e.client.chat.completions.create({
      model: 'azure-gpt',
      messages: [{ role: 'user', content: 'Weather in Paris?' }, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' }],
      tools: [weatherTool],
    });
    assert.equal(second.choices[0].message.content, 'Hello from Azure.');
    assert.equal(e2e.only().body.toString('utf8'), expectedBody('azure-gpt'));
    assert.deepEqual((e2e.only().json!.messages as unknown[])[2], { role: 'tool', tool_call_id: 'call_az1', content: '{"temp":21}' });
  });

  test('vision and JSON mode pass through byte for byte', async () => {
    await e2e.client.chat.completions.create({
      model: 'azure-gpt',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } }] }],
      response_format: { type: 'json_object' },
    });
    assert.equal(e2e.only().body.toString('utf8'), expectedBody('azure-gpt'));
  });

  test('embeddings at the embedding deployment, the SDK’s default base64 encoding included', async () => {
    const floats = await e2e.client.embeddings.create({ model: 'azure-embed', input: ['a', 'b'], encoding_format: 'float' });
    assert.equal(e2e.only().path, `/openai/deployments/my-embedding-deployment/embeddings?api-version=${API_VERSION}`);
    assert.equal(e2e.only().body.toString('utf8'), expectedBody('azure-embed', 'my-embedding-deployment'));
    assert.deepEqual(floats.data[1].embedding, [0.5, -0.25, 1]);
    upstream.requests.length = 0;
    const decoded = await e2e.client.embeddings.create({ model: 'azure-embed', input: 'c' });
    assert.equal(e2e.only().json!.encoding_format, 'base64');
    assert.deepEqual(decoded.data[0].embedding, [0.5, -0.25, 0]);
  });

  test('api_version v1: the v1 API path without a dated version, the deployment in the body', async () => {
    await e2e.client.chat.completions.create({ model: 'azure-v1', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(e2e.only().path, '/openai/v1/chat/completions');
    assert.equal(e2e.only().json!.model, 'my-gpt4o-deployment');
    assert.equal(e2e.only().headers['api-key'], upstream.apiKey);
  });

  test('the content filter’s refusal is a 400 carrying Azure’s message', async () => {
    upstream.enqueue({ kind: 'content-filter' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'azure-gpt', messages: [{ role: 'user', content: 'something refused' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.status, 400);
      assert.match(error.message, /content management policy/);
      return true;
    });
  });

  test('Azure’s rate limit is a 429 and an unknown deployment a 404', async () => {
    upstream.enqueue({ kind: 'error', status: 429, code: '429', message: 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit.' });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'azure-gpt', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError, String(error));
      assert.match(error.message, /exceeded token rate limit/);
      return true;
    });
    await assert.rejects(e2e.client.chat.completions.create({ model: 'azure-missing', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError, String(error));
      assert.match(error.message, /deployment for this resource does not exist/);
      return true;
    });
  });

  test('Entra ID client credentials: one token request, the token sent as a bearer, reused by the next calls', async () => {
    const tokensBefore = upstream.tokenRequests.length;
    await e2e.client.chat.completions.create({ model: 'azure-entra', messages: [{ role: 'user', content: 'hi' }] });
    await Promise.all([1, 2].map(() => e2e.client.chat.completions.create({ model: 'azure-entra', messages: [{ role: 'user', content: 'again' }] })));
    const tokenRequests = upstream.tokenRequests.slice(tokensBefore);
    assert.ok(tokenRequests.length >= 1 && tokenRequests.length <= 2, `one token request per gateway thread at most, got ${tokenRequests.length}`);
    const form = tokenRequests[0].form;
    assert.equal(tokenRequests[0].path, '/tenant-1/oauth2/v2.0/token');
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('client_id'), 'client-id-1');
    assert.equal(form.get('client_secret'), 'client-secret-1');
    assert.equal(form.get('scope'), 'https://cognitiveservices.azure.com/.default');
    assert.equal(upstream.requests.length, 3);
    for (const seen of upstream.requests) {
      assert.match(seen.headers.authorization ?? '', /^Bearer eyJ0eXAiOiJKV1Qi\.mock\.\d+$/);
      assert.equal(seen.headers['api-key'], undefined);
    }
  });

  test('a refused token request fails the call as upstream_auth_failed (502) without calling Azure', async () => {
    await assert.rejects(e2e.client.chat.completions.create({ model: 'azure-bad-secret', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 502);
      assert.match(error.message, /AADSTS7000215/);
      return true;
    });
    assert.equal(upstream.requests.length, 0);
  });

  test('a static azure_ad_token is sent as a bearer token', async () => {
    await e2e.client.chat.completions.create({ model: 'azure-ad-token', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(e2e.only().headers.authorization, `Bearer ${STATIC_AD_TOKEN}`);
    assert.equal(e2e.only().headers['api-key'], undefined);
  });
});
