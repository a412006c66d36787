#!/usr/bin/env python3
"""The benchmark's questions through DuckDB, the way a user would ask them: the log read as one
text column, fields taken out with a real regex (regexp_extract). Prints the answer.

    python3 scripts/peer_duckdb.py LOG status|404|hour|all
"""
import sys

import duckdb

# A combined line: client ident user [time] "request" status bytes "referer" "user agent".
LINE_RE = (
    r'^(\S+) (\S+) (.*?) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-)'
    r'(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?'
)
FIELDS = ["client", "ident", "remote_user", "time", "request", "status", "bytes", "referer", "user_agent"]


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def main() -> None:
    log, question = sys.argv[1], sys.argv[2]
    names = "[" + ", ".join(sql_str(f) for f in FIELDS) + "]"
    parsed = f"""
        WITH raw AS (
            SELECT line FROM read_csv({sql_str(log)}, columns = {{'line': 'VARCHAR'}},
                delim = '\\x1e', quote = '', escape = '', header = false,
                auto_detect = false, ignore_errors = true, strict_mode = false)
        ), p AS (
            SELECT regexp_extract(line, {sql_str(LINE_RE)}, {names}) AS f FROM raw
            WHERE regexp_matches(line, {sql_str(LINE_RE)})
        )
    """
    questions = {
        "status": "SELECT f.status, count(*) FROM p GROUP BY 1 ORDER BY 1",
        "404": """SELECT split_part(f.request, ' ', 2) AS uri, count(*) FROM p
                  WHERE f.status = '404' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10""",
        "hour": """SELECT date_trunc('hour', try_strptime(f.time, '%d/%b/%Y:%H:%M:%S %z')) AS h, count(*)
                   FROM p GROUP BY 1 ORDER BY 1""",
        "all": """SELECT count(DISTINCT f.client), sum(TRY_CAST(f.bytes AS BIGINT)),
                  min(try_strptime(f.time, '%d/%b/%Y:%H:%M:%S %z')),
                  max(try_strptime(f.time, '%d/%b/%Y:%H:%M:%S %z')), count(DISTINCT f.user_agent) FROM p""",
    }
    con = duckdb.connect()
    for row in con.sql(parsed + questions[question]).fetchall():
        print(*row, sep="\t")


if __name__ == "__main__":
    main()
