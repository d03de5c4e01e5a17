"""Redis: redis-py's own clients fit craftapis' `RedisClient` protocol (the `redis` extra), and
`RedisRateLimiter(**store_options)` takes `RedisStore`'s settings, typed."""

from typing import assert_type

import redis
from craftapis import RedisRateLimiter, RedisStore
from craftapis.builtbybit import RedisEventLeases
from redis.cluster import RedisCluster


def redis_clients() -> None:
    client = redis.Redis(host="127.0.0.1", port=6379)
    store = RedisStore(client=client, prefix="bot:")
    assert_type(store, RedisStore)
    limiter = RedisRateLimiter(client=client, key="modrinth", socket_timeout=0.2, max_conflicts=8)
    assert_type(limiter, RedisRateLimiter)
    cluster = RedisCluster(host="127.0.0.1", port=7000)
    RedisStore(client=cluster)
    leases = RedisEventLeases(client=client, key="my-bot")
    assert_type(leases, RedisEventLeases)
