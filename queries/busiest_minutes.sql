-- Busiest minutes: the minutes (UTC) with the most requests: spikes, floods, crawls.
-- Needs: ts (common, combined).
-- Parameters:
--   $limit: how many minutes to show (default 10)
SELECT date_trunc('minute', ts) AS minute, count(*) AS requests, count(DISTINCT client) AS clients
FROM logs
GROUP BY minute
ORDER BY requests DESC, minute
LIMIT $limit;
