/** Deployments added through the admin API (table `models`); credentials arrive encrypted. */
import type { ModelRecord, ModelRepository } from './types.js';
import type { SqlClient } from './sql.js';
import { defineTable, deleteRows, getRow, insertRow, selectRows, updateRow, Where } from './table.js';

export const MODELS = defineTable<ModelRecord>('models', ['model_id'], {
  model_id: 'text',
  model_name: 'text',
  litellm_params_encrypted: 'text',
  model_info: 'jsonb',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  created_by: 'text',
}, ['created_by']);

export function createModelRepository(client: SqlClient): ModelRepository {
  return {
    insert: (record) => insertRow(client, MODELS, record, 'models.insert'),
    get: (modelId) => getRow(client, MODELS, [modelId]),
    update: (modelId, patch) => updateRow(client, MODELS, [modelId], patch, 'models.update'),
    delete: (modelIds) => deleteRows(client, MODELS, modelIds),
    all: () => selectRows(client, MODELS, new Where(), 'created_at, model_id'),
  };
}
