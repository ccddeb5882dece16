"""The official Python SDK's "Working with Secrets" example.

The node declares the graph secrets it needs; the sidecar fetches them and hands this node only
those. It POSTs the query to `{api_endpoint}/process` with the API key as a bearer token (with
the standard library here, where the SDK's example uses httpx). Run it like sample_node.py.
"""

import asyncio
import json
import urllib.error
import urllib.request

from pydantic import BaseModel

from exosphere_sidecar import BaseNode, Runtime


def post_json(url: str, headers: dict, body: dict) -> str:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


class APINode(BaseNode):
    class Inputs(BaseModel):
        user_id: str
        query: str

    class Outputs(BaseModel):
        response: str  # v1: strings only
        status: str

    class Secrets(BaseModel):
        api_key: str
        api_endpoint: str
        database_url: str

    async def execute(self) -> Outputs:
        # Access secrets via self.secrets
        headers = {"Authorization": f"Bearer {self.secrets.api_key}"}

        # Use secrets for API calls (the blocking call runs in a thread)
        response_text = await asyncio.to_thread(
            post_json,
            f"{self.secrets.api_endpoint}/process",
            headers,
            {"user_id": self.inputs.user_id, "query": self.inputs.query},
        )

        # Serialize body: prefer JSON if valid; fallback to text or empty string
        if response_text:
            try:
                response_str = json.dumps(json.loads(response_text))
            except ValueError:
                response_str = response_text
        else:
            response_str = ""

        return self.Outputs(response=response_str, status="success")


if __name__ == "__main__":
    Runtime(namespace="MyProject", name="APIProcessor", nodes=[APINode]).start()
