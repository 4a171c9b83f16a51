#!/usr/bin/env python3
"""Runs leakwatch's SQL catalog (migrations, sample inserts, service queries, commands) through the current
ClickHouse engine embedded in chdb-core, and prints one JSON result per statement.

Usage: leakwatch sql-catalog | python chdb_check.py
Exit 0 when every statement ran, 1 otherwise. No server is involved: chDB is in-process.
"""
import json
import sys
import tempfile

from chdb import session


def main() -> int:
    catalog = json.load(sys.stdin)
    s = session.Session(tempfile.mkdtemp(prefix="lw-chdb-"))
    version = s.query("SELECT version()", "CSV").bytes().decode().strip().strip('"')
    results = []

    def run(kind: str, name: str, sql: str) -> None:
        try:
            out = s.query(sql, "JSONEachRow")
            rows = [json.loads(line) for line in out.bytes().decode().splitlines() if line.strip()]
            results.append({"kind": kind, "name": name, "ok": True, "rows": len(rows), "sample": rows[:3]})
        except Exception as e:  # chdb raises ChdbError with the server's message
            results.append({"kind": kind, "name": name, "ok": False, "error": str(e)[:600], "sql": sql[:2000]})

    for m in catalog["migrations"]:
        for i, stmt in enumerate(m["statements"]):
            run("migration", f'{m["name"]}#{i + 1}', stmt)
    for ins in catalog.get("inserts", []):
        body = "\n".join(json.dumps(r) for r in ins["rows"])
        run("insert", ins["name"], f'INSERT INTO {ins["table"]} SETTINGS input_format_skip_unknown_fields=1 FORMAT JSONEachRow\n{body}')
    for q in catalog["queries"]:
        run("query", q["name"], q["sql"])
    for c in catalog.get("commands", []):
        run("command", c["name"], c["sql"])
    print(json.dumps({"engine": "chdb", "version": version, "results": results}))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
