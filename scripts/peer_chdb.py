#!/usr/bin/env python3
"""The benchmark's questions through chDB (ClickHouse in process), the way a user would ask
them: the log read with ClickHouse's Regexp input format (one regex, a column per group, lines
it does not match skipped), every field a String. Prints the answer, tab-separated.

    python3 scripts/peer_chdb.py LOG status|404|hour|all
"""
import sys

import chdb

# A combined line: client ident user [time] "request" status bytes "referer" "user agent".
# The same regex as scripts/peer_duckdb.py. The Regexp format matches whole lines, so a
# trailing `.*` lets lines with more fields through, as DuckDB's regexp_matches does.
LINE_RE = (
    r'^(\S+) (\S+) (.*?) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-)'
    r'(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?'
) + ".*"
FIELDS = ["client", "ident", "remote_user", "time", "request", "status", "bytes", "referer", "user_agent"]
TIME = "parseDateTimeOrNull(time, '%d/%b/%Y:%H:%i:%s %z', 'UTC')"


def sql_str(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def main() -> None:
    log, question = sys.argv[1], sys.argv[2]
    structure = ", ".join(f"{f} String" for f in FIELDS)
    source = f"file({sql_str(log)}, 'Regexp', {sql_str(structure)})"
    settings = (
        f"SETTINGS format_regexp = {sql_str(LINE_RE)}, format_regexp_escaping_rule = 'Raw',"
        " format_regexp_skip_unmatched = 1"
    )
    questions = {
        "status": f"SELECT status, count() FROM {source} GROUP BY 1 ORDER BY 1",
        "404": f"""SELECT splitByChar(' ', request)[2] AS uri, count() FROM {source}
                   WHERE status = '404' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10""",
        "hour": f"SELECT toStartOfHour({TIME}) AS h, count() FROM {source} GROUP BY 1 ORDER BY 1",
        "all": f"""SELECT count(DISTINCT client), sum(toInt64OrNull(bytes)), min({TIME}),
                   max({TIME}), count(DISTINCT user_agent) FROM {source}""",
    }
    print(chdb.query(questions[question] + " " + settings, "TSV"), end="")


if __name__ == "__main__":
    main()
