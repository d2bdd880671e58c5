"""Print the API's OpenAPI schema (JSON), from which the dashboard's TypeScript client is made.

python -m backend.openapi > frontend/openapi.json
"""

from __future__ import annotations

import json

from backend.main import create_app
from backend.settings import Settings


def main() -> None:
    # An in-memory database: writing the schema must touch no files and need no server.
    app = create_app(Settings(database_url="sqlite://"))
    print(json.dumps(app.openapi(), indent=2))


if __name__ == "__main__":
    main()
