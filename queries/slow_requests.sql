-- Slow requests: the slowest requests, by their time to serve.
-- Needs: duration_ms, ts, client, uri, status. Only formats that log a duration (nginx
-- $request_time, Apache %D) have duration_ms; combined and common do not yet, so on them this
-- query fails with "No field named duration_ms".
-- Parameters:
--   $limit: how many requests to show (default 20)
SELECT ts, client, uri, status, duration_ms
FROM logs
ORDER BY duration_ms DESC, ts
LIMIT $limit;
