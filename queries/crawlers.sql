-- Crawlers and bots: requests from user agents that announce a bot, crawler, spider or
-- scripted client (curl, wget, python-requests, Go, Java), per agent.
-- Needs: user_agent, client (combined).
SELECT user_agent, count(*) AS requests, count(DISTINCT client) AS clients
FROM logs
WHERE regexp_like(user_agent, '(bot|crawl|spider|slurp|curl/|wget/|python-requests|go-http-client|java/)', 'i')
GROUP BY user_agent
ORDER BY requests DESC, user_agent;
