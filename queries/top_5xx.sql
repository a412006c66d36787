-- Top 5xx: the URIs that most often failed with a server error (500-599).
-- Needs: status, uri (common, combined).
-- Parameters:
--   $limit: how many URIs to show (default 10)
SELECT uri, count(*) AS hits, min(status) AS lowest_status, max(status) AS highest_status
FROM logs
WHERE status BETWEEN 500 AND 599
GROUP BY uri
ORDER BY hits DESC, uri
LIMIT $limit;
