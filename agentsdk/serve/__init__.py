"""Serving agents over HTTP: `agentsdk serve`, or `create_app(...)` in an ASGI server.

- `app`: the routes (OpenAI-compatible chat completions, threads, decisions, health).
- `openai_api`: the OpenAI chat format read into an agent's inputs and written back.
- `security`: API keys (stored hashed), their scopes and rates.
- `agents`: loading the agents a server serves from a Python file or module.

Needs the `serve` extra (`pip install 'agentsdk[serve]'`: FastAPI and uvicorn).
"""

from agentsdk.serve.app import ServerLimits, create_app
from agentsdk.serve.security import ApiKey, KeyRing, hash_key, new_key

__all__ = ["ApiKey", "KeyRing", "ServerLimits", "create_app", "hash_key", "new_key"]
