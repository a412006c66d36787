-- Top 404s: the URIs most often not found.
-- Needs: status, uri (common, combined).
-- Parameters:
--   $limit: how many URIs to show (default 10)
SELECT uri, count(*) AS hits
FROM logs
WHERE status = 404
GROUP BY uri
ORDER BY hits DESC, uri
LIMIT $limit;
