// The "Working with Secrets" example of the official TypeScript SDK's README; only the import
// changed. The sidecar fetches the graph's secrets and hands this node the three it declares.
import { BaseNode } from 'exosphere-sidecar';
import { z } from 'zod';

export class APINode extends BaseNode {
  static name = 'api-node';
  static Inputs = z.object({
    user_id: z.string(),
    query: z.string(),
  });
  static Outputs = z.object({
    response: z.string(), // v1: strings only
    status: z.string(),
  });
  static Secrets = z.object({
    api_key: z.string(),
    api_endpoint: z.string(),
    database_url: z.string(),
  });

  async execute() {
    // Access secrets via this.secrets
    const headers = { Authorization: `Bearer ${this.secrets.api_key}` };

    // Use secrets for API calls
    const response = await fetch(`${this.secrets.api_endpoint}/process`, {
      method: 'POST',
      headers: {
        ...headers,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        user_id: this.inputs.user_id,
        query: this.inputs.query,
      }),
    });

    // Serialize body: prefer JSON if valid; fallback to text or empty string
    let response_str = '';
    try {
      const responseData = await response.json();
      response_str = JSON.stringify(responseData);
    } catch {
      try {
        response_str = (await response.text()) || '';
      } catch {
        response_str = '';
      }
    }

    return {
      response: response_str,
      status: 'success',
    };
  }
}
