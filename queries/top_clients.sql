-- Top clients: the addresses (or host names) that sent the most requests, with their bytes.
-- Needs: client, status, bytes (common, combined).
-- Parameters:
--   $limit: how many clients to show (default 10)
SELECT client,
       count(*) AS requests,
       coalesce(sum(bytes), 0) AS bytes,
       count(*) FILTER (WHERE status >= 400) AS errors
FROM logs
GROUP BY client
ORDER BY requests DESC, client
LIMIT $limit;
