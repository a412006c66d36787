-- Requests since: the requests from an instant on, newest first (e.g. what happened after a
-- deploy).
-- Needs: ts, client, method, uri, status, bytes (common, combined).
-- Parameters:
--   $since: first instant to show, e.g. 2025-02-14T06:00:00Z or epoch seconds (required)
--   $limit: how many requests to show (default 100)
SELECT ts, client, method, uri, status, bytes
FROM logs
WHERE ts >= to_timestamp($since)
ORDER BY ts DESC, client
LIMIT $limit;
