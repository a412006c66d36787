-- User agents: the most common user agents (a `-` agent shows as NULL).
-- Needs: user_agent (combined).
-- Parameters:
--   $limit: how many agents to show (default 10)
SELECT user_agent, count(*) AS requests
FROM logs
GROUP BY user_agent
ORDER BY requests DESC, user_agent NULLS LAST
LIMIT $limit;
