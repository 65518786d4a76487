"""Run the service on a SQLite store in this process (the durability test starts it in a
subprocess and kills it): python -m tests.web.serve_for_test DB_PATH PORT"""

from __future__ import annotations

import sys
from datetime import timedelta

import uvicorn

from successlink.program.plans import load_plan
from successlink.store.connect import open_store
from successlink.web.app import ServiceConfig, create_app
from tests.program.plans import QUALITY_PLAN
from tests.web.service import FALLBACK, SECRET


def main() -> None:
    db, port = sys.argv[1], int(sys.argv[2])
    engine = open_store(f"sqlite:///{db}")
    app = create_app(ServiceConfig(engine=engine, plans=[load_plan(QUALITY_PLAN)],
                                   fallback_url=FALLBACK, allowed_domains=["acme.test"],
                                   webhook_secrets=[SECRET], webhook_tolerance_seconds=None,
                                   settle_delay=timedelta(0)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
