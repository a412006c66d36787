-- Status summary: how many requests got each HTTP status, most frequent first.
-- Needs: status (every access-log format).
SELECT status, count(*) AS hits
FROM logs
GROUP BY status
ORDER BY hits DESC, status;
